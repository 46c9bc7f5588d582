"""S3 -> PostgreSQL CSV ingestion: the deployable Lambda package.

Public surface: `lambda_handler` (the Lambda handler string is `lambda_function.lambda_handler`),
`load_contracts` (the whitelist: one table contract per file in `contracts/`) and `validate_stream`
(the handler's own checks, without a database).
"""

from .contract import Contract, ContractError, Whitelist, load_contracts
from .handler import lambda_handler
from .validate import ValidationResult, validate_stream

__all__ = ["Contract", "ContractError", "ValidationResult", "Whitelist", "lambda_handler", "load_contracts",
           "validate_stream"]
