"""moto's server (S3, SNS, SQS, Secrets Manager over HTTP) as a child process with fresh state."""

from __future__ import annotations

import os
import signal
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from harness.stack.errors import StackError
from harness.stack.info import DUMMY_CREDENTIALS, ProcessRecord
from harness.stack.ports import LOOPBACK, free_port
from harness.stack.processes import is_alive, poll_until, spawn_detached, stop_process, tail

READY_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class RunningMoto:
    process: ProcessRecord
    port: int
    endpoint_url: str


def spawn_moto(temp_dir: Path) -> RunningMoto:
    """Start the server without waiting for it (it imports while PostgreSQL initialises)."""
    port = free_port()
    env = {**os.environ, **DUMMY_CREDENTIALS, "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("AWS_ENDPOINT_URL", None)
    argv = [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)]
    _popen, record = spawn_detached("moto", argv, log_path=temp_dir / "moto.log", env=env, cwd=temp_dir)
    return RunningMoto(process=record, port=port, endpoint_url=f"http://{LOOPBACK}:{port}")


def wait_moto_ready(moto: RunningMoto, log_path: Path) -> None:
    if poll_until(lambda: moto_answers(moto.endpoint_url), timeout=READY_TIMEOUT_SECONDS, interval=0.05,
                  alive=lambda: is_alive(moto.process)):
        return
    if not is_alive(moto.process):
        raise StackError(f"moto server exited during start:\n{tail(log_path)}")
    stop_process(moto.process, signal.SIGTERM, 5.0)
    raise StackError(f"moto server did not answer in {READY_TIMEOUT_SECONDS:.0f}s:\n{tail(log_path)}")


def moto_answers(endpoint_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint_url}/moto-api/", timeout=1) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def stop_moto(process: ProcessRecord) -> None:
    stop_process(process, signal.SIGTERM, 5.0)
