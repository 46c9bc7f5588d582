"""Load strategies: validated blocks go to PostgreSQL with COPY, inside the caller's one transaction.

Atomicity is the caller's transaction (pipeline.py): every strategy below only issues statements in
it, so a failure anywhere (bad row late in the file, lost connection, deadline) rolls everything back.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from ..contract.model import LINEAGE_COLUMN, Contract
from ..errors import FileRejected, RowError
from ..reading.blocks import Block
from .ddl import copy_sql, ident, qualified


class AppendStrategy:
    """append: COPY straight into the table; rolled back with the transaction on any failure."""

    def prepare(self, cur: psycopg.Cursor[Any], schema: str, contract: Contract) -> str:
        return qualified(schema, contract.table)

    def finish(self, cur: psycopg.Cursor[Any], schema: str, contract: Contract, copied: int,
               columns: list[str]) -> int:
        return copied


class ReplaceStrategy(AppendStrategy):
    """replace: DELETE then COPY in one transaction. The table object (grants, indexes, views,
    comments) is kept, and MVCC readers see the old rows until commit: never empty, never half-loaded.
    DELETE rather than TRUNCATE so readers are not blocked by an ACCESS EXCLUSIVE lock meanwhile."""

    def prepare(self, cur: psycopg.Cursor[Any], schema: str, contract: Contract) -> str:
        target = qualified(schema, contract.table)
        cur.execute(f"DELETE FROM {target}")
        return target


class ReplaceFileStrategy(AppendStrategy):
    """replace_file: COPY like append. The rows of the key's earlier versions were deleted in this same
    transaction before (lineage.remove_key), so a FAILED new version rolls back to them, readers see the old
    version until commit, and the shared table lock lets other keys load meanwhile."""


class UpsertStrategy:
    """upsert: COPY into a temporary stage (dropped at commit; its primary key refuses a key repeated in the
    file, as the table's would), then INSERT … ON CONFLICT (pk) DO UPDATE of the columns the file has: an
    optional column the file leaves out keeps its stored value. With lineage an updated row names this load."""

    def prepare(self, cur: psycopg.Cursor[Any], schema: str, contract: Contract) -> str:
        cur.execute(f"CREATE TEMP TABLE ingest_stage (LIKE {qualified(schema, contract.table)}) ON COMMIT DROP")
        cur.execute(f"ALTER TABLE ingest_stage ADD PRIMARY KEY ({', '.join(ident(c) for c in contract.primary_key)})")
        return "ingest_stage"

    def finish(self, cur: psycopg.Cursor[Any], schema: str, contract: Contract, copied: int,
               columns: list[str]) -> int:
        present = [c for c in contract.column_names if c in columns]
        cols = ", ".join(ident(c) for c in present)
        pk = ", ".join(ident(c) for c in contract.primary_key)
        updated = [c for c in present if c not in contract.primary_key] + ([LINEAGE_COLUMN] if contract.lineage else [])
        updates = ", ".join(f"{ident(c)} = EXCLUDED.{ident(c)}" for c in updated)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        cur.execute(f"INSERT INTO {qualified(schema, contract.table)} ({cols}) SELECT {cols} FROM ingest_stage "
                    f"ON CONFLICT ({pk}) {action}")
        return cur.rowcount


LoadStrategy = AppendStrategy | UpsertStrategy
STRATEGIES: dict[str, LoadStrategy] = {
    "append": AppendStrategy(), "replace": ReplaceStrategy(), "upsert": UpsertStrategy(),
    "replace_file": ReplaceFileStrategy(),
}


class _CopyPump:
    """Feeds COPY from a worker thread so the next block is validated while this one is written.

    psycopg releases the GIL while it waits on the socket; the queue holds at most two blocks, so
    memory stays bounded whatever the file size.
    """

    def __init__(self, copy: psycopg.Copy) -> None:
        self._copy = copy
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="copy-pump", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._copy.write(data)
                except BaseException as exc:  # handed to the main thread in put()/close()
                    self._error = exc

    def put(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(data)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def copy_blocks(cur: psycopg.Cursor[Any], contract: Contract, schema: str, columns: list[str],
                blocks: Iterator[Block]) -> int:
    """Run the table's strategy: prepare, COPY every block's original bytes, finish. Returns rows loaded."""
    strategy = STRATEGIES[contract.mode]
    target = strategy.prepare(cur, schema, contract)
    nullable = [c.name for c in contract.columns if not c.required and c.name in columns]
    sql = copy_sql(target, columns, nullable, contract.delimiter, contract.missing, contract.text_encoding.postgres)
    copied = 0
    with cur.copy(sql) as copy:
        pump = _CopyPump(copy)
        try:
            for block in blocks:
                pump.put(block.data)
                copied += block.rows
        finally:
            pump.close()
    return strategy.finish(cur, schema, contract, copied, columns)


def conflict_error(exc: pg_errors.UniqueViolation, contract: Contract, row_of: Any) -> FileRejected:
    """Explain a primary-key clash found by COPY: a row of this file that is already in the table."""
    diag = exc.diag
    detail = diag.message_detail or ""
    column, value = None, None
    if detail.startswith("Key (") and ")=(" in detail:
        column = detail[len("Key ("): detail.index(")=(")]
        value = detail[detail.index(")=(") + 3: detail.rindex(")")]
    row = row_of(column, value) if column and value is not None else None
    return FileRejected([RowError(row, column, value, loaded_key_rule(contract))], final=False)


def loaded_key_rule(contract: Contract) -> str:
    """The rule of a row whose primary key is already in the table (as the validator's key lookup words it)."""
    return f"unique against rows already loaded in {contract.table}"
