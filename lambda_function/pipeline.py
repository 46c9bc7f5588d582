"""One S3 object through the whole pipeline: whitelist -> ledger -> stream -> validate -> COPY -> notify.

Ordering is what makes it exactly-once: a session lock per object serialises its deliveries, and a
table lock (shared by appends and upserts, exclusive for a replace; locks.py) orders loads into one
table; inside them, the ledger is consulted, the rows and their ledger entry commit together, and the
message is published and marked published before the locks are freed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import exc as sa_exc

from .config import Settings, tls_problem
from .contract import Contract, Whitelist
from .errors import ConfigurationError, FileRejected, RowError, StaleObject, TransientError
from .job import Clients, Deadline, DeadlineExceeded, Ingestion
from .loading import ledger
from .loading.ddl import ident
from .loading.locks import load_locks
from .loading.passes import Loaded, load_file
from .loading.strategies import ensure_table
from .outcome import quarantine
from .outcome.message import Outcome, Status, publish
from .reading import objects
from .reading.objects import ObjectRef


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
        job.ref = objects.resolve(clients.s3, ref)
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
        quarantine.store(job.clients.s3, job.ref, job.quarantine_bucket, job.settings.quarantine_prefix, outcome, body)
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
                with load_locks(raw, settings.db_schema, contract.table, f"{job.ref.bucket}/{job.ref.key}",
                                exclusive_table=contract.mode == "replace", wait_ms=settings.lock_wait_ms,
                                deadline=job.deadline, margin_ms=settings.deadline_margin_ms):
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
        tls = tls_problem(str(getattr(exc, "orig", None) or exc).splitlines()[0], settings)
        if tls is not None:  # retrying cannot help: an operator must fix the certificate or the settings
            raise ConfigurationError(tls) from None
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
            loaded = load_file(cur, job, contract)
            try:
                return Recorded(_record_loaded(cur, job, contract, loaded))
            finally:
                loaded.close()
    except FileRejected as exc:
        return job.failed(exc)
    except DeadlineExceeded as exc:
        return job.failed(FileRejected([RowError(None, None, None, str(exc))]))
    except pg_errors.QueryCanceled as exc:
        if "statement timeout" not in str(exc):
            raise
        rule = job.deadline.explain("the database statement timed out")
        return job.failed(FileRejected([RowError(None, None, None, rule)]))


def _record_loaded(cur: psycopg.Cursor[Any], job: Ingestion, contract: Contract, loaded: Loaded) -> dict[str, Any]:
    """The outcome of a load, its rejected records kept (PARTIAL), and its ledger row: all before commit."""
    rejected = loaded.rejected.count if loaded.rejected else 0
    status = Status.PARTIAL if rejected else Status.SUCCEEDED
    outcome = job.outcome(status, rows_loaded=loaded.rows, rows_rejected=rejected, errors=loaded.result.errors,
                          error_count=loaded.result.error_count)
    body = job.body(outcome)
    if loaded.rejected is not None and rejected and job.settings.quarantine_prefix:
        quarantine.store_rejects(job.clients.s3, job.ref, job.quarantine_bucket, job.settings.quarantine_prefix,
                                 outcome, body, loaded.rejected)
    ledger.record(cur, job.settings.db_schema, job.ref, contract, loaded.rows, job.request_id, body)
    return body
