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
    `final`: the verdict rests on the file and its contract alone, so the ledger records it and a redelivery
    under the same contract is SKIPPED. False when it rests on more (rows or constraints of the table: a key
    already loaded, a row PostgreSQL refused), which may change: then a redelivery is judged again.
    """

    def __init__(self, errors: list[RowError], *, rows_rejected: int | None = None,
                 error_count: int | None = None, final: bool = True) -> None:
        if not errors:
            raise ValueError("FileRejected needs at least one error")
        super().__init__(errors[0].rule)
        self.errors = errors
        self.rows_rejected = rows_rejected if rows_rejected is not None else len({e.row for e in errors if e.row})
        self.error_count = max(error_count or 0, len(errors))
        self.final = final


class SchemaDrift(FileRejected):
    """The table differs from its contract in a way the load may not change (README, "Schema changes").

    The verdict rests on the table's definition, kept as `table_fingerprint` beside the FAILED ledger entry: a
    redelivery is SKIPPED while contract and table stay as they were, and judged again once either changed.
    """

    def __init__(self, errors: list[RowError], *, table_fingerprint: str) -> None:
        super().__init__(errors, rows_rejected=0)
        self.table_fingerprint = table_fingerprint


class StaleObject(Exception):
    """The event names an object version that has since been overwritten or deleted: SKIPPED."""
