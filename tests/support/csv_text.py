"""Tiny CSV files for validation tests: one valid row per table, with any field replaced by raw CSV text."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from lambda_function.checking.validator import ValidationResult, validate_stream
from lambda_function.contract import Contract, load_contracts
from lambda_function.errors import RowError
from lambda_function.reading.blocks import Limits

TODAY = date(2024, 6, 1)

# The repository's own contracts (contracts/users.yaml, contracts/test.yaml)
WHITELIST = load_contracts()
USERS: Contract = WHITELIST.find("users.csv")  # type: ignore[assignment]
TEST: Contract = WHITELIST.find("test.csv")  # type: ignore[assignment]

GOOD_USER = {
    "user_id": "1", "email": "ada@example.com", "full_name": "Ada Lovelace", "country_code": "GB",
    "signup_date": "2024-01-15", "is_active": "true",
}
GOOD_TEST = {
    "test_id": "123e4567-e89b-12d3-a456-426614174000", "user_id": "1", "assay": "glucose", "value": "5.4",
    "unit": "mmol/L", "measured_at": "2024-05-01T12:30:00Z", "passed": "true",
}
GOOD = {USERS.table: GOOD_USER, TEST.table: GOOD_TEST}


def csv_file(spec: Contract, rows: Iterable[dict[str, str]], *, eol: str = "\n") -> bytes:
    """Header in spec order, then each row's raw field text (already quoted where a test wants quotes)."""
    names = spec.column_names
    lines = [",".join(names)] + [",".join(row[n] for n in names) for row in rows]
    return (eol.join(lines) + eol).encode("utf-8")


def row(spec: Contract, **raw: str) -> dict[str, str]:
    """The table's valid row with some fields replaced by raw CSV text."""
    return {**GOOD[spec.table], **raw}


def users_row(i: int, **raw: str) -> dict[str, str]:
    """A distinct valid users row (unique user_id and email)."""
    return row(USERS, **{"user_id": str(i), "email": f"user{i}@example.com", **raw})


def chunked(data: bytes, size: int = 8192) -> list[bytes]:
    """The file as S3 streams it: several chunks, so block boundaries fall inside the file."""
    return [data[i:i + size] for i in range(0, len(data), size)] or [b""]


def validate(data: bytes, spec: Contract = USERS, *, today: date | None = TODAY, limits: Limits | None = None,
             gzipped: bool = False, chunk: int = 8192) -> ValidationResult:
    return validate_stream(chunked(data, chunk), spec, gzipped=gzipped, limits=limits, today=today)


# users.csv as raw bytes, for the structure tests (header, quoting, line endings, size, gzip).
HEADER = b"user_id,email,full_name,country_code,signup_date,is_active\n"
ROW1 = b"1,ada@example.com,Ada Lovelace,GB,2024-01-15,true\n"
ROW2 = b"2,alan@example.com,Alan Turing,GB,2024-01-16,false\n"
ROW3 = b"3,grace@example.com,Grace Hopper,US,2024-01-17,TRUE\n"


def only_error(result: Any) -> RowError:
    """The one error of a result that must have failed with exactly one."""
    assert not result.ok
    [error] = result.errors
    return error  # type: ignore[no-any-return]
