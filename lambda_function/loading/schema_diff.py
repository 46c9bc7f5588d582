"""A table compared with its contract: every difference, classed safe / rewrite / breaking (README, "Schema changes").

Pure functions over what the catalogue says (`TableDefinition`, read by evolution.py) and the contract, so
the load, `harness contract plan` and the tests share one classification:
- safe: an optional contract column the table lacks (ADD COLUMN; a required one too while the table is
  empty); a table column the contract does not list that is nullable (left as is);
  DROP NOT NULL; varchar(n) -> varchar(m > n) or text; numeric(p,s) -> numeric(p' > p, s); lineage turned on
  (the column, its default, its index when rows are deleted by their load; rows already there keep NULL);
- rewrite: smallint -> integer -> bigint, real -> double precision, a primary key on a table without one;
- breaking: narrowing, another type, a new required column while the table has rows, a NOT NULL table
  column the contract does not list, a column the contract made required (SET NOT NULL), a changed key.
A load applies the safe ones itself when the contract says `evolve: safe` and nothing else differs;
everything else is drift: one error per difference, naming the statement a person (or `harness contract
apply`, for safe and rewrite ones) runs.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum

from ..contract.fingerprint import DIGITS, canonical
from ..contract.model import COUNTS_WHEN_SET, LINEAGE_COLUMN, Column, Contract
from ..contract.pgtypes import INTEGER_TYPES, SIMPLE_TYPES, PgType
from ..errors import RowError
from .ddl import (
    LINEAGE_DEFAULT,
    LINEAGE_SETTING,
    add_lineage_sql,
    column_ddl,
    create_table_sql,
    ident,
    lineage_index_sql,
    qualified,
)


class Kind(StrEnum):
    SAFE = "safe"
    REWRITE = "rewrite"
    BREAKING = "breaking"


@dataclass(frozen=True, slots=True)
class TableColumn:
    name: str
    type: str  # format_type(), e.g. "character varying(20)"
    not_null: bool


@dataclass(frozen=True, slots=True)
class TableDefinition:
    """What the catalogue says about one table: columns in table order, its primary key."""

    schema: str
    name: str
    columns: tuple[TableColumn, ...]
    primary_key: tuple[str, ...] = ()
    primary_key_constraint: str | None = None
    has_rows: bool | None = None  # asked only when it decides something (a new required column); None: unknown
    # The lineage column's default (pg_get_expr) and whether an index leads with it; read only when it exists.
    lineage_default: str | None = field(default=None, metadata=COUNTS_WHEN_SET)
    lineage_indexed: bool = field(default=False, metadata=COUNTS_WHEN_SET)

    @property
    def target(self) -> str:
        return qualified(self.schema, self.name)

    def column(self, name: str) -> TableColumn | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True, slots=True)
class Difference:
    """One way the table differs from its contract, and the statement that makes them agree (None: nothing to run)."""

    kind: Kind
    column: str | None
    table: str | None  # the table's definition, as the catalogue spells it (None: the table lacks the column)
    contract: str  # what the contract says, in words
    statement: str | None
    advice: str = ""  # what else a person should know (how to choose, what the statement costs)


# format_type() spellings back to the contract's types; anything else (json, unconstrained numeric...) stays text.
_FROM_CATALOG = {PgType(base).catalog: PgType(base) for base in SIMPLE_TYPES}
_PARAMETRIC = re.compile(r"(numeric|character varying|character)\((\d+)(?:,(\d+))?\)")
_INTEGER_RANK = {name: rank for rank, name in enumerate(INTEGER_TYPES)}


def from_catalog(spelled: str) -> PgType | None:
    """The contract type a format_type() string names, or None when no contract type is spelled so."""
    if spelled in _FROM_CATALOG:
        return _FROM_CATALOG[spelled]
    m = _PARAMETRIC.fullmatch(spelled)
    if m is None:
        return None
    base, first, second = m.group(1), int(m.group(2)), m.group(3)
    if base == "numeric":
        return PgType("numeric", precision=first, scale=int(second or 0))
    return PgType("varchar" if base == "character varying" else "char", length=first)


def _widening(old: PgType, new: PgType) -> Kind | None:
    """SAFE or REWRITE when `new` holds every value of `old` (the README's list), else None."""
    longer = new.base == "varchar" and (new.length or 0) > (old.length or 0)
    if old.base == "varchar" and (new.base == "text" or longer):
        return Kind.SAFE
    if old.base == new.base == "numeric" and old.scale == new.scale and (new.precision or 0) > (old.precision or 0):
        return Kind.SAFE
    if old.base in _INTEGER_RANK and new.base in _INTEGER_RANK and _INTEGER_RANK[new.base] > _INTEGER_RANK[old.base]:
        return Kind.REWRITE
    if (old.base, new.base) == ("real", "double precision"):
        return Kind.REWRITE
    return None


def type_change(table: PgType | None, contract: PgType) -> tuple[Kind, str] | None:
    """How a column's type changes from the table's to the contract's: None when equal, else (kind, in words)."""
    if table == contract:
        return None
    if table is None:
        return Kind.BREAKING, "another type"
    if (kind := _widening(table, contract)) is not None:
        return kind, "wider"
    if _widening(contract, table) is not None:
        return Kind.BREAKING, "narrower"
    return Kind.BREAKING, "another type"


def _defined(column: TableColumn) -> str:
    return column.type + (" NOT NULL" if column.not_null else "")


def _wanted(column: Column) -> str:
    return column.type.ddl + (" NOT NULL" if column.required else " (optional)")


def _key(names: tuple[str, ...]) -> str:
    return f"primary key ({', '.join(names)})" if names else "no primary key"


def compare(table: TableDefinition | None, contract: Contract, schema: str) -> list[Difference]:
    """Every difference between the table (None: missing) and the contract, contract columns first."""
    if table is None:
        created = [Difference(Kind.SAFE, None, None, f"table {contract.table}", create_table_sql(schema, contract),
                              "the first load creates it")]
        if contract.deletes_by_load:
            created.append(Difference(Kind.SAFE, LINEAGE_COLUMN, None, _LINEAGE_INDEX,
                                      lineage_index_sql(schema, contract.table), "the first load creates it"))
        return created
    found: list[Difference] = []
    for column in contract.columns:
        existing = table.column(column.name)
        found += _new_column(table, column) if existing is None else _changed_column(table, existing, column,
                                                                                      contract.primary_key)
    listed = set(contract.column_names) | ({LINEAGE_COLUMN} if contract.lineage else set())
    found += [d for c in table.columns if c.name not in listed for d in _unlisted_column(table, c)]
    found += _lineage(table, contract)
    found += _primary_key(table, contract)
    return found


_LINEAGE_WANTED = "bigint, the load each row came from (lineage)"
_LINEAGE_INDEX = "an index on the lineage column (rows are deleted by the load that wrote them)"


def _lineage(table: TableDefinition, contract: Contract) -> list[Difference]:
    """Lineage turned on (safe: the column, its default, its index); a column of that name of another type breaks."""
    if not contract.lineage:
        return []
    existing = table.column(LINEAGE_COLUMN)
    found = []
    if existing is None:
        found.append(Difference(Kind.SAFE, LINEAGE_COLUMN, None, _LINEAGE_WANTED, add_lineage_sql(table.target),
                                "rows already in the table keep NULL there"))
    elif existing.type != "bigint":
        return [Difference(Kind.BREAKING, LINEAGE_COLUMN, _defined(existing), _LINEAGE_WANTED, None,
                           "the table has a column of that name of its own: rename it, lineage needs the name")]
    elif LINEAGE_SETTING not in (table.lineage_default or ""):
        found.append(Difference(Kind.SAFE, LINEAGE_COLUMN, f"bigint default {table.lineage_default}",
                                _LINEAGE_WANTED, f"ALTER TABLE {table.target} ALTER COLUMN {ident(LINEAGE_COLUMN)} "
                                f"SET DEFAULT {LINEAGE_DEFAULT}", "without it, loads leave the column NULL"))
    if contract.deletes_by_load and not table.lineage_indexed:
        found.append(Difference(Kind.SAFE, LINEAGE_COLUMN, None if existing is None else "not indexed", _LINEAGE_INDEX,
                                lineage_index_sql(table.schema, table.name),
                                "PostgreSQL reads the table to build it; writes to the table wait meanwhile"))
    return found


def _new_column(table: TableDefinition, column: Column) -> list[Difference]:
    add = f"ALTER TABLE {table.target} ADD COLUMN {column_ddl(column)}"
    if not column.required:
        return [Difference(Kind.SAFE, column.name, None, _wanted(column), add)]
    if table.has_rows is False:
        return [Difference(Kind.SAFE, column.name, None, _wanted(column), add, "the table is empty")]
    col, ddl = ident(column.name), column.type.ddl
    by_hand = (f"ALTER TABLE {table.target} ADD COLUMN {col} {ddl}; UPDATE {table.target} SET {col} = …; "  # noqa: S608
               f"ALTER TABLE {table.target} ALTER COLUMN {col} SET NOT NULL")
    return [Difference(Kind.BREAKING, column.name, None, _wanted(column), by_hand,
                       "a required column cannot be added to a table that has rows: fill it by hand, "
                       "or make it required: false")]


def _changed_column(table: TableDefinition, existing: TableColumn, column: Column,
                    key: tuple[str, ...]) -> list[Difference]:
    found = []
    alter = f"ALTER TABLE {table.target} ALTER COLUMN {ident(column.name)}"
    change = type_change(from_catalog(existing.type), column.type)
    if change is not None:
        kind, how = change
        ddl = column.type.ddl
        if kind is Kind.BREAKING:
            found.append(Difference(kind, column.name, _defined(existing), f"{ddl} ({how})",
                                    f"{alter} TYPE {ddl} USING {ident(column.name)}::{ddl}",
                                    "existing values may not convert: a person decides"))
        else:
            advice = "PostgreSQL rewrites the table: harness contract apply runs it" if kind is Kind.REWRITE else ""
            found.append(Difference(kind, column.name, _defined(existing), f"{ddl} ({how})", f"{alter} TYPE {ddl}",
                                    advice))
    if existing.not_null and not column.required:
        found.append(Difference(Kind.SAFE, column.name, _defined(existing), _wanted(column), f"{alter} DROP NOT NULL"))
    elif column.required and not existing.not_null and column.name not in key:  # ADD PRIMARY KEY sets it
        found.append(Difference(Kind.BREAKING, column.name, _defined(existing), _wanted(column),
                                f"{alter} SET NOT NULL", "fails while a row holds NULL there: a person decides"))
    return found


def _unlisted_column(table: TableDefinition, existing: TableColumn) -> list[Difference]:
    if not existing.not_null:
        return [Difference(Kind.SAFE, existing.name, _defined(existing), "not listed", None,
                           "left as is: new rows get NULL there")]
    return [Difference(Kind.BREAKING, existing.name, _defined(existing), "not listed",
                       f"ALTER TABLE {table.target} ALTER COLUMN {ident(existing.name)} DROP NOT NULL",
                       "a load cannot fill it: keep it (the statement; new rows get NULL) or list it in the contract")]


def _primary_key(table: TableDefinition, contract: Contract) -> list[Difference]:
    # Key columns in another order enforce the same uniqueness and serve ON CONFLICT alike: not a difference.
    wanted, existing = contract.primary_key, table.primary_key
    if set(wanted) == set(existing):
        return []
    column = wanted[0] if len(wanted) == 1 else None
    add = f"ADD PRIMARY KEY ({', '.join(ident(c) for c in wanted)})"
    if not existing:
        return [Difference(Kind.REWRITE, column, _key(existing), _key(wanted), f"ALTER TABLE {table.target} {add}",
                           "PostgreSQL checks every row and builds the key's index: harness contract apply runs it")]
    drop = f"DROP CONSTRAINT {ident(table.primary_key_constraint or table.name + '_pkey')}"
    statement = f"ALTER TABLE {table.target} {drop}" + (f", {add}" if wanted else "")
    return [Difference(Kind.BREAKING, column, _key(existing), _key(wanted), statement,
                       "a changed primary key changes what an upsert merges and what counts as a clash: a person "
                       "decides")]


def blocking(differences: list[Difference], evolve: str) -> list[Difference]:
    """What stops a load: every difference under `evolve: none`, else those that are not safe."""
    return list(differences) if evolve == "none" else [d for d in differences if d.kind is not Kind.SAFE]


def load_statements(differences: list[Difference], evolve: str) -> list[str]:
    """What a load applies itself: the safe statements, when nothing blocks it."""
    if blocking(differences, evolve):
        return []
    return [d.statement for d in differences if d.statement is not None]


def drift_errors(differences: list[Difference], contract: Contract) -> list[RowError]:
    """The FAILED outcome's errors, one per difference, the table's definition as the value: what stops the load
    first, then the safe changes it would apply (a column merely left as is, under `evolve: safe`, is no error)."""
    stopping = blocking(differences, contract.evolve)
    shown = stopping + [d for d in differences if d not in stopping and d.statement]
    errors = []
    for d in shown:
        kind = f"{d.kind}, but evolve: none" if d.kind is Kind.SAFE and contract.evolve == "none" else str(d.kind)
        action = f"run {d.statement}" if d.statement else "nothing to run"
        if d.kind is Kind.SAFE and contract.evolve == "safe":
            action += " (a load applies it once nothing else differs)"
        advice = f" ({d.advice})" if d.advice else ""
        rule = f"schema drift ({kind}): the contract says {d.contract}; {action}{advice}"
        errors.append(RowError(None, d.column, d.table, rule))
    return errors


def definition_fingerprint(table: TableDefinition) -> str:
    """The table's definition as the ledger keeps it beside a drift FAILED: the same 12 hex digits as a contract's."""
    text = json.dumps(canonical(table), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGITS]
