"""One S3 object through the whole pipeline: whitelist -> ledger -> stream -> validate -> COPY -> notify.

Ordering is what makes it exactly-once: a session lock per object serialises its deliveries, and a
table lock (shared by appends and upserts, exclusive for a replace and for a load that changes the
table's definition; locks.py, evolution.py) orders loads into one table; inside them, the ledger is
consulted, the rows and their ledger entry commit together (a FAILED verdict is recorded after its
load rolled back), and the message is published and marked published before the locks are freed.
A removal (`ObjectRemoved:*`) whose contract unloads goes the same way: under the same locks, the rows the key
loaded are deleted and the unload recorded in one transaction, then announced (UNLOADED).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from .config import Settings, tls_problem
from .contract import Contract, Whitelist
from .errors import ConfigurationError, FileRejected, RowError, SchemaDrift, StaleObject, TransientError
from .events import Ignored, Removal
from .job import Clients, Deadline, DeadlineExceeded, Ingestion
from .loading import ledger, lineage
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
    object_id: str | None = None  # its ledger entry when that is not the object's own (an unload)


Step = Callable[[psycopg.Connection[Any], Ingestion, Contract, bool], "Outcome | Recorded"]


def process(item: ObjectRef | Removal, whitelist: Whitelist, clients: Clients, settings: Settings, request_id: str,
            deadline: Deadline) -> dict[str, Any] | Ignored:
    """Handle one object (or removal) and publish its one message; returns the message body, or Ignored for a
    removal its contract does not unload. Raises on transient trouble."""
    if isinstance(item, Removal):
        return _removed(item, whitelist, clients, settings, request_id, deadline)
    ref = item
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


def _removed(removal: Removal, whitelist: Whitelist, clients: Clients, settings: Settings, request_id: str,
             deadline: Deadline) -> dict[str, Any] | Ignored:
    """An ObjectRemoved record: ignored unless the key's contract unloads on removal, else unloaded once the
    object is really gone (a key uploaded again since keeps its rows: SKIPPED as stale)."""
    contract = whitelist.lookup(removal.key, settings.ingest_prefix)
    if contract is None or contract.on_object_removed != "unload":
        why = "not a whitelisted key" if contract is None else f"{contract.source} has on_object_removed: ignore"
        return Ignored(f"{removal.event} event ({why})")
    return unload(removal.ref, contract, clients, settings, request_id, deadline, only_if_gone=True)


def unload(ref: ObjectRef, contract: Contract, clients: Clients, settings: Settings, request_id: str,
           deadline: Deadline, *, only_if_gone: bool) -> dict[str, Any]:
    """Remove the rows every load of this key wrote (one transaction, under the object and shared table locks),
    mark those loads unloaded and publish UNLOADED; SKIPPED when nothing is left to remove, or, `only_if_gone`,
    when an object is under the key again. `harness unload` calls it too."""
    job = Ingestion(ref, contract, settings, clients, deadline, request_id)

    def step(raw: psycopg.Connection[Any], job: Ingestion, contract: Contract, exclusive: bool) -> Outcome | Recorded:
        return _unload(raw, job, contract, only_if_gone)

    try:
        result = _on_connection(job, lambda raw: _under_locks(raw, job, contract, False, step))
    except StaleObject as exc:
        result = job.outcome(Status.SKIPPED, reason=str(exc))
    if isinstance(result, Recorded):
        return result.body
    return _publish_outcome(job, result)


def _load_locked(job: Ingestion, contract: Contract) -> Outcome | Recorded:
    def locked(raw: psycopg.Connection[Any]) -> Outcome | Recorded:
        # A load that changes the table's definition has the table to itself, like a replace: decided from the
        # catalogue now, checked again under the lock (evolution.py).
        exclusive = contract.mode == "replace" or changes_pending(raw, job.settings.db_schema, contract)
        try:
            return _under_locks(raw, job, contract, exclusive, _load)
        except NeedsExclusiveLock:  # the table changed while this load waited for the shared lock
            return _under_locks(raw, job, contract, True, _load)

    return _on_connection(job, locked)


def _on_connection(job: Ingestion, work: Callable[[psycopg.Connection[Any]], Outcome | Recorded]) -> Outcome | Recorded:
    """`work` on a pooled connection in autocommit (it opens its own transactions), schema and ledger prepared;
    a lost or refused connection is transient, a TLS failure a configuration error."""
    from sqlalchemy import exc as sa_exc  # loaded with the engine at the first invocation

    settings = job.settings
    try:
        with job.clients.engine.connect() as conn:
            raw: psycopg.Connection[Any] = conn.connection.driver_connection  # type: ignore[assignment]
            raw.rollback()  # the pool's pre-ping may have opened a transaction
            raw.autocommit = True
            try:
                _prepare_schema(raw, settings.db_schema, conn.connection.info)
                return work(raw)
            finally:
                if not raw.closed:
                    raw.autocommit = False
    except (psycopg.OperationalError, sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        tls = tls_problem(str(getattr(exc, "orig", None) or exc).splitlines()[0], settings)
        if tls is not None:  # retrying cannot help: an operator must fix the certificate or the settings
            raise ConfigurationError(tls) from None
        raise TransientError(f"database unavailable ({type(exc).__name__})") from exc


def _under_locks(raw: psycopg.Connection[Any], job: Ingestion, contract: Contract, exclusive: bool,
                 step: Step) -> Outcome | Recorded:
    settings = job.settings
    with load_locks(raw, settings.db_schema, contract.table, f"{job.ref.bucket}/{job.ref.key}",
                    exclusive_table=exclusive, wait_ms=settings.lock_wait_ms,
                    deadline=job.deadline, margin_ms=settings.deadline_margin_ms):
        result = step(raw, job, contract, exclusive)
        if isinstance(result, Recorded):  # publish while still holding the lock
            _publish(job, result.body)
            with raw.transaction(), raw.cursor() as cur:
                ledger.mark_published(cur, settings.db_schema, job.ref, result.object_id)
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
            if entry is not None and not entry.unloaded:  # an unloaded object loads again
                if not entry.published:
                    return Recorded(dict(entry.outcome))  # the original message never went out: publish it now
                if not entry.failed:
                    return job.outcome(Status.SKIPPED, reason="already loaded", extra={"loaded_at": entry.loaded_at})
                if (skipped := _still_failed(cur, job, contract, entry)) is not None:
                    return skipped
            if ledger.newer_sequencer_loaded(cur, schema, ref):
                return job.outcome(Status.SKIPPED, reason="stale event: a newer version of this key was loaded")
            if contract.mode == "replace_file" and ref.version_id:  # (unversioned: GET's IfMatch says it)
                objects.require_current(job.clients.s3, ref)
            changes = ensure_table(cur, schema, contract, may_alter=exclusive, lock_wait_ms=job.settings.lock_wait_ms)
            load_id = ledger.reserve_load_id(cur, schema)
            lineage.set_load(cur, load_id)
            replaced = lineage.remove_key(cur, schema, contract, ref) if contract.mode == "replace_file" else None
            loaded = load_file(cur, job, contract, altered=bool(changes),
                               replaced=replaced.load_ids if replaced else [])
            try:
                return Recorded(_record_loaded(cur, job, contract, loaded, changes, load_id, replaced))
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
                   changes: list[str], load_id: int, replaced: lineage.Removed | None) -> dict[str, Any]:
    """The outcome of a load, its rejected records kept (PARTIAL), and its ledger row (earlier versions of the key
    marked replaced): all before commit."""
    rejected = loaded.rejected.count if loaded.rejected else 0
    status = Status.PARTIAL if rejected else Status.SUCCEEDED
    extra: dict[str, Any] = {"load_id": load_id}
    if replaced is not None:
        extra.update(rows_removed=replaced.rows, replaced_loads=replaced.load_ids)
    outcome = job.outcome(status, rows_loaded=loaded.rows, rows_rejected=rejected, errors=loaded.result.errors,
                          error_count=loaded.result.error_count, schema_changes=changes, extra=extra)
    body = job.body(outcome)
    if loaded.rejected is not None and rejected and job.settings.quarantine_prefix:
        quarantine.store_rejects(job.clients.s3, job.ref, job.quarantine_bucket, job.settings.quarantine_prefix,
                                 outcome, body, loaded.rejected)
    ledger.record(cur, job.settings.db_schema, job.ref, contract, status=status, fingerprint=job.fingerprint,
                  rows=loaded.rows, request_id=job.request_id, outcome=body, load_id=load_id)
    if replaced is not None and replaced.load_ids:
        ledger.mark_unloaded(cur, job.settings.db_schema, replaced.load_ids, replaced_by=load_id)
    return body


def _unload(raw: psycopg.Connection[Any], job: Ingestion, contract: Contract, only_if_gone: bool) -> Outcome | Recorded:
    schema, ref = job.settings.db_schema, job.ref
    with raw.transaction(), raw.cursor() as cur:
        pending = ledger.unpublished_unload(cur, schema, ref)
        if pending is not None:  # committed before, its message never went out: publish it now
            return Recorded(pending[1], pending[0])
        if not ledger.live_loads(cur, schema, ref.bucket, ref.key, contract.table):
            return job.outcome(Status.SKIPPED, reason="nothing loaded from this key is left to unload")
        if only_if_gone and objects.current(job.clients.s3, ref) is not None:
            return job.outcome(Status.SKIPPED, reason="stale removal: an object is under this key again (uploaded "
                                                      "after the deletion); its rows stay")
        removed = lineage.remove_key(cur, schema, contract, ref)
        load_id = ledger.reserve_load_id(cur, schema)
        outcome = job.outcome(Status.UNLOADED, extra={"load_id": load_id, "rows_removed": removed.rows,
                                                      "unloaded_loads": removed.load_ids})
        body = job.body(outcome)
        ledger.mark_unloaded(cur, schema, removed.load_ids)
        object_id = f"unload:{load_id}"
        ledger.record(cur, schema, ref, contract, status=Status.UNLOADED, fingerprint=job.fingerprint, rows=0,
                      request_id=job.request_id, outcome=body, load_id=load_id, object_id=object_id)
        return Recorded(body, object_id)
