"""One S3 object through the whole pipeline: whitelist -> ledger -> stream -> validate -> COPY -> notify.

Ordering is what makes it exactly-once: a session lock per object serialises its deliveries, and a
table lock (shared by appends and upserts, exclusive for a replace and for a load that changes the
table's definition; locks.py, evolution.py) orders loads into one table; inside them, the ledger is
consulted, the rows and their ledger entry commit together (a FAILED verdict is recorded after its
load rolled back), and the message is published and marked published before the locks are freed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from .config import Settings, tls_problem
from .contract import Contract, Whitelist
from .errors import ConfigurationError, FileRejected, RowError, SchemaDrift, StaleObject, TransientError
from .job import Clients, Deadline, DeadlineExceeded, Ingestion
from .loading import ledger
from .loading.ddl import ident
from .loading.evolution import NeedsExclusiveLock, changes_pending, ensure_table, read_table
from .loading.locks import load_locks
from .loading.passes import Loaded, load_file
from .loading.schema_diff import definition_fingerprint
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
    body = _outcome_body(job, outcome)
    _publish(job, body)
    return body


def _outcome_body(job: Ingestion, outcome: Outcome) -> dict[str, Any]:
    """The message body; a FAILED object is quarantined first (the body then says where)."""
    outcome.version_id, outcome.etag = job.ref.version_id, job.ref.etag
    body = job.body(outcome)
    if outcome.status is Status.FAILED and job.settings.quarantine_prefix:
        quarantine.store(job.clients.s3, job.ref, job.quarantine_bucket, job.settings.quarantine_prefix, outcome, body)
    return body


def _publish(job: Ingestion, body: dict[str, Any]) -> None:
    try:
        publish(job.clients.sns, job.settings.topic_arn, body)
    except Exception as exc:
        raise TransientError(f"SNS publish failed ({type(exc).__name__}); the outcome is published on retry") from exc


def _load_locked(job: Ingestion, contract: Contract) -> Outcome | Recorded:
    from sqlalchemy import exc as sa_exc  # loaded with the engine at the first invocation

    settings = job.settings
    try:
        with job.clients.engine.connect() as conn:
            raw: psycopg.Connection[Any] = conn.connection.driver_connection  # type: ignore[assignment]
            raw.rollback()  # the pool's pre-ping may have opened a transaction
            raw.autocommit = True
            try:
                _prepare_schema(raw, settings.db_schema, conn.connection.info)
                # A load that changes the table's definition has the table to itself, like a replace: decided
                # from the catalogue now, checked again under the lock (evolution.py).
                exclusive = contract.mode == "replace" or changes_pending(raw, settings.db_schema, contract)
                try:
                    return _load_under_locks(raw, job, contract, exclusive)
                except NeedsExclusiveLock:  # the table changed while this load waited for the shared lock
                    return _load_under_locks(raw, job, contract, True)
            finally:
                if not raw.closed:
                    raw.autocommit = False
    except (psycopg.OperationalError, sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        tls = tls_problem(str(getattr(exc, "orig", None) or exc).splitlines()[0], settings)
        if tls is not None:  # retrying cannot help: an operator must fix the certificate or the settings
            raise ConfigurationError(tls) from None
        raise TransientError(f"database unavailable ({type(exc).__name__})") from exc


def _load_under_locks(raw: psycopg.Connection[Any], job: Ingestion, contract: Contract,
                      exclusive: bool) -> Outcome | Recorded:
    settings = job.settings
    with load_locks(raw, settings.db_schema, contract.table, f"{job.ref.bucket}/{job.ref.key}",
                    exclusive_table=exclusive, wait_ms=settings.lock_wait_ms,
                    deadline=job.deadline, margin_ms=settings.deadline_margin_ms):
        result = _load(raw, job, contract, exclusive)
        if isinstance(result, Recorded):  # publish while still holding the lock
            _publish(job, result.body)
            with raw.transaction(), raw.cursor() as cur:
                ledger.mark_published(cur, settings.db_schema, job.ref)
        return result


def _prepare_schema(raw: psycopg.Connection[Any], schema: str, info: dict[str, Any]) -> None:
    """Schema and ledger, created once per pooled connection; a global advisory lock avoids DDL races."""
    prepared: set[str] = info.setdefault("ingest_prepared_schemas", set())
    if schema in prepared:
        return
    with raw.transaction(), raw.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtextextended('ingest:ddl', 0))")
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
        cur.execute(ledger.create_ledger_sql(schema))
        ledger.upgrade_ledger(cur, schema)
    prepared.add(schema)


def _load(raw: psycopg.Connection[Any], job: Ingestion, contract: Contract, exclusive: bool) -> Outcome | Recorded:
    schema, ref = job.settings.db_schema, job.ref
    try:
        with raw.transaction(), raw.cursor() as cur:
            budget = job.deadline.statement_budget_ms(job.settings.deadline_margin_ms)
            cur.execute(f"SET LOCAL statement_timeout = {int(budget)}")
            entry = ledger.find(cur, schema, ref)
            if entry is not None:
                if not entry.published:
                    return Recorded(dict(entry.outcome))  # the original message never went out: publish it now
                if not entry.failed:
                    return job.outcome(Status.SKIPPED, reason="already loaded", extra={"loaded_at": entry.loaded_at})
                if (skipped := _still_failed(cur, job, contract, entry)) is not None:
                    return skipped
            if ledger.newer_sequencer_loaded(cur, schema, ref):
                return job.outcome(Status.SKIPPED, reason="stale event: a newer version of this key was loaded")
            changes = ensure_table(cur, schema, contract, may_alter=exclusive, lock_wait_ms=job.settings.lock_wait_ms)
            loaded = load_file(cur, job, contract, altered=bool(changes))
            try:
                return Recorded(_record_loaded(cur, job, contract, loaded, changes))
            finally:
                loaded.close()
    except FileRejected as exc:
        return _failed(raw, job, contract, exc)
    except DeadlineExceeded as exc:
        return job.failed(FileRejected([RowError(None, None, None, str(exc))]))
    except pg_errors.QueryCanceled as exc:
        if "statement timeout" not in str(exc):
            raise
        rule = job.deadline.explain("the database statement timed out")
        return job.failed(FileRejected([RowError(None, None, None, rule)]))


def _still_failed(cur: psycopg.Cursor[Any], job: Ingestion, contract: Contract,
                  entry: ledger.LedgerEntry) -> Outcome | None:
    """SKIPPED when this object already FAILED under this contract (and, for drift, this table definition)."""
    if entry.contract != job.fingerprint:
        return None
    reason = "already FAILED under this contract"
    if entry.table_fingerprint is not None:
        table = read_table(cur, job.settings.db_schema, contract)
        if table is None or definition_fingerprint(table) != entry.table_fingerprint:
            return None
        reason += " (schema drift; the table is unchanged)"
    return job.outcome(Status.SKIPPED, reason=reason, extra={"failed_at": entry.loaded_at})


def _failed(raw: psycopg.Connection[Any], job: Ingestion, contract: Contract,
            rejected: FileRejected) -> Outcome | Recorded:
    """A FAILED file, recorded in the ledger (after its load rolled back) so that a redelivery under the same
    contract is SKIPPED: one upload, one FAILED message. Not when the verdict is not final (it rests on rows or
    constraints of the table, which change without the contract): then a redelivery is judged again."""
    outcome = job.failed(rejected)
    if not rejected.final:
        return outcome
    body = _outcome_body(job, outcome)
    drift = rejected.table_fingerprint if isinstance(rejected, SchemaDrift) else None
    with raw.transaction(), raw.cursor() as cur:
        ledger.record(cur, job.settings.db_schema, job.ref, contract, status=Status.FAILED, fingerprint=job.fingerprint,
                      rows=0, request_id=job.request_id, outcome=body, table_fingerprint=drift)
    return Recorded(body)


def _record_loaded(cur: psycopg.Cursor[Any], job: Ingestion, contract: Contract, loaded: Loaded,
                   changes: list[str]) -> dict[str, Any]:
    """The outcome of a load, its rejected records kept (PARTIAL), and its ledger row: all before commit."""
    rejected = loaded.rejected.count if loaded.rejected else 0
    status = Status.PARTIAL if rejected else Status.SUCCEEDED
    outcome = job.outcome(status, rows_loaded=loaded.rows, rows_rejected=rejected, errors=loaded.result.errors,
                          error_count=loaded.result.error_count, schema_changes=changes)
    body = job.body(outcome)
    if loaded.rejected is not None and rejected and job.settings.quarantine_prefix:
        quarantine.store_rejects(job.clients.s3, job.ref, job.quarantine_bucket, job.settings.quarantine_prefix,
                                 outcome, body, loaded.rejected)
    ledger.record(cur, job.settings.db_schema, job.ref, contract, status=status, fingerprint=job.fingerprint,
                  rows=loaded.rows, request_id=job.request_id, outcome=body)
    return body
