"""Authoring table contracts: drafts a data engineer reviews before adding them to contracts/ (`infer`), and
the hints `harness validate` adds when a file fails only because its contract does not describe it yet."""

from .infer import InferError, infer_contract

__all__ = ["InferError", "infer_contract"]
