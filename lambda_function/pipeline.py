"""One S3 object through the whole pipeline: whitelist -> ledger -> stream -> validate -> COPY -> notify.

Ordering is what makes it exactly-once: a per-table session lock serialises loads into one table
(and every delivery of one object); inside it, the ledger is consulted, the rows and their ledger
entry commit together, and the message is published and marked published before the lock is freed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from . import extract, ledger, quarantine
from .config import Settings
from .contract import Contract, Whitelist, is_gzip_key
from .csvblocks import Block, Limits
from .deadline import Deadline, DeadlineExceeded
from .errors import FileRejected, RowError, StaleObject, TransientError
from .extract import ObjectRef
from .load import conflict_error, copy_blocks, ensure_table
from .locks import table_lock
from .outcome import Outcome, Status, message_body, publish
from .sql import ident
from .validate import CheckedCsv


@dataclass
class Clients:
    """What the pipeline talks to; passed in so the same code runs against moto, LocalStack or AWS."""

    s3: Any
    sns: Any
    engine: Engine


@dataclass
class Ingestion:
    """One object being ingested, and the invocation it runs in: what every step below needs."""

    ref: ObjectRef
    contract: Contract | None
    settings: Settings
    clients: Clients
    deadline: Deadline
    request_id: str
    started: float = field(default_factory=time.monotonic)

    def outcome(self, status: Status, **details: Any) -> Outcome:
        table, mode = (self.contract.table, self.contract.mode) if self.contract else (None, None)
        return Outcome(status, self.ref.bucket, self.ref.key, table, mode, version_id=self.ref.version_id,
                       etag=self.ref.etag, request_id=self.request_id, **details)

    def body(self, outcome: Outcome) -> dict[str, Any]:
        outcome.duration_ms = int((time.monotonic() - self.started) * 1000)
        return message_body(outcome, max_errors=self.settings.max_errors_in_message,
                            redact=self.settings.redact_values)

    def failed(self, error: FileRejected) -> Outcome:
        return self.outcome(Status.FAILED, errors=error.errors, rows_rejected=error.rows_rejected,
                            error_count=error.error_count)


@dataclass
class Recorded:
    """An outcome committed in the ledger whose message must still be published (then marked)."""

    body: dict[str, Any]


def process(ref: ObjectRef, whitelist: Whitelist, clients: Clients, settings: Settings, request_id: str,
            deadline: Deadline) -> dict[str, Any]:
    """Handle one object and publish its one message; returns the message body. Raises on transient trouble."""
    contract = whitelist.lookup(ref.key, settings.ingest_prefix)
    job = Ingestion(ref, contract, settings, clients, deadline, request_id)
    if contract is None:
        reason = f"not a whitelisted file name (accepted: {whitelist.accepted_names()})"
        return _publish_outcome(job, job.outcome(Status.REJECTED, reason=reason))
    try:
        job.ref = extract.resolve(clients.s3, ref)
        result = _load_locked(job, contract)
    except StaleObject as exc:
        result = job.outcome(Status.SKIPPED, reason=str(exc))
    if isinstance(result, Recorded):
        return result.body
    return _publish_outcome(job, result)


def _publish_outcome(job: Ingestion, outcome: Outcome) -> dict[str, Any]:
    outcome.version_id, outcome.etag = job.ref.version_id, job.ref.etag
    body = job.body(outcome)
    if outcome.status is Status.FAILED and job.settings.quarantine_prefix:
        quarantine.store(job.clients.s3, job.ref, job.settings.quarantine_prefix, outcome, body)
    _publish(job, body)
    return body


def _publish(job: Ingestion, body: dict[str, Any]) -> None:
    try:
        publish(job.clients.sns, job.settings.topic_arn, body)
    except Exception as exc:
        raise TransientError(f"SNS publish failed ({type(exc).__name__}); the outcome is published on retry") from exc


def _load_locked(job: Ingestion, contract: Contract) -> Outcome | Recorded:
    settings = job.settings
    try:
        with job.clients.engine.connect() as conn:
            raw: psycopg.Connection[Any] = conn.connection.driver_connection  # type: ignore[assignment]
            raw.rollback()  # the pool's pre-ping may have opened a transaction
            raw.autocommit = True
            try:
                _prepare_schema(raw, settings.db_schema, conn.connection.info)
                with table_lock(raw, settings.db_schema, contract.table, settings.lock_wait_ms, job.deadline,
                                settings.deadline_margin_ms):
                    result = _load(raw, job, contract)
                    if isinstance(result, Recorded):  # publish while still holding the lock
                        _publish(job, result.body)
                        with raw.transaction(), raw.cursor() as cur:
                            ledger.mark_published(cur, settings.db_schema, job.ref)
                    return result
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


def _load(raw: psycopg.Connection[Any], job: Ingestion, contract: Contract) -> Outcome | Recorded:
    schema, ref = job.settings.db_schema, job.ref
    try:
        with raw.transaction(), raw.cursor() as cur:
            budget = job.deadline.statement_budget_ms(job.settings.deadline_margin_ms)
            cur.execute(f"SET LOCAL statement_timeout = {int(budget)}")
            entry = ledger.find(cur, schema, ref)
            if entry is not None:
                if not entry.published:
                    return Recorded(dict(entry.outcome))  # the original message never went out: publish it now
                return job.outcome(Status.SKIPPED, reason="already loaded", extra={"loaded_at": entry.loaded_at})
            if ledger.newer_sequencer_loaded(cur, schema, ref):
                return job.outcome(Status.SKIPPED, reason="stale event: a newer version of this key was loaded")
            ensure_table(cur, schema, contract)
            rows = _copy_file(cur, job, contract)
            body = job.body(job.outcome(Status.SUCCEEDED, rows_loaded=rows))
            ledger.record(cur, schema, ref, contract, rows, job.request_id, body)
            return Recorded(body)
    except FileRejected as exc:
        return job.failed(exc)
    except DeadlineExceeded as exc:
        return job.failed(FileRejected([RowError(None, None, None, str(exc))]))
    except pg_errors.QueryCanceled as exc:
        if "statement timeout" not in str(exc):
            raise
        rule = job.deadline.explain("the database statement timed out")
        return job.failed(FileRejected([RowError(None, None, None, rule)]))


def _copy_file(cur: psycopg.Cursor[Any], job: Ingestion, contract: Contract) -> int:
    settings, ref = job.settings, job.ref
    limits = Limits(block_bytes=settings.block_bytes, max_record_bytes=settings.max_record_bytes)
    progress = job.deadline.track(ref.size)
    chunks = progress.count(extract.stream(job.clients.s3, ref, settings.max_object_bytes))
    checked = CheckedCsv(chunks, contract, gzipped=is_gzip_key(ref.key), limits=limits,
                         max_decompressed=settings.max_decompressed_bytes)
    try:
        columns = checked.open()
        return copy_blocks(cur, contract, settings.db_schema, columns, _watched(checked.blocks(), progress))
    except FileRejected as exc:
        result = checked.result
        raise FileRejected(exc.errors, rows_rejected=result.rows_rejected or None,
                           error_count=max(result.error_count, len(exc.errors))) from None
    except pg_errors.UniqueViolation as exc:
        row_of = checked.validator.row_of if checked.validator else (lambda column, value: None)
        raise conflict_error(exc, contract, row_of) from None
    except (pg_errors.DataError, pg_errors.IntegrityError) as exc:
        rule = f"accepted by PostgreSQL: {exc.diag.message_primary}"
        raise FileRejected([RowError(None, None, None, rule)]) from None


def _watched(blocks: Iterator[Block], progress: Any) -> Iterator[Block]:
    for block in blocks:
        progress.check()
        yield block
