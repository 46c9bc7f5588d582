"""Faults: a connection killed mid-COPY, a database restart between warm invocations, a broken S3 stream,
and a load that cannot finish in time. Nothing partial, and the retry loads exactly once."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from harness.emulator.runtime import LambdaContext
from harness.stack.processes import spawn_detached, stop_process
from harness.stack.services.postgres.run_as import postgres_run_as
from harness.stack.services.postgres.server import start_postgres, stop_postgres
from lambda_function import handler
from lambda_function.errors import TransientError
from tests.support.client import IngestClient


def _kill_copy_when_it_runs(engine: sa.Engine, schema: str, found: list[int]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not found:
        with engine.connect() as conn:
            pids = conn.execute(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'csv-ingest' "
                "AND query LIKE :q"), {"q": f'COPY "{schema}".%'}).scalars().all()
            for pid in pids:
                conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
                found.append(pid)
        time.sleep(0.02)


def test_connection_killed_during_copy_leaves_nothing_and_the_retry_loads_once(client: IngestClient, make_csv,
                                                                                monkeypatch):
    monkeypatch.setenv("BLOCK_BYTES", str(256 * 1024))  # many blocks: the COPY lasts long enough to be hit
    put = client.upload("test.csv", make_csv("test", rows=150_000, seed=71).data)
    client.real_events()
    event = client.s3_event("test.csv", put["ETag"])
    killed: list[int] = []
    killer = threading.Thread(target=_kill_copy_when_it_runs, args=(client.engine, client.schema, killed))
    killer.start()
    with pytest.raises(TransientError):
        client.invoke(event)
    killer.join()

    assert killed, "the COPY was observed and its backend terminated"
    assert client.checksum("test") == "absent"  # the table was created in the rolled-back transaction
    assert client.messages(wait=0) == []

    retry = client.invoke(event)["outcomes"][0]
    assert retry["status"] == "SUCCEEDED" and client.count("test") == 150_000
    assert client.invoke(event)["outcomes"][0]["status"] == "SKIPPED"


def _restart(running: Any) -> None:
    """Stop the postmaster and start it again on the same data directory and port (a real restart)."""
    argv = Path(f"/proc/{running.process.pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    stop_process(running.process, signal.SIGINT, 15.0)
    spawn_detached("postgres", [a.decode() for a in argv], log_path=running.temp_dir / "postgres.log",
                   env={"PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC"}, cwd=running.temp_dir,
                   run_as=postgres_run_as())


def test_database_restarted_between_two_warm_invocations_the_second_works(client: IngestClient, monkeypatch):
    running = start_postgres()
    try:
        monkeypatch.setenv("DATABASE_URL", running.database_url)
        users = b"user_id,email,full_name,country_code,signup_date,is_active\n1,a@b.co,A,GB,2020-01-01,true\n"
        first = client.upload("one/users.csv", users)
        second = client.upload("two/users.csv", users.replace(b"1,a@b.co,A", b"2,b@b.co,B"))
        client.real_events(expect=2)
        assert client.invoke(client.s3_event("one/users.csv", first["ETag"]))["outcomes"][0]["status"] == "SUCCEEDED"
        engine_before = handler.runtime().clients.engine

        _restart(running)
        probe = sa.create_engine(running.database_url)
        for _ in range(100):
            try:
                probe.connect().close()
                break
            except sa.exc.OperationalError:
                time.sleep(0.1)
        probe.dispose()

        outcome = client.invoke(client.s3_event("two/users.csv", second["ETag"]))["outcomes"][0]
        assert outcome["status"] == "SUCCEEDED"
        assert handler.runtime().clients.engine is engine_before, "the same warm container, same engine"
    finally:
        handler.runtime().clients.engine.dispose()
        stop_postgres(running.process, running.temp_dir)


class _BrokenStream:
    """Stands in for a network fault mid-download, which no local part can produce on demand:
    the real body from moto is read for one chunk, then the connection 'drops'."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def iter_chunks(self, size: int):
        yield next(self._body.iter_chunks(size))
        from urllib3.exceptions import ProtocolError

        raise ProtocolError("Connection broken: IncompleteRead")

    def close(self) -> None:
        self._body.close()


class _SlowStream(_BrokenStream):
    """Stands in for a slow network: the real body, each chunk delayed, so a load outlasts a short
    budget on any machine (a fast one loads 50,000 rows in a fraction of a second)."""

    def iter_chunks(self, size: int):
        for chunk in self._body.iter_chunks(64 * 1024):  # about 1.3 MB/s
            time.sleep(0.05)
            yield chunk


class _S3WithWrappedBodies:
    """The real S3 client whose downloaded bodies pass through `wrap`."""

    def __init__(self, s3: Any, wrap: Any) -> None:
        self._s3 = s3
        self._wrap = wrap

    def get_object(self, **params: Any) -> dict[str, Any]:
        response = self._s3.get_object(**params)
        return {**response, "Body": self._wrap(response["Body"])}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)


def _runtime_reading_through(wrap: Any) -> handler.Runtime:
    rt = handler.runtime()
    clients = handler.Clients(_S3WithWrappedBodies(rt.clients.s3, wrap), rt.clients.sns, rt.clients.engine)
    return handler.Runtime(rt.settings, rt.whitelist, clients, rt.scrubber)


def test_s3_read_failing_mid_stream_raises_and_loads_nothing(client: IngestClient, make_csv, monkeypatch):
    monkeypatch.setenv("BLOCK_BYTES", str(64 * 1024))
    put = client.upload("test.csv", make_csv("test", rows=30_000, seed=72).data)
    client.real_events()
    event = client.s3_event("test.csv", put["ETag"])
    with pytest.raises(TransientError, match="S3 read failed"):
        handler.handle(event, LambdaContext.fresh(), _runtime_reading_through(_BrokenStream))
    assert client.checksum("test") == "absent" and client.messages(wait=0) == []
    assert client.invoke(event)["outcomes"][0]["rows_loaded"] == 30_000


def test_load_that_cannot_finish_in_time_rolls_back_and_fails_naming_the_budget(client: IngestClient, make_csv,
                                                                               monkeypatch):
    monkeypatch.setenv("BLOCK_BYTES", str(64 * 1024))
    client.ingest("first/test.csv", make_csv("test", rows=100, seed=73).data)
    before = client.checksum("test")
    put = client.upload("big/test.csv", make_csv("test", rows=50_000, seed=74).data)
    client.real_events()

    # 1 s beyond the 10 s safety margin; the slowed download needs several seconds whatever the machine.
    outcome = handler.handle(client.s3_event("big/test.csv", put["ETag"]), LambdaContext.fresh(timeout_seconds=11),
                             _runtime_reading_through(_SlowStream))["outcomes"][0]

    assert outcome["status"] == "FAILED"
    (error,) = outcome["errors"]
    assert "remaining time" in error["rule"] and "MB/s" in error["rule"]
    assert client.checksum("test") == before
    # Not a verdict on the file: not recorded in the ledger, so a delivery with time enough loads it.
    assert client.invoke(client.s3_event("big/test.csv", put["ETag"]))["outcomes"][0]["rows_loaded"] == 50_000
