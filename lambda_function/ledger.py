"""The ingest ledger: one row per loaded object, written in the same transaction as its rows.

It makes loading exactly-once (a re-delivered event finds its object here and is SKIPPED) and
notification at-least-once: the outcome message is stored with the rows and marked published only
after SNS accepted it, so a retry after an SNS failure publishes the original message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import psycopg

from .sql import qualified

LEDGER_TABLE = "ingest_ledger"


def create_ledger_sql(schema: str) -> str:
    return f"""CREATE TABLE IF NOT EXISTS {qualified(schema, LEDGER_TABLE)} (
        bucket text NOT NULL,
        object_key text NOT NULL,
        object_id text NOT NULL,
        version_id text,
        etag text,
        sequencer text,
        table_name text NOT NULL,
        load_mode text NOT NULL,
        rows_loaded bigint NOT NULL,
        request_id text,
        loaded_at timestamptz NOT NULL DEFAULT now(),
        outcome jsonb NOT NULL,
        published_at timestamptz,
        PRIMARY KEY (bucket, object_key, object_id))"""


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    loaded_at: str
    request_id: str | None
    outcome: dict[str, Any]
    published: bool


def object_id(version_id: str | None, etag: str | None) -> str:
    """An object's identity within its key: the version id when there is one, else the ETag."""
    if version_id:
        return f"version:{version_id}"
    return f"etag:{(etag or '').strip(chr(34))}"


def find(cur: psycopg.Cursor[Any], schema: str, bucket: str, key: str, oid: str) -> LedgerEntry | None:
    cur.execute(
        f"SELECT loaded_at::text, request_id, outcome, published_at IS NOT NULL "
        f"FROM {qualified(schema, LEDGER_TABLE)} WHERE bucket = %s AND object_key = %s AND object_id = %s",
        (bucket, key, oid),
    )
    row = cur.fetchone()
    return LedgerEntry(row[0], row[1], row[2], row[3]) if row else None


def sequencer_key(sequencer: str) -> str:
    """S3 sequencers compare as hex strings after left-padding to equal length."""
    return sequencer.upper().rjust(32, "0")


def newer_sequencer_loaded(cur: psycopg.Cursor[Any], schema: str, bucket: str, key: str, sequencer: str) -> bool:
    cur.execute(
        f"SELECT sequencer FROM {qualified(schema, LEDGER_TABLE)} "
        f"WHERE bucket = %s AND object_key = %s AND sequencer IS NOT NULL",
        (bucket, key),
    )
    mine = sequencer_key(sequencer)
    return any(sequencer_key(s) > mine for (s,) in cur.fetchall())


def record(cur: psycopg.Cursor[Any], schema: str, *, bucket: str, key: str, oid: str, version_id: str | None,
           etag: str | None, sequencer: str | None, table: str, mode: str, rows: int, request_id: str,
           outcome: dict[str, Any]) -> None:
    cur.execute(
        f"INSERT INTO {qualified(schema, LEDGER_TABLE)} (bucket, object_key, object_id, version_id, etag, "
        f"sequencer, table_name, load_mode, rows_loaded, request_id, outcome) "
        f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb)",
        (bucket, key, oid, version_id, etag, sequencer, table, mode, rows, request_id, json.dumps(outcome)),
    )


def mark_published(cur: psycopg.Cursor[Any], schema: str, bucket: str, key: str, oid: str) -> None:
    cur.execute(
        f"UPDATE {qualified(schema, LEDGER_TABLE)} SET published_at = now() "
        f"WHERE bucket = %s AND object_key = %s AND object_id = %s",
        (bucket, key, oid),
    )
