"""S3 -> PostgreSQL CSV ingestion: the deployable Lambda package.

Public surface: `lambda_handler` (the Lambda handler string is `lambda_function.lambda_handler`),
`TABLE_MAPPING` (the whitelist) and `validate_stream` (the handler's own checks, without a database).
"""

from .handler import lambda_handler
from .tables import TABLE_MAPPING, TableSpec, lookup_table
from .validate import ValidationResult, validate_stream

__all__ = ["TABLE_MAPPING", "TableSpec", "ValidationResult", "lambda_handler", "lookup_table", "validate_stream"]
