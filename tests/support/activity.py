"""What concurrent invocations are doing, as PostgreSQL sees them: tests order their steps by it, not by delays."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import sqlalchemy as sa

from tests.support.client import IngestClient


def function_env(client: IngestClient) -> dict[str, str]:
    """The function's environment for a worker process (each invocation its own process, as in AWS)."""
    names = ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
             "AWS_SESSION_TOKEN", "DATABASE_URL", "SNS_TOPIC_ARN", "DB_SCHEMA")
    return {n: os.environ[n] for n in names if n in os.environ}


class Watcher:
    """Samples pg_stat_activity every few ms from its own connection: who is in COPY, who waits on a lock."""

    def __init__(self, client: IngestClient, table: str) -> None:
        self._engine = sa.create_engine(client.stack.database_url)
        self._pattern = f'COPY "{client.schema}"."{table}"%'
        self.samples: list[tuple[int, int]] = []  # (sessions in COPY, sessions waiting on an advisory lock)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        query = sa.text("SELECT count(*) FILTER (WHERE state = 'active' AND query LIKE :p), "
                        "count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event = 'advisory') "
                        "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        with self._engine.connect() as conn:
            while not self._stop.is_set():
                copying, waiting = conn.execute(query, {"p": self._pattern}).one()
                self.samples.append((copying, waiting))
                conn.rollback()
                time.sleep(0.01)

    def wait_for(self, condition: Any, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not (self.samples and condition(*self.samples[-1])):
            assert time.monotonic() < deadline, f"not seen within {timeout}s: {self.samples[-5:]}"
            time.sleep(0.005)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self._engine.dispose()


def wait_ready(go: list[Any], timeout: float = 120.0) -> None:
    """Every worker has imported the handler and waits for its go file (reliability_worker.invoke_when)."""
    deadline = time.monotonic() + timeout
    while not all(flag.with_name(flag.name + ".ready").exists() for flag in go):
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.01)
