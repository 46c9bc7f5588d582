"""S3 -> PostgreSQL CSV ingestion: the deployable Lambda package.

Public surface: `lambda_handler` (the Lambda handler string is `lambda_function.lambda_handler`),
`load_contracts` (the whitelist: one table contract per file in `contracts/`) and `validate_stream`
(the handler's own checks, without a database).

The handler and the validator are imported on first use (PEP 562), so tools that only read contracts
(`harness contract`, `harness generate`) do not pay for pandas, SQLAlchemy and Powertools; Lambda's
`lambda_function.lambda_handler` lookup imports them at the cold start as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .contract import Contract, ContractError, Whitelist, load_contracts

if TYPE_CHECKING:
    from .checking.validator import ValidationResult, validate_stream
    from .handler import lambda_handler

__all__ = ["Contract", "ContractError", "ValidationResult", "Whitelist", "lambda_handler", "load_contracts",
           "validate_stream"]
_LAZY = {"lambda_handler": ".handler", "validate_stream": ".checking", "ValidationResult": ".checking"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
