"""`harness up / status / down` through the real CLI against the embedded backend."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness import state
from harness.cli import app
from harness.stack import StackInfo
from harness.stack.info import DUMMY_CREDENTIALS
from harness.stack.ports import is_listening
from harness.stack.processes import is_alive
from tests.support.leftovers import files_left, processes_using

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    directory = tmp_path / ".harness"
    yield directory
    _run("down", "--state-dir", str(directory))  # never leave a stack behind a failed test


def test_up_twice_status_down_twice(state_dir: Path) -> None:
    code, output = _run("up", "--state-dir", str(state_dir), "--json")
    assert code == 0, output
    described = json.loads(output)
    recorded = json.loads((state_dir / "stack.json").read_text())
    assert set(recorded) == {
        "backend", "aws_endpoint_url", "region", "bucket", "topic_arn",
        "events_queue_url", "notifications_queue_url", "database_url", "pg_url",
    }  # fmt: skip
    assert recorded["database_url"].startswith("postgresql+psycopg://") and recorded["pg_url"].startswith("postgresql://")
    assert described["note"].startswith("started")
    assert oct((state_dir / "stack.json").stat().st_mode & 0o777) == "0o600"  # holds the DB password

    code, output = _run("up", "--state-dir", str(state_dir), "--json")
    assert code == 0 and json.loads(output)["note"] == "already running"
    assert json.loads(output)["aws_endpoint_url"] == recorded["aws_endpoint_url"]

    code, output = _run("status", "--state-dir", str(state_dir), "--json")
    assert code == 0 and json.loads(output)["running"] is True

    info = state.require(state_dir)
    code, output = _run("down", "--state-dir", str(state_dir))
    assert code == 0 and "stopped embedded stack" in output
    assert not any(is_listening(port) for port in info.runtime.ports)
    assert not any(Path(d).exists() for d in info.runtime.temp_dirs)
    assert not (state_dir / "stack.json").exists()

    code, output = _run("down", "--state-dir", str(state_dir))
    assert code == 0 and "nothing to stop" in output
    code, output = _run("status", "--state-dir", str(state_dir))
    assert code == 1 and "no stack recorded" in output


def test_up_prints_endpoints_and_export_lines(state_dir: Path) -> None:
    code, output = _run("up", "--state-dir", str(state_dir))
    assert code == 0, output
    info = state.require(state_dir)
    assert f"export AWS_ENDPOINT_URL={info.aws_endpoint_url}" in output
    assert "export AWS_ACCESS_KEY_ID=testing" in output
    assert f"--endpoint-url {info.aws_endpoint_url} s3 cp" in output


@pytest.mark.parametrize("victim", ["moto", "postgres"])
def test_down_after_a_crashed_up(state_dir: Path, victim: str) -> None:
    assert _run("up", "--state-dir", str(state_dir))[0] == 0
    info = state.require(state_dir)
    crashed = next(p for p in info.runtime.processes if p.name == victim)
    os.kill(crashed.pid, signal.SIGKILL)

    code, output = _run("status", "--state-dir", str(state_dir), "--json")
    assert code == 1 and json.loads(output)["running"] is False

    code, output = _run("down", "--state-dir", str(state_dir))
    assert code == 0, output
    assert not any(is_alive(p) for p in info.runtime.processes)
    assert not any(is_listening(port) for port in info.runtime.ports)
    assert not any(Path(d).exists() for d in info.runtime.temp_dirs)


def test_up_over_a_crashed_stack_replaces_it(state_dir: Path) -> None:
    assert _run("up", "--state-dir", str(state_dir))[0] == 0
    old = state.require(state_dir)
    os.kill(next(p.pid for p in old.runtime.processes if p.name == "moto"), signal.SIGKILL)

    code, output = _run("up", "--state-dir", str(state_dir), "--json")
    assert code == 0 and json.loads(output)["note"].startswith("started")
    assert not any(is_alive(p) for p in old.runtime.processes)
    assert not any(Path(d).exists() for d in old.runtime.temp_dirs)


def test_unknown_backend_is_one_clear_message(state_dir: Path) -> None:
    code, output = _run("up", "--state-dir", str(state_dir), "--backend", "nonsense")
    assert code == 1
    assert "unknown backend 'nonsense'" in output and "Traceback" not in output


def test_external_backend_needs_a_database_url(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_DATABASE_URL", raising=False)
    code, output = _run("up", "--state-dir", str(state_dir), "--backend", "external")
    assert code == 1 and "needs a database URL" in output


def test_external_backend_uses_given_endpoints_and_down_stops_nothing(
    stack: StackInfo, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in DUMMY_CREDENTIALS.items():  # the external backend uses the normal AWS chain
        monkeypatch.setenv(name, value)
    code, output = _run(
        "up", "--backend", "external", "--aws-endpoint-url", stack.aws_endpoint_url,
        "--database-url", stack.database_url, "--bucket", "external-ingest",
        "--state-dir", str(state_dir), "--json",
    )  # fmt: skip
    assert code == 0, output
    described = json.loads(output)
    assert described["backend"] == "external" and described["bucket"] == "external-ingest"
    assert described["database_url"] == stack.database_url
    assert _run("status", "--state-dir", str(state_dir))[0] == 0

    assert _run("down", "--state-dir", str(state_dir))[0] == 0
    assert all(is_alive(p) for p in stack.runtime.processes)  # the given services keep running


def test_two_ups_at_once_start_one_stack(state_dir: Path) -> None:
    env = {**os.environ, "HARNESS_STATE_DIR": str(state_dir)}
    ups = [
        subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "up", "--json"], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [json.loads(p.communicate(timeout=120)[0]) for p in ups]
    assert all(p.returncode == 0 for p in ups)
    assert sorted(o["note"].split(" ")[0] for o in outputs) == ["already", "started"]
    assert outputs[0]["aws_endpoint_url"] == outputs[1]["aws_endpoint_url"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_up_terminated_while_starting_leaves_nothing_behind(state_dir: Path, sig: signal.Signals) -> None:
    private_tmp = Path(tempfile.mkdtemp(prefix="harness-test-tmp-"))
    private_tmp.chmod(0o755)  # `nobody` must reach PostgreSQL's folder inside it
    try:
        env = {**os.environ, "HARNESS_STATE_DIR": str(state_dir), "TMPDIR": str(private_tmp)}
        # SIG_DFL first: a shell without job control starts background jobs with SIGINT ignored (CI).
        up = subprocess.Popen([sys.executable, "-m", "harness.cli", "up"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.monotonic() + 30
        while not list(private_tmp.glob("harness-moto-*")) and time.monotonic() < deadline:
            time.sleep(0.005)
        up.send_signal(sig)  # mid-start: moto spawned, PostgreSQL initialising

        code = up.wait(timeout=60)
        stderr = up.stderr.read() if up.stderr else ""
        assert code != 0 and "Traceback" not in stderr, stderr
        if sig == signal.SIGINT:  # Ctrl-C: one word and the shell's code for SIGINT
            assert code == 130 and "interrupted" in stderr
        assert not (state_dir / "stack.json").exists()
        assert files_left(private_tmp) == []
        assert processes_using(private_tmp) == []
    finally:
        shutil.rmtree(private_tmp, ignore_errors=True)

