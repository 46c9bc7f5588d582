"""The ingest ledger: one row per object, written in the same transaction as its rows.

It makes loading exactly-once (a re-delivered event finds its object here and is SKIPPED) and
notification at-least-once: the outcome message is stored with the rows and marked published only
after SNS accepted it, so a retry after an SNS failure publishes the original message. A FAILED object
is recorded too, under the fingerprint of the contract that judged it: its redelivery is SKIPPED while
that contract (and, for schema drift, the table's definition) stays the same. A later load of the object
under another contract updates that row: one row per object, so the primary key itself still guarantees
that an object loads once (README, "Schema changes").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import psycopg

from ..contract.model import Contract
from ..reading.objects import ObjectRef
from .ddl import ident, qualified

LEDGER_TABLE = "ingest_ledger"
FAILED = "FAILED"

# Columns added after the first release: a ledger made by an earlier one gets them (upgrade_ledger); its rows
# keep NULL there (status: filled from the stored outcome, which only loads had).
ADDED_COLUMNS = {
    "status": "text",  # SUCCEEDED, PARTIAL or FAILED
    "contract": "text",  # the fingerprint of the contract the object was judged under
    "table_fingerprint": "text",  # a drift FAILED: the table's definition it was judged against
}


def create_ledger_sql(schema: str) -> str:
    added = "".join(f"        {name} {kind},\n" for name, kind in ADDED_COLUMNS.items())
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
{added}        PRIMARY KEY (bucket, object_key, object_id))"""


def upgrade_ledger(cur: psycopg.Cursor[Any], schema: str) -> list[str]:
    """Add the columns a ledger from an earlier release lacks (the caller holds the DDL lock); what was added.

    Asked of the catalogue first, because ALTER TABLE would wait for every running load's hold on the ledger
    even when it has nothing to add; the previous release keeps working beside the added columns.
    """
    cur.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                "AND NOT attisdropped", (qualified(schema, LEDGER_TABLE),))
    present = {name for (name,) in cur.fetchall()}
    missing = [name for name in ADDED_COLUMNS if name not in present]
    if missing:
        table = qualified(schema, LEDGER_TABLE)
        cur.execute(f"ALTER TABLE {table} " + ", ".join(f"ADD COLUMN IF NOT EXISTS {ident(name)} "
                                                         f"{ADDED_COLUMNS[name]}" for name in missing))
        if "status" in missing:
            cur.execute(f"UPDATE {table} SET status = outcome->>'status'")
    return missing


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    loaded_at: str  # when it was loaded, or judged FAILED
    request_id: str | None
    outcome: dict[str, Any]
    published: bool
    status: str | None = None  # None: written by a release that recorded loads only
    contract: str | None = None
    table_fingerprint: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == FAILED


def object_id(ref: ObjectRef) -> str:
    """An object's identity within its key: the version id when there is one, else the ETag."""
    if ref.version_id:
        return f"version:{ref.version_id}"
    return f"etag:{(ref.etag or '').strip(chr(34))}"


_WHERE_OBJECT = "WHERE bucket = %s AND object_key = %s AND object_id = %s"


def _identity(ref: ObjectRef) -> tuple[str, str, str]:
    return ref.bucket, ref.key, object_id(ref)


def find(cur: psycopg.Cursor[Any], schema: str, ref: ObjectRef) -> LedgerEntry | None:
    cur.execute(f"SELECT loaded_at::text, request_id, outcome, published_at IS NOT NULL, status, contract, "
                f"table_fingerprint FROM {qualified(schema, LEDGER_TABLE)} {_WHERE_OBJECT}", _identity(ref))
    row = cur.fetchone()
    return LedgerEntry(*row) if row else None


def sequencer_key(sequencer: str) -> str:
    """S3 sequencers compare as hex strings after left-padding to equal length."""
    return sequencer.upper().rjust(32, "0")


def newer_sequencer_loaded(cur: psycopg.Cursor[Any], schema: str, ref: ObjectRef) -> bool:
    """Was a later upload of this key (by its event's sequencer) loaded already? False without a sequencer."""
    if not ref.sequencer:
        return False
    cur.execute(f"SELECT sequencer FROM {qualified(schema, LEDGER_TABLE)} "
                f"WHERE bucket = %s AND object_key = %s AND sequencer IS NOT NULL AND status IS DISTINCT FROM %s",
                (ref.bucket, ref.key, FAILED))
    mine = sequencer_key(ref.sequencer)
    return any(sequencer_key(s) > mine for (s,) in cur.fetchall())


def record(cur: psycopg.Cursor[Any], schema: str, ref: ObjectRef, contract: Contract, *, status: str,
           fingerprint: str | None, rows: int, request_id: str, outcome: dict[str, Any],
           table_fingerprint: str | None = None) -> None:
    """The object's entry: a load (with its rows, before commit) or a FAILED verdict; it replaces only a FAILED one."""
    columns = ("bucket, object_key, object_id, version_id, etag, sequencer, table_name, load_mode, rows_loaded, "
               "request_id, outcome, status, contract, table_fingerprint")
    renewed = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns.split(", ")[3:])
    cur.execute(
        f"INSERT INTO {qualified(schema, LEDGER_TABLE)} AS entry ({columns}) "
        f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s) "
        f"ON CONFLICT (bucket, object_key, object_id) DO UPDATE SET {renewed}, loaded_at = now(), "
        f"published_at = NULL WHERE entry.status = %s",
        (*_identity(ref), ref.version_id, ref.etag, ref.sequencer, contract.table, contract.mode, rows, request_id,
         _jsonb_text(outcome), status, fingerprint, table_fingerprint, FAILED),
    )
    if cur.rowcount != 1:  # the object lock makes this unreachable: say so loudly if it ever is not
        raise RuntimeError(f"ledger: {ref.bucket}/{ref.key} already has an entry that is not FAILED")


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
