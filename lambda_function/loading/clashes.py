"""Rows of a file whose primary key is already in the table (append), found before COPY would trip on them.

Asked on a second connection, so it sees what other loads committed and nothing of this load's own
uncommitted rows (repeats within the file are the validator's business). One query per block: the
block's keys as text arrays, cast to the column types, probed against the primary key's index.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg
from sqlalchemy.engine import Engine

from ..checking.validator import KeyLookup
from ..contract.model import Contract
from .ddl import ident, qualified


def has_rows(cur: psycopg.Cursor[Any], schema: str, contract: Contract) -> bool:
    cur.execute(f"SELECT EXISTS (SELECT 1 FROM {qualified(schema, contract.table)})")
    row = cur.fetchone()
    return bool(row and row[0])


def lookup_sql(schema: str, contract: Contract) -> str:
    key = contract.primary_key
    arrays = ", ".join("%s::text[]" for _ in key)
    names = ", ".join(f"k{i}" for i in range(len(key)))
    match = " AND ".join(f"t.{ident(name)} = v.k{i}::{contract.column(name).type.ddl}" for i, name in enumerate(key))
    return (f"SELECT v.n FROM unnest({arrays}) WITH ORDINALITY AS v({names}, n) "
            f"WHERE EXISTS (SELECT 1 FROM {qualified(schema, contract.table)} t WHERE {match})")


@contextmanager
def key_lookup(engine: Engine, schema: str, contract: Contract) -> Iterator[KeyLookup]:
    """A function: key columns' values (text) -> True where that key is already loaded."""
    sql = lookup_sql(schema, contract)
    with engine.connect() as conn:
        raw: psycopg.Connection[Any] = conn.connection.driver_connection  # type: ignore[assignment]
        raw.rollback()
        raw.autocommit = True
        try:
            def lookup(values: dict[str, list[str]]) -> np.ndarray:
                columns = [values[name] for name in contract.primary_key]
                found = np.zeros(len(columns[0]), dtype=bool)
                hits = [int(n) - 1 for (n,) in raw.execute(sql, columns).fetchall()]
                found[hits] = True
                return found

            yield lookup
        finally:
            if not raw.closed:
                raw.autocommit = False
