"""Start background processes that outlive the caller, and stop exactly those processes later.

A process is identified by pid *and* its start time (psutil's create_time), so a pid recycled by
the kernel after a crash is never signalled by `down`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil

from harness.stack.errors import StackError
from harness.stack.info import ProcessRecord
from harness.stack.services.postgres.run_as import RunAs


def process_started_at(pid: int) -> float | None:
    """When `pid` started (seconds since the epoch), or None when there is no such process."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:  # it has finished; only its exit status is left
            return None
        return process.create_time()
    except psutil.Error:
        return None


def is_alive(record: ProcessRecord) -> bool:
    _reap(record.pid)
    return process_started_at(record.pid) == record.started_at


def spawn_detached(
    name: str,
    argv: Sequence[str],
    *,
    log_path: Path,
    env: dict[str, str],
    cwd: Path,
    run_as: RunAs | None = None,
) -> tuple[subprocess.Popen[bytes], ProcessRecord]:
    """Start `argv` in its own session so it survives the command that started it."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
            **(run_as.popen_kwargs() if run_as else {}),
        )
    started_at = process_started_at(process.pid)
    if started_at is None:
        raise StackError(f"{name} exited at once; see {log_path}:\n{tail(log_path)}")
    return process, ProcessRecord(name=name, pid=process.pid, started_at=started_at)


def stop_process(record: ProcessRecord, first_signal: signal.Signals, grace_seconds: float) -> None:
    """Signal the process, wait up to `grace_seconds`, then SIGKILL it. Gone already is fine."""
    if not is_alive(record):
        return
    _signal(record, first_signal)
    if _wait_gone(record, grace_seconds):
        return
    _signal(record, signal.SIGKILL)
    if not _wait_gone(record, 5.0):
        raise StackError(f"{record.name} (pid {record.pid}) did not stop after SIGKILL")


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _signal(record: ProcessRecord, sig: signal.Signals) -> None:
    if process_started_at(record.pid) != record.started_at:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(record.pid, sig)


def poll_until(check: Callable[[], bool], *, timeout: float, interval: float,
               alive: Callable[[], bool] | None = None) -> bool:
    """The one wait loop: True once `check()` holds; False after `timeout`, or as soon as `alive()` is False."""
    deadline = time.monotonic() + timeout
    while True:
        if alive is not None and not alive():
            return False
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def _wait_gone(record: ProcessRecord, seconds: float) -> bool:
    return poll_until(lambda: not is_alive(record), timeout=seconds, interval=0.02)


def _reap(pid: int) -> None:
    # When the process is our own child (an in-process `up`, the test fixture), collect its exit
    # status so it does not linger as a zombie; for anyone else's child this is a no-op.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
