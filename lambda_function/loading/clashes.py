"""Rows of a file whose primary key is already in the table (append), found before COPY would trip on them.

Asked on a second connection, so it sees what other loads committed and nothing of this load's own
uncommitted rows (repeats within the file are the validator's business). One query per block: the
block's keys as text arrays, cast to the column types, probed against the primary key's index. A
replace_file load has deleted its key's earlier rows in its own transaction, which the second connection
still sees: rows of those loads (`replaced`) are no clash.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import psycopg

from ..checking.validator import KeyLookup
from ..contract.model import LINEAGE_COLUMN, Contract
from .ddl import ident, qualified

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def has_rows(cur: psycopg.Cursor[Any], schema: str, contract: Contract) -> bool:
    cur.execute(f"SELECT EXISTS (SELECT 1 FROM {qualified(schema, contract.table)})")
    row = cur.fetchone()
    return bool(row and row[0])


def lookup_sql(schema: str, contract: Contract, *, replacing: bool = False) -> str:
    """`replacing`: one more parameter, the load ids whose rows do not count (deleted by this load)."""
    key = contract.primary_key
    arrays = ", ".join("%s::text[]" for _ in key)
    names = ", ".join(f"k{i}" for i in range(len(key)))
    match = " AND ".join(f"t.{ident(name)} = v.k{i}::{contract.column(name).type.ddl}" for i, name in enumerate(key))
    if replacing:
        lineage = f"t.{ident(LINEAGE_COLUMN)}"
        match += f" AND ({lineage} IS NULL OR {lineage} <> ALL(%s::bigint[]))"
    return (f"SELECT v.n FROM unnest({arrays}) WITH ORDINALITY AS v({names}, n) "
            f"WHERE EXISTS (SELECT 1 FROM {qualified(schema, contract.table)} t WHERE {match})")


def _ask(conn: psycopg.Connection[Any], sql: str, columns: list[list[str]], *extra: Any) -> list[int]:
    """0-based positions of the block's keys that are in the table."""
    return [int(n) - 1 for (n,) in conn.execute(sql, [*columns, *extra]).fetchall()]


def _mask(size: int, hits: list[int]) -> np.ndarray:
    found = np.zeros(size, dtype=bool)
    found[hits] = True
    return found


@contextmanager
def key_lookup(engine: Engine, schema: str, contract: Contract, replaced: list[int]) -> Iterator[KeyLookup]:
    """A function: key columns' values (text) -> True where that key is already loaded (by another load than
    the `replaced` ones)."""
    sql = lookup_sql(schema, contract, replacing=bool(replaced))
    extra = [replaced] if replaced else []
    with engine.connect() as conn:
        raw: psycopg.Connection[Any] = conn.connection.driver_connection  # type: ignore[assignment]
        raw.rollback()
        raw.autocommit = True
        try:
            def lookup(values: dict[str, list[str]]) -> np.ndarray:
                columns = [values[name] for name in contract.primary_key]
                return _mask(len(columns[0]), _ask(raw, sql, columns, *extra))

            yield lookup
        finally:
            if not raw.closed:
                raw.autocommit = False


class RememberedLookup:
    """The same question for a load that changed the table's definition (evolution.py).

    Its ALTER TABLE holds an ACCESS EXCLUSIVE lock until the load ends, so a second connection would wait
    for it forever. The load's own connection sees the same committed rows (the first pass was rolled back
    to its savepoint), but cannot answer while it COPYs: a reading pass `ask`s and remembers the keys found,
    a copying pass then `answer`s from memory. Such a load holds the exclusive table lock, so no other load
    commits rows into the table in between.
    """

    def __init__(self, cur: psycopg.Cursor[Any], schema: str, contract: Contract) -> None:
        self._conn = cur.connection
        self._sql = lookup_sql(schema, contract)
        self._names = contract.primary_key
        self._found: set[tuple[str, ...]] = set()

    def ask(self, values: dict[str, list[str]]) -> np.ndarray:
        columns = [values[name] for name in self._names]
        hits = _ask(self._conn, self._sql, columns)
        self._found.update(tuple(str(column[i]) for column in columns) for i in hits)
        return _mask(len(columns[0]), hits)

    def answer(self, values: dict[str, list[str]]) -> np.ndarray:
        keys = zip(*(values[name] for name in self._names), strict=True)
        return np.array([tuple(str(v) for v in key) in self._found for key in keys], dtype=bool)
