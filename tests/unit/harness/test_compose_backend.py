"""The compose backend without a Docker daemon.

No Docker engine runs on our machines, so `docker` itself is the one part played by a fake: a small
executable placed first on PATH in a temp dir, which logs its command lines and answers `info`,
`compose version`, `up`, `port` and `down` as Docker would. Everything behind it is real: the
"containers" are a real moto server and a real PostgreSQL (the embedded backend's, started
unprovisioned), so health waiting, provisioning, stack.json and `down` run for real.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from harness.cli import app
from harness.stack import StackError, StartedServices, stack_client
from harness.stack.backends.compose import ComposeBackend, wait_until_healthy
from harness.stack.backends.embedded import EmbeddedBackend
from harness.stack.compose_check import main as compose_check
from harness.stack.compose_check import pytest_command
from harness.stack.info import RuntimeState
from harness.stack.ports import free_port
from harness.stack.provision import ResourceNames
from harness.stack.services.compose_cli import docker_problem
from harness.stack.services.moto_server import moto_answers
from harness.state import load

FAKE_DOCKER = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_DOCKER_LOG"], "a") as log:
    variables = {{k: v for k, v in os.environ.items() if k.startswith("HARNESS_") and k.endswith("_PORT")}}
    log.write(json.dumps({{"argv": args, "variables": variables}}) + "\\n")
def fail(message):
    sys.stderr.write(message + "\\n")
    sys.exit(1)
if args[0] == "info":
    if os.environ.get("FAKE_DOCKER_INFO_ERROR"):
        fail(os.environ["FAKE_DOCKER_INFO_ERROR"])
    print("28.2.2")
elif args[:2] == ["compose", "version"]:
    print("Docker Compose version v2.39.1")
elif args[0] == "compose":
    command = args[args.index("-p") + 2:]
    while command[0] == "--profile":
        command = command[2:]
    if command[0] == "up" and os.environ.get("FAKE_DOCKER_UP_ERROR"):
        fail(os.environ["FAKE_DOCKER_UP_ERROR"])
    if command[0] == "port":
        print("127.0.0.1:" + json.loads(os.environ["FAKE_DOCKER_PORTS"])[command[1]])
else:
    fail("fake docker: unexpected " + " ".join(args))
"""

runner = CliRunner()


@pytest.fixture(scope="module")
def containers() -> Iterator[StartedServices]:
    """What `docker compose up` would run, played by a real moto server and a real PostgreSQL."""
    services = EmbeddedBackend().start()
    yield services
    EmbeddedBackend.stop(services.runtime)


@pytest.fixture
def docker_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, containers: StartedServices) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "docker"
    fake.write_text(FAKE_DOCKER.format(python=sys.executable))
    fake.chmod(0o755)
    log = tmp_path / "docker.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_DOCKER_LOG", str(log))
    database = make_url(containers.database_url)
    aws_port = containers.aws_endpoint_url.rsplit(":", 1)[1]
    monkeypatch.setenv("FAKE_DOCKER_PORTS", json.dumps({"postgres": str(database.port), "moto": aws_port}))
    monkeypatch.setenv("HARNESS_COMPOSE_AWS", "moto")
    monkeypatch.setenv("HARNESS_POSTGRES_PASSWORD", str(database.password))  # the real server's password
    for name in ("FAKE_DOCKER_INFO_ERROR", "FAKE_DOCKER_UP_ERROR", "HARNESS_COMPOSE_PROJECT", "HARNESS_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    return log


def _calls(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _compose_calls(log: Path) -> list[list[str]]:
    return [c["argv"] for c in _calls(log) if c["argv"][:2] == ["compose", "-f"]]


def test_up_provisions_writes_stack_json_and_down_removes_that_project(docker_log: Path, tmp_path: Path) -> None:
    state_dir = tmp_path / ".harness"
    bucket = "compose-ingest"
    result = runner.invoke(app, ["up", "--backend", "compose", "--bucket", bucket, "--state-dir", str(state_dir)])
    assert result.exit_code == 0, result.output

    info = load(state_dir)
    assert info is not None and info.backend == "compose" and info.bucket == bucket
    assert moto_answers(info.aws_endpoint_url)
    assert bucket in [b["Name"] for b in stack_client(info, "s3").list_buckets()["Buckets"]]
    (up, *ports) = _compose_calls(docker_log)
    project = up[up.index("-p") + 1]
    assert project.startswith("harness-")
    assert up[up.index("-p") + 2 :] == [
        "--profile", "moto", "up", "-d", "--wait", "--wait-timeout", "120", "postgres", "moto",
    ]  # fmt: skip
    assert [p[-3:] for p in ports] == [["port", "moto", "5000"], ["port", "postgres", "5432"]]
    # The host ports compose is told to publish are free ports the backend chose.
    variables = next(c["variables"] for c in _calls(docker_log) if "up" in c["argv"])
    assert set(variables) == {"HARNESS_POSTGRES_PORT", "HARNESS_MOTO_PORT"}

    status = runner.invoke(app, ["status", "--state-dir", str(state_dir)])
    assert status.exit_code == 0, status.output

    (record_dir,) = info.runtime.temp_dirs
    result = runner.invoke(app, ["down", "--state-dir", str(state_dir)])
    assert result.exit_code == 0, result.output
    down = _compose_calls(docker_log)[-1]
    assert down[down.index("-p") + 1] == project and down[-3:] == ["down", "-v", "--remove-orphans"]
    assert not Path(record_dir).exists() and load(state_dir) is None


def test_no_daemon_is_one_clear_message(docker_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_DOCKER_INFO_ERROR", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock.")
    result = runner.invoke(app, ["up", "--backend", "compose", "--state-dir", str(tmp_path / ".harness")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "the compose backend needs Docker: no Docker daemon reachable (docker info failed: Cannot" in " ".join(
        result.output.split()
    )
    assert _compose_calls(docker_log) == []  # nothing was started


def test_no_docker_client_is_one_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no docker anywhere
    assert docker_problem() == "no `docker` client on PATH"
    with pytest.raises(StackError, match="needs Docker: no `docker` client on PATH"):
        ComposeBackend().up()


@pytest.mark.skipif(shutil.which("docker") is None, reason="no real docker client here to ask")
def test_the_real_docker_client_without_a_daemon_gives_the_same_message() -> None:
    problem = docker_problem()
    if problem is None:
        pytest.skip("a Docker daemon is reachable here")
    assert problem.startswith(("no Docker daemon reachable (docker info failed: ", "no Docker Compose v2 plugin"))


def test_a_failed_up_takes_the_half_started_project_down(docker_log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_DOCKER_UP_ERROR", "dependency failed to start: container postgres is unhealthy")
    with pytest.raises(StackError, match="container postgres is unhealthy"):
        ComposeBackend(names=ResourceNames(bucket="never-made"), project="harness-failed").up()
    commands = [argv[argv.index("-p") + 1 :] for argv in _compose_calls(docker_log)]
    assert commands[0][1:4] == ["--profile", "moto", "up"]
    assert commands[-1][0] == "harness-failed" and commands[-1][-3:] == ["down", "-v", "--remove-orphans"]


def test_health_wait_names_the_part_that_does_not_answer(containers: StartedServices) -> None:
    nothing = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StackError, match=re.escape(f"AWS emulator at {nothing} does not answer")):
        wait_until_healthy(_services(nothing, containers.database_url), moto_answers, timeout=0.5)
    closed_db = containers.database_url.rsplit("@", 1)[0] + f"@127.0.0.1:{free_port()}/ingest"
    with pytest.raises(StackError, match=r"not healthy after 0s: PostgreSQL at .* does not answer"):
        wait_until_healthy(_services(containers.aws_endpoint_url, closed_db), moto_answers, timeout=0.2)
    wait_until_healthy(containers, moto_answers, timeout=5)  # both answer: returns at once


def test_docker_check_reports_not_run_without_running_pytest(
    docker_log: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAKE_DOCKER_INFO_ERROR", "Cannot connect to the Docker daemon")
    assert compose_check([]) == 0
    assert capsys.readouterr().out == (
        "docker: NOT RUN — no Docker daemon reachable (docker info failed: Cannot connect to the Docker daemon)\n"
    )
    assert pytest_command(["-x"])[1:] == ["-m", "pytest", "-m", "docker", "tests/docker", "-x"]


def _services(aws_endpoint_url: str, database_url: str) -> StartedServices:
    return StartedServices(aws_endpoint_url, "us-east-1", database_url, RuntimeState())
