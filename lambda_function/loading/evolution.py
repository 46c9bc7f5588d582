"""The table a load writes to, against its contract: created when missing, safe changes applied, else drift.

A load that changes the table's definition must have the table to itself: `changes_pending` reads the
catalogue before the table lock is taken, so the pipeline asks for the exclusive lock instead of the shared
one, and `ensure_table` reads it again once the lock is held (another load may have changed it meanwhile).
The statements run inside the load's own transaction: rolled back with it when the file FAILS, committed with
its rows otherwise. ALTER TABLE holds PostgreSQL's ACCESS EXCLUSIVE lock on the table until that commit, so
readers of the table wait for the one load that changes it (README, "Schema changes").
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors as pg_errors

from ..contract.model import LINEAGE_COLUMN, Contract
from ..errors import SchemaDrift, TransientError
from .clashes import has_rows as table_has_rows
from .ddl import create_table_statements
from .schema_diff import (
    TableColumn,
    TableDefinition,
    blocking,
    compare,
    definition_fingerprint,
    drift_errors,
    load_statements,
)

COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

PRIMARY_KEY_SQL = """
SELECT con.conname, ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, i)
                          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.i)
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s AND con.contype = 'p'
"""


LINEAGE_SQL = """
SELECT (SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum),
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indkey[0] = a.attnum)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s AND a.attname = %s AND NOT a.attisdropped
"""


class NeedsExclusiveLock(Exception):
    """The table needs a safe change, but this load holds only the shared table lock: take the exclusive one."""


def read_table(cur: psycopg.Cursor[Any], schema: str, contract: Contract, *,
               count_rows: bool = True) -> TableDefinition | None:
    """The contract's table as the catalogue describes it (None: missing).

    Whether it has rows is asked only when that decides something (a required column the table lacks) and
    `count_rows`: the question waits for a lock another session may hold, the catalogue never does.
    """
    cur.execute(COLUMNS_SQL, (schema, contract.table))
    columns = tuple(TableColumn(name, spelled, bool(not_null)) for name, spelled, not_null in cur.fetchall())
    if not columns:
        return None
    cur.execute(PRIMARY_KEY_SQL, (schema, contract.table))
    key = cur.fetchone()
    has_rows = None
    present = {c.name for c in columns}
    if count_rows and any(c.required and c.name not in present for c in contract.columns):
        has_rows = table_has_rows(cur, schema, contract)
    lineage_default, lineage_indexed = None, False
    if LINEAGE_COLUMN in present:
        cur.execute(LINEAGE_SQL, (schema, contract.table, LINEAGE_COLUMN))
        lineage_default, lineage_indexed = cur.fetchone() or (None, False)
    return TableDefinition(schema, contract.table, columns, tuple(key[1]) if key else (), key[0] if key else None,
                           has_rows, lineage_default, bool(lineage_indexed))


def changes_pending(raw: psycopg.Connection[Any], schema: str, contract: Contract) -> bool:
    """Will this load apply schema changes? Asked before the table lock, from the catalogue alone."""
    with raw.cursor() as cur:
        table = read_table(cur, schema, contract, count_rows=False)
    return table is not None and bool(load_statements(compare(table, contract, schema), contract.evolve))


def ensure_table(cur: psycopg.Cursor[Any], schema: str, contract: Contract, *, may_alter: bool,
                 lock_wait_ms: int) -> list[str]:
    """The statements this load applied to the table (inside its transaction): CREATE for a missing table,
    the safe changes for one that differs only so; raises SchemaDrift for anything else.

    Appends share the table lock, so two first loads may both find the table missing: a transaction lock per
    table lets one create it (rolled back with its load if that fails) while the other waits and looks again.
    """
    table = read_table(cur, schema, contract)
    if table is None:
        cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                    (f"ingest:create:{schema}.{contract.table}",))
        table = read_table(cur, schema, contract)
    if table is None:
        statements = create_table_statements(schema, contract)
        for statement in statements:
            cur.execute(statement)
        return statements
    differences = compare(table, contract, schema)
    if blocking(differences, contract.evolve):
        raise SchemaDrift(drift_errors(differences, contract), table_fingerprint=definition_fingerprint(table))
    statements = load_statements(differences, contract.evolve)
    if statements and not may_alter:
        raise NeedsExclusiveLock(contract.table)
    if statements:
        _apply(cur, contract.table, statements, lock_wait_ms)
    return statements


def _apply(cur: psycopg.Cursor[Any], table: str, statements: list[str], lock_wait_ms: int) -> None:
    """Run the statements, waiting at most `lock_wait_ms` for readers of the table to let go (then: retry)."""
    cur.execute(f"SET LOCAL lock_timeout = {max(1, int(lock_wait_ms))}")
    try:
        for statement in statements:
            cur.execute(statement)
    except pg_errors.LockNotAvailable as exc:
        raise TransientError(f"table {table} stayed in use by other sessions; its schema change is retried") from exc
    cur.execute("SET LOCAL lock_timeout TO DEFAULT")
