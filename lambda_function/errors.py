"""What can go wrong, as types: the handler maps each one to an outcome (or to a raise)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in a file: the 1-based data record, the column, the offending value and the rule.

    ``row`` is None for a problem with the whole file (empty, header, encoding, size);
    ``column`` is None unless exactly one column is at fault.
    """

    row: int | None
    column: str | None
    value: str | None
    rule: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def place(row: int | None, column: str | None) -> str:
    """Where a problem is, in words: "row 7, column email", "row 7", "whole file" (never "row None")."""
    where = f"row {row:,}" if row is not None else "whole file"
    return f"{where}, column {column}" if column else where


class ConfigurationError(RuntimeError):
    """The function's environment is missing or malformed; an operator must fix it (raised, never an outcome)."""


class TransientError(RuntimeError):
    """Trouble that a retry may cure (database unreachable, S3 or SNS unavailable): raised for Lambda to retry."""


class FileRejected(Exception):
    """The file is unusable; carries the errors that make the outcome FAILED.

    `rows_rejected` and `error_count` are what the whole file held when known (the list may be capped).
    """

    def __init__(self, errors: list[RowError], *, rows_rejected: int | None = None,
                 error_count: int | None = None) -> None:
        if not errors:
            raise ValueError("FileRejected needs at least one error")
        super().__init__(errors[0].rule)
        self.errors = errors
        self.rows_rejected = rows_rejected if rows_rejected is not None else len({e.row for e in errors if e.row})
        self.error_count = max(error_count or 0, len(errors))


class StaleObject(Exception):
    """The event names an object version that has since been overwritten or deleted: SKIPPED."""
