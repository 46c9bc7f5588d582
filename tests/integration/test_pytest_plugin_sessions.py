"""The plugin in pytest sessions of their own, as in another repository: its stack is stopped however the
session ends, a running stack is reused and left running, contracts come from the option or the ini file,
and a session that asks for no fixture starts nothing.

Each session runs `python -m pytest` in a folder of its own (its own pytest.ini) with a private TMPDIR, so
whatever its stack starts or writes can be found there afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import state
from harness.stack import StackInfo
from harness.stack.health import is_healthy
from harness.stack.processes import is_alive
from tests.support.leftovers import files_left, processes_using

SCORES_CONTRACT = """\
file: scores.csv
table: scores
mode: append
columns:
  player: {type: text, min_length: 1}
  points: {type: integer, minimum: 0}
"""


@pytest.fixture
def private_tmp() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="harness-plugin-tmp-"))
    folder.chmod(0o755)  # `nobody` must reach PostgreSQL's folder inside it
    yield folder
    for process in processes_using(folder):  # only when a test failed: never leave its stack running
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(process.name), signal.SIGKILL)
    shutil.rmtree(folder, ignore_errors=True)


def _project(root: Path, tests: str, ini: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text(f"[pytest]\naddopts = -p no:cacheprovider\n{ini}")
    (root / "test_inner.py").write_text(tests)
    return root


def _environment(**extra: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items()
                 if k not in ("HARNESS_STATE_DIR", "TABLE_CONTRACTS") and not k.startswith("PYTEST_")}
    return {**inherited, **extra}


def _pytest(project: Path, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    # SIG_DFL first: a shell without job control starts background jobs with SIGINT ignored (CI).
    # The entry point by its name and no other installed plugin (Faker's and Hypothesis's take two seconds).
    return subprocess.Popen([sys.executable, "-m", "pytest", "-p", "csv_ingest", "-q", *args], cwd=project,
                            env={**env, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


INTERRUPTED = """\
import os, time
from pathlib import Path

def test_fails_first(ingest_lane):
    assert ingest_lane.sql("select 1") == [(2,)]

def test_waits_to_be_interrupted(ingest_lane):
    Path(os.environ["READY_FILE"]).write_text(ingest_lane.schema)
    time.sleep(120)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "SIGTERM"])
def test_a_session_with_a_failed_test_interrupted_leaves_nothing_running(
    tmp_path: Path, private_tmp: Path, sig: signal.Signals
) -> None:
    ready = tmp_path / "ready"
    session = _pytest(_project(tmp_path / "project", INTERRUPTED),
                      env=_environment(TMPDIR=str(private_tmp), READY_FILE=str(ready)))
    try:
        deadline = time.monotonic() + 120
        while not ready.exists() and session.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), session.communicate()[0] if session.poll() is not None else "not ready in 120 s"
        assert processes_using(private_tmp) != []  # the stack is up, and findable
        session.send_signal(sig)
        output = session.communicate(timeout=60)[0]
    finally:
        if session.poll() is None:
            session.kill()
    assert session.returncode == 2, output  # pytest's code for an interrupted session
    assert "1 failed" in output and "KeyboardInterrupt" in output, output
    assert processes_using(private_tmp) == []
    assert files_left(private_tmp) == []


REUSED = """\
import os

def test_uses_the_running_stack(ingest_stack):
    assert ingest_stack.aws_endpoint_url == os.environ["EXPECTED_ENDPOINT"]

def test_loads_with_the_ini_files_contracts(ingest_lane, tmp_path):
    scores = tmp_path / "scores.csv"
    scores.write_text("player,points\\nada,3\\ngrace,5\\n")
    assert ingest_lane.replay(scores)["status"] == "SUCCEEDED"
    assert ingest_lane.sql("select sum(points) from scores") == [(8,)]
"""


def test_a_running_stack_named_by_harness_state_dir_is_used_and_left_running(tmp_path: Path, stack: StackInfo) -> None:
    state.save(stack, tmp_path / "state")  # as `harness up` records it
    project = _project(tmp_path / "project", REUSED, ini="ingest_contracts = tables\n")
    (project / "tables").mkdir()
    (project / "tables" / "scores.yaml").write_text(SCORES_CONTRACT)

    session = _pytest(project / "tables", str(project / "test_inner.py"),  # invoked elsewhere: the ini decides
                      env=_environment(HARNESS_STATE_DIR=str(tmp_path / "state"),
                                       EXPECTED_ENDPOINT=stack.aws_endpoint_url))
    output = session.communicate(timeout=120)[0]

    assert session.returncode == 0, output
    assert all(is_alive(p) for p in stack.runtime.processes) and is_healthy(stack)


NO_STACK_NEEDED = """\
import sys

def test_a_session_without_the_fixtures_imports_nothing_of_the_stack():
    heavy = ("harness.stack", "harness.scenarios", "lambda_function", "sqlalchemy", "boto3", "pandas")
    assert [m for m in sys.modules if m.startswith(heavy)] == []

def test_broken_contracts(ingest_lane):
    pass
"""


def test_broken_contracts_fail_the_tests_that_use_the_stack_and_start_nothing(
    tmp_path: Path, private_tmp: Path
) -> None:
    project = _project(tmp_path / "project", NO_STACK_NEEDED)
    (project / "broken").mkdir()
    (project / "broken" / "scores.yaml").write_text(SCORES_CONTRACT.replace("integer", "money"))

    session = _pytest(project, "--ingest-contracts", "broken",
                      env=_environment(TMPDIR=str(private_tmp), TABLE_CONTRACTS="/nowhere"))
    output = session.communicate(timeout=120)[0]

    assert session.returncode == 1, output
    assert "1 passed, 1 error" in output, output
    assert "from --ingest-contracts" in output and "columns.points.type: unknown type 'money'" in output, output
    assert "scores.yaml" in output and "Traceback" not in output, output
    assert processes_using(private_tmp) == [] and files_left(private_tmp) == []
