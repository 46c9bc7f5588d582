"""The checking stage: every block against its contract, column by column on the block's own bytes.

`CheckedCsv` is what the loader consumes (blocks that passed, as original bytes); `validate_stream` is the
same check for producers (`harness validate`) and tests: every error, no database.
"""

from .validator import CheckedCsv, KeyLookup, ValidationResult, validate_stream

__all__ = ["CheckedCsv", "KeyLookup", "ValidationResult", "validate_stream"]
