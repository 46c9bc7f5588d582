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

from ..contract.model import Contract
from ..reading.objects import ObjectRef
from .ddl import qualified

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


def object_id(ref: ObjectRef) -> str:
    """An object's identity within its key: the version id when there is one, else the ETag."""
    if ref.version_id:
        return f"version:{ref.version_id}"
    return f"etag:{(ref.etag or '').strip(chr(34))}"


_WHERE_OBJECT = "WHERE bucket = %s AND object_key = %s AND object_id = %s"


def _identity(ref: ObjectRef) -> tuple[str, str, str]:
    return ref.bucket, ref.key, object_id(ref)


def find(cur: psycopg.Cursor[Any], schema: str, ref: ObjectRef) -> LedgerEntry | None:
    cur.execute(f"SELECT loaded_at::text, request_id, outcome, published_at IS NOT NULL "
                f"FROM {qualified(schema, LEDGER_TABLE)} {_WHERE_OBJECT}", _identity(ref))
    row = cur.fetchone()
    return LedgerEntry(row[0], row[1], row[2], row[3]) if row else None


def sequencer_key(sequencer: str) -> str:
    """S3 sequencers compare as hex strings after left-padding to equal length."""
    return sequencer.upper().rjust(32, "0")


def newer_sequencer_loaded(cur: psycopg.Cursor[Any], schema: str, ref: ObjectRef) -> bool:
    """Was a later upload of this key (by its event's sequencer) loaded already? False without a sequencer."""
    if not ref.sequencer:
        return False
    cur.execute(f"SELECT sequencer FROM {qualified(schema, LEDGER_TABLE)} "
                f"WHERE bucket = %s AND object_key = %s AND sequencer IS NOT NULL", (ref.bucket, ref.key))
    mine = sequencer_key(ref.sequencer)
    return any(sequencer_key(s) > mine for (s,) in cur.fetchall())


def record(cur: psycopg.Cursor[Any], schema: str, ref: ObjectRef, contract: Contract, rows: int, request_id: str,
           outcome: dict[str, Any]) -> None:
    cur.execute(
        f"INSERT INTO {qualified(schema, LEDGER_TABLE)} (bucket, object_key, object_id, version_id, etag, "
        f"sequencer, table_name, load_mode, rows_loaded, request_id, outcome) "
        f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb)",
        (*_identity(ref), ref.version_id, ref.etag, ref.sequencer, contract.table, contract.mode, rows, request_id,
         _jsonb_text(outcome)),
    )


def _jsonb_text(outcome: dict[str, Any]) -> str:
    """The outcome as JSON that jsonb accepts: a rejected value may hold NUL (a PARTIAL's errors name it),
    which jsonb refuses, so the stored copy shows U+FFFD there; the message itself is published unchanged."""
    return json.dumps(_without_nul(outcome))


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {k: _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def mark_published(cur: psycopg.Cursor[Any], schema: str, ref: ObjectRef) -> None:
    cur.execute(f"UPDATE {qualified(schema, LEDGER_TABLE)} SET published_at = now() {_WHERE_OBJECT}", _identity(ref))
