"""Lineage: every row names the load it came from, so the rows of one object key can be found and removed.

A load sets `csv_ingest.load_id` for its own transaction (SET LOCAL) to the load_id it reserved in the ledger;
the table's `_ingest_load_id` default reads it, so COPY still gets the file's original bytes under the file's
own header. replace_file deletes the rows of the key's earlier loads before its COPY, in the same transaction
(a FAILED new version therefore keeps them); an unload deletes them on their own. Either way the ledger's
entries for those loads are marked unloaded in that transaction (ledger.mark_unloaded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from ..contract.model import LINEAGE_COLUMN, Contract
from ..reading.objects import ObjectRef
from . import ledger
from .ddl import LINEAGE_SETTING, ident, qualified


@dataclass(frozen=True, slots=True)
class Removed:
    """The loads whose rows were deleted, and how many rows that was."""

    load_ids: list[int] = field(default_factory=list)
    rows: int = 0


def set_load(cur: psycopg.Cursor[Any], load_id: int) -> None:
    """What the lineage column's default reads, for this transaction only (SET LOCAL)."""
    cur.execute("SELECT set_config(%s, %s, true)", (LINEAGE_SETTING, str(load_id)))


def remove_key(cur: psycopg.Cursor[Any], schema: str, contract: Contract, ref: ObjectRef) -> Removed:
    """Delete the rows every live load of this key wrote into the contract's table (inside the caller's
    transaction); their ledger entries are the caller's to mark. Rows loaded before the table had lineage
    carry NULL and stay: nothing says which file they came from."""
    load_ids = ledger.live_loads(cur, schema, ref.bucket, ref.key, contract.table)
    if not load_ids or not _has_lineage_column(cur, schema, contract.table):
        return Removed(load_ids, 0)
    cur.execute(f"DELETE FROM {qualified(schema, contract.table)} WHERE {ident(LINEAGE_COLUMN)} = ANY(%s)",
                (load_ids,))
    return Removed(load_ids, cur.rowcount)


def _has_lineage_column(cur: psycopg.Cursor[Any], schema: str, table: str) -> bool:
    cur.execute("SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = %s "
                "AND NOT attisdropped)", (qualified(schema, table), LINEAGE_COLUMN))
    row = cur.fetchone()
    return bool(row and row[0])
