"""One S3 object through the whole pipeline: whitelist -> ledger -> stream -> validate -> COPY -> notify.

Ordering is what makes it exactly-once: a per-table session lock serialises loads into one table
(and every delivery of one object); inside it, the ledger is consulted, the rows and their ledger
entry commit together, and the message is published and marked published before the lock is freed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from . import extract, ledger, quarantine
from .config import Settings
from .csvblocks import Block, Limits
from .deadline import Deadline, DeadlineExceeded
from .errors import FileRejected, RowError, StaleObject, TransientError
from .extract import ObjectRef
from .load import conflict_error, copy_blocks, ensure_table
from .outcome import Outcome, Status, message_body, publish
from .sql import ident
from .tables import TableSpec, is_gzip_key, lookup_table
from .validate import CheckedCsv


@dataclass
class Clients:
    """What the pipeline talks to; passed in so the same code runs against moto, LocalStack or AWS."""

    s3: Any
    sns: Any
    engine: Engine


@dataclass
class Recorded:
    """An outcome committed in the ledger whose message must still be published (then marked)."""

    body: dict[str, Any]


def process(ref: ObjectRef, clients: Clients, settings: Settings, request_id: str,
            deadline: Deadline) -> dict[str, Any]:
    """Handle one object and publish its one message; returns the message body. Raises on transient trouble."""
    started = time.monotonic()
    spec = lookup_table(ref.key, settings.ingest_prefix)
    if spec is None:
        outcome = Outcome(Status.REJECTED, ref.bucket, ref.key, reason="not a whitelisted file name")
        return _publish_outcome(outcome, clients, settings, request_id, started, ref)
    try:
        ref = extract.resolve(clients.s3, ref)
        result = _load_locked(ref, spec, clients, settings, request_id, deadline, started)
    except StaleObject as exc:
        result = Outcome(Status.SKIPPED, ref.bucket, ref.key, spec.table, spec.mode, reason=str(exc))
    if isinstance(result, Recorded):
        return result.body
    return _publish_outcome(result, clients, settings, request_id, started, ref)


def _publish_outcome(outcome: Outcome, clients: Clients, settings: Settings, request_id: str,
                     started: float, ref: ObjectRef) -> dict[str, Any]:
    outcome.request_id = request_id
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    outcome.version_id = outcome.version_id or ref.version_id
    outcome.etag = outcome.etag or ref.etag
    body = message_body(outcome, max_errors=settings.max_errors_in_message, redact=settings.redact_values)
    if outcome.status is Status.FAILED and settings.quarantine_prefix:
        quarantine.store(clients.s3, ref, settings.quarantine_prefix, outcome, body)
    _publish(clients, settings, body)
    return body


def _publish(clients: Clients, settings: Settings, body: dict[str, Any]) -> None:
    try:
        publish(clients.sns, settings.topic_arn, body)
    except Exception as exc:
        raise TransientError(f"SNS publish failed ({type(exc).__name__}); the outcome is published on retry") from exc


def _load_locked(ref: ObjectRef, spec: TableSpec, clients: Clients, settings: Settings, request_id: str,
                 deadline: Deadline, started: float) -> Outcome | Recorded:
    try:
        with clients.engine.connect() as conn:
            raw: psycopg.Connection[Any] = conn.connection.driver_connection  # type: ignore[assignment]
            raw.rollback()  # the pool's pre-ping may have opened a transaction
            raw.autocommit = True
            try:
                _prepare_schema(raw, settings.db_schema, conn.connection.info)
                _acquire(raw, settings, spec, deadline)
                try:
                    result = _load(raw, ref, spec, clients, settings, request_id, deadline, started)
                    if isinstance(result, Recorded):  # publish while still holding the lock
                        _publish(clients, settings, result.body)
                        with raw.transaction(), raw.cursor() as cur:
                            ledger.mark_published(cur, settings.db_schema, ref.bucket, ref.key,
                                                  ledger.object_id(ref.version_id, ref.etag))
                    return result
                finally:
                    _release(raw, settings, spec)
            finally:
                if not raw.closed:
                    raw.autocommit = False
    except (psycopg.OperationalError, sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        raise TransientError(f"database unavailable ({type(exc).__name__})") from exc


def _prepare_schema(raw: psycopg.Connection[Any], schema: str, info: dict[str, Any]) -> None:
    """Schema and ledger, created once per pooled connection; a global advisory lock avoids DDL races."""
    prepared: set[str] = info.setdefault("ingest_prepared_schemas", set())
    if schema in prepared:
        return
    with raw.transaction(), raw.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtextextended('ingest:ddl', 0))")
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
        cur.execute(ledger.create_ledger_sql(schema))
    prepared.add(schema)


def _lock_key(settings: Settings, spec: TableSpec) -> str:
    return f"ingest:{settings.db_schema}.{spec.table}"


def _acquire(raw: psycopg.Connection[Any], settings: Settings, spec: TableSpec, deadline: Deadline) -> None:
    """Session lock on the table: held across commit and publish, released even if we crash (the session ends)."""
    waited_until = time.monotonic() + settings.lock_wait_ms / 1000
    pause = 0.05
    while True:
        lock_sql = "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))"
        row = raw.execute(lock_sql, (_lock_key(settings, spec),)).fetchone()
        if row and row[0]:
            return
        if time.monotonic() > waited_until or deadline.remaining_ms() < settings.deadline_margin_ms:
            raise TransientError(f"table {spec.table} stayed locked by another load; retry later")
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def _release(raw: psycopg.Connection[Any], settings: Settings, spec: TableSpec) -> None:
    if not raw.closed:
        raw.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (_lock_key(settings, spec),))


def _load(raw: psycopg.Connection[Any], ref: ObjectRef, spec: TableSpec, clients: Clients, settings: Settings,
          request_id: str, deadline: Deadline, started: float) -> Outcome | Recorded:
    schema = settings.db_schema
    oid = ledger.object_id(ref.version_id, ref.etag)
    try:
        with raw.transaction(), raw.cursor() as cur:
            budget = deadline.statement_budget_ms(settings.deadline_margin_ms)
            cur.execute(f"SET LOCAL statement_timeout = {int(budget)}")
            entry = ledger.find(cur, schema, ref.bucket, ref.key, oid)
            if entry is not None:
                if not entry.published:
                    return Recorded(dict(entry.outcome))  # the original message never went out: publish it now
                return Outcome(Status.SKIPPED, ref.bucket, ref.key, spec.table, spec.mode,
                               reason="already loaded", extra={"loaded_at": entry.loaded_at})
            if ref.sequencer and ledger.newer_sequencer_loaded(cur, schema, ref.bucket, ref.key, ref.sequencer):
                return Outcome(Status.SKIPPED, ref.bucket, ref.key, spec.table, spec.mode,
                               reason="stale event: a newer version of this key was loaded")
            ensure_table(cur, schema, spec)
            rows = _copy_file(cur, ref, spec, clients, settings, deadline)
            outcome = Outcome(Status.SUCCEEDED, ref.bucket, ref.key, spec.table, spec.mode, rows_loaded=rows,
                              version_id=ref.version_id, etag=ref.etag, request_id=request_id,
                              duration_ms=int((time.monotonic() - started) * 1000))
            body = message_body(outcome, max_errors=settings.max_errors_in_message, redact=settings.redact_values)
            ledger.record(cur, schema, bucket=ref.bucket, key=ref.key, oid=oid, version_id=ref.version_id,
                          etag=ref.etag, sequencer=ref.sequencer, table=spec.table, mode=spec.mode, rows=rows,
                          request_id=request_id, outcome=body)
            return Recorded(body)
    except FileRejected as exc:
        return _failed(ref, spec, exc.errors, getattr(exc, "rows_rejected", None), getattr(exc, "error_count", None))
    except DeadlineExceeded as exc:
        return _failed(ref, spec, [RowError(None, None, None, str(exc))])
    except pg_errors.QueryCanceled as exc:
        if "statement timeout" not in str(exc):
            raise
        return _failed(ref, spec, [RowError(None, None, None, deadline.explain("the database statement timed out"))])


def _failed(ref: ObjectRef, spec: TableSpec, errors: list[RowError], rows_rejected: int | None = None,
            error_count: int | None = None) -> Outcome:
    return Outcome(Status.FAILED, ref.bucket, ref.key, spec.table, spec.mode, errors=errors,
                   rows_rejected=rows_rejected if rows_rejected is not None else len({e.row for e in errors if e.row}),
                   error_count=error_count or len(errors))


def _copy_file(cur: psycopg.Cursor[Any], ref: ObjectRef, spec: TableSpec, clients: Clients, settings: Settings,
               deadline: Deadline) -> int:
    limits = Limits(block_bytes=settings.block_bytes, max_record_bytes=settings.max_record_bytes)
    progress = deadline.track(ref.size)
    chunks = progress.count(extract.stream(clients.s3, ref, settings.max_object_bytes))
    checked = CheckedCsv(chunks, spec, gzipped=is_gzip_key(ref.key), limits=limits,
                         max_decompressed=settings.max_decompressed_bytes)
    try:
        columns = checked.open()
        rows = copy_blocks(cur, spec, settings.db_schema, columns, _watched(checked.blocks(), progress))
    except FileRejected as exc:
        exc.rows_rejected = checked.result.rows_rejected or len({e.row for e in exc.errors if e.row})  # type: ignore[attr-defined]
        exc.error_count = max(checked.result.error_count, len(exc.errors))  # type: ignore[attr-defined]
        raise
    except pg_errors.UniqueViolation as exc:
        row_of = checked.validator.row_of if checked.validator else (lambda column, value: None)
        raise conflict_error(exc, spec, row_of) from None
    except (pg_errors.DataError, pg_errors.IntegrityError) as exc:
        rule = f"accepted by PostgreSQL: {exc.diag.message_primary}"
        raise FileRejected([RowError(None, None, None, rule)]) from None
    return rows


def _watched(blocks: Iterator[Block], progress: Any) -> Iterator[Block]:
    for block in blocks:
        progress.check()
        yield block
