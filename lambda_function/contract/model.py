"""A table contract as the pipeline uses it: which object names load into which table, how, with which rules.

Built from one YAML file by `loader.py` after every check passed, so nothing downstream re-validates it:
the DDL (sql.py), the rules (rules/), uniqueness, routing and the docs all derive from these objects.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Literal

from ..reading.text_encodings import ENCODINGS, Encoding
from .globs import example_for_glob
from .pgtypes import PgType

LoadMode = Literal["append", "replace", "upsert", "replace_file"]
OnError = Literal["fail", "reject_rows"]
Evolve = Literal["safe", "none"]
OnObjectRemoved = Literal["ignore", "unload"]
Unique = Literal["exact", "casefold"]

# Fields added after contracts were first fingerprinted: they count only when set to something else than their
# default, so a release that adds one leaves the fingerprint of every contract that does not use it as it was
# (and the FAILED verdicts recorded under it stand).
COUNTS_WHEN_SET = MappingProxyType({"fingerprint": "when_set"})
LINEAGE_COLUMN = "_ingest_load_id"  # the column lineage adds to a table (loading/ddl.py); no contract may list it


class WrittenFloat(float):
    """A float that remembers the text it was written as (a YAML scalar, a bound rounded to real):
    exact bounds are read from the text, and messages show it."""

    text: str

    @classmethod
    def of(cls, value: float, text: str) -> WrittenFloat:
        made = cls(value)
        made.text = text
        return made

    def __str__(self) -> str:
        return self.text


# A bound as the contract wrote it, already checked against the column's type: a number (Decimal keeps
# numeric bounds exact), a date, a timestamp, or the per-invocation "today" / "now".
Bound = int | Decimal | float | date | datetime | Literal["today", "now"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its PostgreSQL type and every rule its text must satisfy."""

    name: str
    type: PgType
    required: bool = True
    unique: Unique | None = None
    minimum: Bound | None = None
    maximum: Bound | None = None
    min_length: int | None = None
    max_length: int | None = None
    trim: bool = False
    pattern: str | None = None
    pattern_message: str | None = None
    enum: tuple[str, ...] | None = None
    format: Literal["email"] | None = None
    description: str | None = None
    true_values: tuple[str, ...] = ("true",)  # booleans: the spellings read as true / false, any case
    false_values: tuple[str, ...] = ("false",)

    @property
    def pg_type(self) -> str:
        return self.type.ddl


@dataclass(frozen=True, slots=True)
class Contract:
    """A whitelisted object name (exact `file` or glob `match`) and everything needed to validate and load it."""

    source: str  # the YAML file it came from, for messages
    table: str
    mode: LoadMode
    columns: tuple[Column, ...]
    file: str | None = None
    match: str | None = None
    primary_key: tuple[str, ...] = ()
    allow_empty: bool = False
    delimiter: str = ","
    missing: str = ""  # dialect.missing: the unquoted text that reads as NULL (COPY's NULL)
    encoding: str = "utf-8"  # dialect.encoding (reading.text_encodings.ENCODINGS)
    on_error: OnError = "fail"
    max_rejected_rows: int | None = None
    max_rejected_ratio: float | None = None
    evolve: Evolve = "safe"  # safe: a load applies safe schema changes itself; none: any difference is drift
    description: str | None = None
    # Every row names its load (_ingest_load_id); replace_file implies it (README, "Where did this row come from?").
    lineage: bool = field(default=False, metadata=COUNTS_WHEN_SET)
    on_object_removed: OnObjectRemoved = field(default="ignore", metadata=COUNTS_WHEN_SET)
    _by_name: dict[str, Column] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name: c for c in self.columns})

    @property
    def deletes_by_load(self) -> bool:
        """Are rows deleted by the load that wrote them (so the lineage column needs an index)?"""
        return self.mode == "replace_file" or self.on_object_removed == "unload"

    @property
    def name(self) -> str:
        """The object name or glob this contract accepts (as written in the contract)."""
        return self.file or self.match or ""

    @property
    def text_encoding(self) -> Encoding:
        return ENCODINGS[self.encoding]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return self._by_name[name]

    def accepts(self, name: str) -> bool:
        """Does this last path segment (with any `.gz` already removed) belong to this contract?"""
        if self.file is not None:
            return name == self.file
        return self.match is not None and fnmatch.fnmatchcase(name, self.match)

    def example_name(self) -> str:
        """A concrete object name this contract accepts (its `file`, or a name made from its glob)."""
        if self.file is not None:
            return self.file
        return example_for_glob(self.match or "")
