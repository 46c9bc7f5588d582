"""Serialising loads with PostgreSQL advisory locks held by the load's own session.

Session locks (not transaction locks) because they must outlive the commit: the outcome message is
published, and marked published in the ledger, while the lock is still held. If the process dies the
session ends and PostgreSQL frees the lock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from .deadline import Deadline
from .errors import TransientError

_TRY = "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))"
_RELEASE = "SELECT pg_advisory_unlock(hashtextextended(%s, 0))"


@contextmanager
def table_lock(raw: psycopg.Connection[Any], schema: str, table: str, wait_ms: int, deadline: Deadline,
               margin_ms: int) -> Iterator[None]:
    """One load at a time per table (and so per object); waits with backoff, raises TransientError past the wait."""
    key = f"ingest:{schema}.{table}"
    waited_until = time.monotonic() + wait_ms / 1000
    pause = 0.05
    while True:
        row = raw.execute(_TRY, (key,)).fetchone()
        if row and row[0]:
            break
        if time.monotonic() > waited_until or deadline.remaining_ms() < margin_ms:
            raise TransientError(f"table {table} stayed locked by another load; retry later")
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
    try:
        yield
    finally:
        if not raw.closed:
            raw.execute(_RELEASE, (key,))
