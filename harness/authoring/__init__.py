"""Authoring table contracts: drafts a data engineer reviews before adding them to contracts/."""

from .infer import InferError, infer_contract

__all__ = ["InferError", "infer_contract"]
