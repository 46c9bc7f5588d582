"""The ledger as the function wrote it (`harness loads`), and a key unloaded by hand (`harness unload`).

`loads` only reads `ingest_ledger`. `unload` runs the function's own unload (lambda_function.pipeline.unload)
against the stack: the same object and table locks as a load of that key, the rows of every live load of
the key deleted and the loads marked unloaded in one transaction, and one UNLOADED message on the stack's
topic. Unlike a removal event it does not ask S3 whether the object is gone: a person asked for it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from harness.stack import StackInfo, stack_client
from lambda_function.contract import Contract, load_contracts
from lambda_function.contract.loader import contracts_folder
from lambda_function.contract.model import LINEAGE_COLUMN
from lambda_function.loading.ddl import qualified

LEDGER = "ingest_ledger"
COLUMNS = ("load_id", "loaded_at", "bucket", "key", "version_id", "etag", "status", "rows_loaded", "rows_rejected",
           "rows_removed", "table", "mode", "contract", "unloaded_at", "replaced_by")
_SELECT = sql.SQL(
    "SELECT load_id, loaded_at, bucket, object_key, version_id, etag, status, rows_loaded, "
    "(outcome->>'rows_rejected')::bigint, (outcome->>'rows_removed')::bigint, table_name, load_mode, contract, "
    "unloaded_at, replaced_by FROM {ledger} WHERE ({table}::text IS NULL OR table_name = {table}) "
    "AND ({key}::text IS NULL OR object_key = {key}) ORDER BY load_id")


class UnloadRefused(Exception):
    """The key cannot be unloaded (not whitelisted, or its table has no lineage): the reason, for a person."""


def read_loads(stack: StackInfo, schema: str, *, table: str | None = None, key: str | None = None
               ) -> list[dict[str, Any]]:
    """Every ledger entry (loads, FAILED verdicts, unloads), oldest first; [] when nothing was loaded yet."""
    with psycopg.connect(stack.pg_url, connect_timeout=10) as conn, conn.cursor() as cur:
        if not _exists(cur, schema, LEDGER):
            return []
        query = _SELECT.format(ledger=sql.Identifier(schema, LEDGER), table=sql.Placeholder("table"),
                               key=sql.Placeholder("key"))
        rows = cur.execute(query, {"table": table, "key": key}).fetchall()
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


@dataclass(frozen=True)
class Pending:
    """What unloading a key would remove: its contract, the loads whose rows are still there, and how many rows."""

    contract: Contract
    load_ids: list[int]
    rows: int


def contract_for(stack: StackInfo, key: str) -> Contract:
    """The contract the stack's function would load `key` under; it must have lineage."""
    whitelist = load_contracts(stack.table_contracts or contracts_folder())
    contract = whitelist.lookup(key)
    if contract is None:
        raise UnloadRefused(f"{key!r} is not a whitelisted name (accepted: {whitelist.accepted_names()})")
    if not contract.lineage:
        raise UnloadRefused(f"table {contract.table} has no lineage ({contract.source}): its rows do not name the "
                            "file they came from (set lineage: true; rows loaded before keep NULL)")
    return contract


def pending(stack: StackInfo, schema: str, key: str) -> Pending:
    from lambda_function.loading import ledger

    contract = contract_for(stack, key)
    with psycopg.connect(stack.pg_url, connect_timeout=10) as conn, conn.cursor() as cur:
        if not _exists(cur, schema, LEDGER):
            return Pending(contract, [], 0)
        load_ids = ledger.live_loads(cur, schema, stack.bucket, key, contract.table)
        if not load_ids or not _exists(cur, schema, contract.table):
            return Pending(contract, load_ids, 0)
        count = sql.SQL("SELECT count(*) FROM {t} WHERE {c} = ANY(%s)").format(
            t=sql.Identifier(schema, contract.table), c=sql.Identifier(LINEAGE_COLUMN))
        try:
            rows = int((cur.execute(count, (load_ids,)).fetchone() or (0,))[0])
        except psycopg.errors.UndefinedColumn:  # lineage on in the contract, not yet in the table
            rows = 0
    return Pending(contract, load_ids, rows)


def _exists(cur: psycopg.Cursor[Any], schema: str, name: str) -> bool:
    return cur.execute("SELECT to_regclass(%s)", (qualified(schema, name),)).fetchone() != (None,)


def unload(stack: StackInfo, schema: str, key: str) -> dict[str, Any]:
    """Run the function's unload for `key` of the stack's bucket; the message it published (UNLOADED or SKIPPED)."""
    from sqlalchemy import create_engine

    from lambda_function.config import load_settings
    from lambda_function.job import Clients, Deadline
    from lambda_function.pipeline import unload as unload_key
    from lambda_function.reading.objects import ObjectRef

    contract = contract_for(stack, key)
    settings = load_settings({**stack.lambda_environment(), "DB_SCHEMA": schema})
    engine = create_engine(stack.database_url, pool_size=1)
    try:
        clients = Clients(s3=stack_client(stack, "s3"), sns=stack_client(stack, "sns"), engine=engine)
        return unload_key(ObjectRef(stack.bucket, key), contract, clients, settings, f"harness-unload-{uuid.uuid4()}",
                          Deadline(None, settings.deadline_margin_ms), only_if_gone=False)
    finally:
        engine.dispose()
