"""The localstack backend end to end: LocalStack's real S3 events drive the production handler.

Runs in the default integration run (about 15-25 s once the LocalStack venv exists; its first
build takes about a minute) and in `tox -e localstack`. When the venv cannot be built (no package
index reachable), every test here is skipped with that reason; never silently.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import lambda_function
from harness.emulator.runtime import LambdaContext
from harness.stack import StackError, StackInfo, ephemeral_stack, stack_client, stop_stack
from harness.stack.processes import is_alive
from harness.stack.services.localstack_runtime.install import ensure_venv
from tests.support.client import receive_bodies
from tests.unit.harness.test_compose_backend import FAKE_DOCKER

pytestmark = pytest.mark.slow

USERS_CSV = (
    "user_id,email,full_name,country_code,signup_date,is_active\n"
    "1,ada@example.com,Ada Lovelace,GB,2020-01-02,true\n"
    "2,alan@example.com,Alan Turing,GB,2021-03-04,false\n"
    "3,grace@example.com,Grace Hopper,US,2019-12-09,TRUE\n"
)
# Spaces and '+' in the key: LocalStack sends `in%20coming/a%2Bb/users.csv`, moto `+` and `%2F`.
KEY = "in coming/a+b/users.csv"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def localstack_stack() -> Iterator[StackInfo]:
    try:
        ensure_venv()
    except StackError as exc:  # needs only PyPI, which `make test` needs anyway: a failure, not a skip
        pytest.fail(f"localstack: the LocalStack venv could not be built: {exc}")
    with ephemeral_stack("localstack") as info:
        yield info


def test_a_real_localstack_event_loads_once_and_a_redelivery_is_skipped(
    localstack_stack: StackInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = localstack_stack
    schema = f"ls_{uuid.uuid4().hex[:8]}"
    for name, value in {**stack.lambda_environment(), "DB_SCHEMA": schema}.items():
        monkeypatch.setenv(name, value)

    stack_client(stack, "s3").put_object(Bucket=stack.bucket, Key=KEY, Body=USERS_CSV.encode())
    (event,) = receive_bodies(stack, stack.events_queue_url, expect=1)
    assert event["Records"][0]["s3"]["object"]["key"] == "in%20coming/a%2Bb/users.csv"  # LocalStack's encoding

    first = lambda_function.lambda_handler(event, LambdaContext.fresh())
    second = lambda_function.lambda_handler(event, LambdaContext.fresh())

    (loaded,) = first["outcomes"]
    assert loaded["status"] == "SUCCEEDED" and loaded["key"] == KEY and loaded["rows_loaded"] == 3
    assert [o["status"] for o in second["outcomes"]] == ["SKIPPED"]
    engine = sa.create_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(f'SELECT user_id, email FROM "{schema}".users ORDER BY user_id')).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "ada@example.com"), (2, "alan@example.com"), (3, "grace@example.com")]
    notes = receive_bodies(stack, stack.notifications_queue_url, expect=2)
    statuses = sorted(json.loads(n["Message"])["status"] for n in notes)
    assert statuses == ["SKIPPED", "SUCCEEDED"]


def test_localstack_keeps_object_bytes_in_its_own_folder(localstack_stack: StackInfo) -> None:
    (root,) = [Path(d) for d in localstack_stack.runtime.temp_dirs if Path(d).name.startswith("harness-localstack-")]
    assert (root / "s3" / localstack_stack.bucket).is_dir()
    assert not Path("/tmp/localstack-s3-storage").exists()


def test_the_docker_suite_runs_with_host_localstack_standing_in_for_its_containers(
    localstack_stack: StackInfo, tmp_path: Path
) -> None:
    # No Docker daemon here: `docker` is the fake from the compose unit tests (see there); the
    # "containers" it reports are this module's real LocalStack and PostgreSQL. This runs the
    # pytest-docker fixtures of tests/docker and its tests for real, through `tox -e docker`'s script.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(FAKE_DOCKER.format(python=sys.executable))
    (bin_dir / "docker").chmod(0o755)
    database = make_url(localstack_stack.database_url)
    ports = {"postgres": str(database.port), "localstack": localstack_stack.aws_endpoint_url.rsplit(":", 1)[1]}
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_DOCKER_LOG": str(tmp_path / "docker.log"),
        "FAKE_DOCKER_PORTS": json.dumps(ports),
        "HARNESS_POSTGRES_PASSWORD": str(database.password),
    }
    command = [sys.executable, "-m", "harness.stack.compose_check", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0 and "2 passed" in done.stdout, done.stdout + done.stderr
    calls = [json.loads(line)["argv"] for line in (tmp_path / "docker.log").read_text().splitlines()]
    assert ["up", "-d", "--wait", "--wait-timeout", "300", "postgres", "localstack"] in [c[5:] for c in calls]
    assert calls[-1][5:] == ["down", "-v", "--remove-orphans"]


def test_down_stops_exactly_its_processes_and_removes_its_folders(localstack_stack: StackInfo) -> None:
    # Runs last in this module: it takes the module's stack down (the fixture's own stop is idempotent).
    stop_stack(localstack_stack)
    assert not any(is_alive(p) for p in localstack_stack.runtime.processes)
    assert not any(Path(d).exists() for d in localstack_stack.runtime.temp_dirs)
