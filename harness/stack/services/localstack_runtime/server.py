"""LocalStack's runtime as a host process (no Docker), with every file it writes in one folder."""

from __future__ import annotations

import json
import os
import signal
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from harness.stack.errors import StackError
from harness.stack.info import ProcessRecord
from harness.stack.ports import LOOPBACK, free_port
from harness.stack.processes import is_alive, poll_until, spawn_detached, stop_process, tail

READY_TIMEOUT_SECONDS = 60.0
SERVICES = ("s3", "sns", "sqs")
LAUNCHER = Path(__file__).with_name("launch.py")


@dataclass(frozen=True)
class RunningLocalStack:
    process: ProcessRecord
    port: int
    endpoint_url: str
    log_path: Path


def localstack_environment(root: Path, port: int) -> dict[str, str]:
    """A minimal environment: host mode, loopback only, and every path inside `root`."""
    folders = {name: root / name for name in ("home", "tmp", "fs", "config", "s3")}
    for folder in folders.values():
        folder.mkdir(exist_ok=True)
    address = f"{LOOPBACK}:{port}"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(folders["home"]),
        # TMP, not TMPDIR: LocalStack reads TMPDIR as a deprecated setting of its own and warns.
        "TMP": str(folders["tmp"]),
        "FILESYSTEM_ROOT": str(folders["fs"]),
        "CONFIG_DIR": str(folders["config"]),
        "HARNESS_S3_STORAGE_DIR": str(folders["s3"]),  # read by launch.py
        "GATEWAY_LISTEN": address,
        # Queue URLs must name this port on loopback, not localhost.localstack.cloud:4566 (DNS).
        "LOCALSTACK_HOST": address,
        "SQS_ENDPOINT_STRATEGY": "path",
        "DNS_ADDRESS": "0",
        "OVERRIDE_IN_DOCKER": "0",  # a /.dockerenv in sandboxes would make it think it is a container
        "SERVICES": ",".join(SERVICES),
        # Load the services at start, so "ready" means the first request does not wait ~5 s.
        "EAGER_SERVICE_LOADING": "1",
        "DISABLE_EVENTS": "1",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
    }


def spawn_localstack(python: Path, root: Path) -> RunningLocalStack:
    """Start the runtime in the background (it loads while PostgreSQL initialises)."""
    port = free_port()
    log_path = root / "localstack.log"
    # The environment is built from scratch (localstack_environment), so no PYTHON* variable of
    # ours reaches that venv; the launcher's folder holds no module named after a distribution.
    argv = [str(python), str(LAUNCHER)]
    _popen, record = spawn_detached(
        "localstack", argv, log_path=log_path, env=localstack_environment(root, port), cwd=root
    )
    return RunningLocalStack(record, port, f"http://{LOOPBACK}:{port}", log_path)


def wait_localstack_ready(localstack: RunningLocalStack) -> None:
    if poll_until(lambda: localstack_answers(localstack.endpoint_url), timeout=READY_TIMEOUT_SECONDS, interval=0.1,
                  alive=lambda: is_alive(localstack.process)):
        return
    if not is_alive(localstack.process):
        raise StackError(f"LocalStack exited during start:\n{tail(localstack.log_path)}")
    stop_localstack(localstack.process)
    raise StackError(
        f"LocalStack did not report {', '.join(SERVICES)} running in {READY_TIMEOUT_SECONDS:.0f}s:\n"
        f"{tail(localstack.log_path)}"
    )


def localstack_answers(endpoint_url: str) -> bool:
    """True when the health endpoint reports every service we need as loaded."""
    try:
        with urllib.request.urlopen(f"{endpoint_url}/_localstack/health", timeout=1) as response:  # noqa: S310
            services = json.load(response).get("services", {})
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return all(services.get(name) in ("running", "available") for name in SERVICES)


def stop_localstack(process: ProcessRecord) -> None:
    # SIGTERM runs LocalStack's shutdown hooks, then it idles 5-7 s before exiting. Its state is
    # throwaway and every file it wrote is in its own folder (removed by the backend), so after a
    # short grace SIGKILL loses nothing.
    stop_process(process, signal.SIGTERM, 2.0)
