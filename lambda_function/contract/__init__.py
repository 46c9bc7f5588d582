"""Table contracts: one YAML file per whitelisted object name, loaded once per container into a Whitelist."""

from .loader import ContractError, ContractProblem, check_folder, contracts_folder, default_folder, load_contracts
from .model import Column, Contract, LoadMode
from .pgtypes import KNOWN_TYPES, PgType, parse_type
from .routing import Whitelist, is_gzip_key, object_name

__all__ = [
    "KNOWN_TYPES",
    "Column",
    "Contract",
    "ContractError",
    "ContractProblem",
    "LoadMode",
    "PgType",
    "Whitelist",
    "check_folder",
    "contracts_folder",
    "default_folder",
    "is_gzip_key",
    "load_contracts",
    "object_name",
    "parse_type",
]
