"""The whitelist: which object names load into which table, with which columns, rules and mode.

Each column is declared once; the DDL (load.py) and the validation schema (validate.py) are both
derived from it, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LoadMode = Literal["append", "replace", "upsert"]

# Column kinds: each names a PostgreSQL type and a vectorised rule in rules.py.
ColumnKind = Literal[
    "positive_bigint", "email", "name_text", "country_code", "past_date", "boolean",
    "uuid", "finite_double", "short_text", "timestamptz",
]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column: its PostgreSQL type, the rule its text must satisfy, and whether it may be empty."""

    name: str
    pg_type: str
    kind: ColumnKind
    required: bool = True
    min_chars: int = 1
    max_chars: int | None = None
    unique: Literal["exact", "casefold"] | None = None


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A whitelisted object name and everything needed to validate and load it."""

    object_name: str
    table: str
    columns: tuple[ColumnSpec, ...]
    primary_key: tuple[str, ...]
    mode: LoadMode
    allow_empty: bool = False
    # Unique against rows already loaded (enforced by the primary key during COPY).
    unique_against_table: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


USERS = TableSpec(
    object_name="users.csv",
    table="users",
    mode="replace",
    primary_key=("user_id",),
    columns=(
        ColumnSpec("user_id", "bigint", "positive_bigint", unique="exact"),
        ColumnSpec("email", "text", "email", unique="casefold"),
        ColumnSpec("full_name", "text", "name_text", max_chars=200),
        ColumnSpec("country_code", "char(2)", "country_code"),
        ColumnSpec("signup_date", "date", "past_date"),
        ColumnSpec("is_active", "boolean", "boolean"),
    ),
)

TEST = TableSpec(
    object_name="test.csv",
    table="test",
    mode="append",
    primary_key=("test_id",),
    unique_against_table=("test_id",),
    columns=(
        ColumnSpec("test_id", "uuid", "uuid", unique="exact"),
        ColumnSpec("user_id", "bigint", "positive_bigint"),
        ColumnSpec("assay", "text", "short_text", max_chars=100),
        ColumnSpec("value", "double precision", "finite_double"),
        ColumnSpec("unit", "text", "short_text", max_chars=20),
        ColumnSpec("measured_at", "timestamptz", "timestamptz"),
        ColumnSpec("passed", "boolean", "boolean", required=False),
    ),
)

TABLE_MAPPING: dict[str, TableSpec] = {spec.object_name: spec for spec in (USERS, TEST)}


def lookup_table(key: str, ingest_prefix: str = "") -> TableSpec | None:
    """The spec for a decoded object key, or None when the key is not whitelisted.

    Accepted: the last path segment is exactly a mapped name, optionally followed by ``.gz``,
    and the key starts with ``ingest_prefix``. Case matters (``Users.csv`` is rejected).
    """
    if not key.startswith(ingest_prefix):
        return None
    name = key.rsplit("/", 1)[-1]
    if name.endswith(".gz"):
        name = name[: -len(".gz")]
    return TABLE_MAPPING.get(name)


def is_gzip_key(key: str) -> bool:
    """Compression is declared by the ``.gz`` suffix alone (never sniffed from the bytes)."""
    return key.endswith(".gz")
