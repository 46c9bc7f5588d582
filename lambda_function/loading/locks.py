"""Who may load at the same time, with PostgreSQL advisory locks held by the load's own session.

Two locks per load, always taken in this order (so two loads never wait on each other in a cycle):

1. the **object** lock, exclusive, on bucket + key: deliveries of one object (and uploads of one key)
   are serialised, so one loads and the others find it in the ledger and are SKIPPED;
2. the **table** lock: *shared* for append and upsert (they run concurrently; the primary key settles
   clashes), *exclusive* for replace (it has the table to itself: it waits for running appends, and
   they wait for it). PostgreSQL queues lock requests in order, so a waiting replace is not starved by
   appends that arrive after it.

Session locks, not transaction locks, because they must outlive the commit: the outcome message is
published, and marked published in the ledger, while they are still held. If the process dies the
session ends and PostgreSQL frees them. Behind RDS Proxy, session locks pin the client connection to
one database connection while held (README, Deployment).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from ..errors import TransientError
from ..job import Deadline

_KEY = "hashtextextended(%s, 0)"
_TAKE = {False: f"SELECT pg_advisory_lock({_KEY})", True: f"SELECT pg_advisory_lock_shared({_KEY})"}
_RELEASE = {False: f"SELECT pg_advisory_unlock({_KEY})", True: f"SELECT pg_advisory_unlock_shared({_KEY})"}


def table_lock_key(schema: str, table: str) -> str:
    """The table lock's key (`harness contract apply` takes it too, so its ALTERs wait for running loads)."""
    return f"ingest:{schema}.{table}"


@contextmanager
def load_locks(raw: psycopg.Connection[Any], schema: str, table: str, object_id: str, *, exclusive_table: bool,
               wait_ms: int, deadline: Deadline, margin_ms: int) -> Iterator[None]:
    """Hold the object lock, then the table lock (shared unless ``exclusive_table``), for the block's duration.

    Each wait is bounded by ``wait_ms`` and by the invocation's deadline; past it: TransientError (retry).
    """
    with ExitStack() as held:
        held.enter_context(_advisory(raw, f"ingest:object:{schema}:{object_id}", False, wait_ms, deadline,
                                     margin_ms, f"object {object_id} is being loaded by another delivery"))
        held.enter_context(_advisory(raw, table_lock_key(schema, table), not exclusive_table, wait_ms, deadline,
                                     margin_ms, f"table {table} stayed locked by another load"))
        yield


@contextmanager
def _advisory(raw: psycopg.Connection[Any], key: str, shared: bool, wait_ms: int, deadline: Deadline,
              margin_ms: int, busy: str) -> Iterator[None]:
    budget = max(1, int(min(wait_ms, deadline.remaining_ms() - margin_ms)))
    try:
        # lock_timeout bounds the wait of this one statement; RESET puts the pooled session back as it was.
        raw.execute(f"SET lock_timeout = {budget}")
        raw.execute(_TAKE[shared], (key,))
    except pg_errors.LockNotAvailable as exc:
        raise TransientError(f"{busy}; retry later") from exc
    finally:
        if not raw.closed and not raw.broken:
            raw.execute("RESET lock_timeout")
    try:
        yield
    finally:
        if not raw.closed and not raw.broken:
            raw.execute(_RELEASE[shared], (key,))
