"""The CLI around a running stack as a newcomer uses it: eval the env, replay, read the messages, query.

A real `harness up` (moto server + embedded PostgreSQL) and the real handler; commands run as a user
types them (subprocesses where the shell matters: eval, PATH, the current folder).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from harness import state
from harness.cli import app

runner = CliRunner()
HEADER = "user_id,email,full_name,country_code,signup_date,is_active\n"
GOOD = HEADER + "1,a@x.io,Ann,GB,2020-01-01,true\n2,b@x.io,Bob,FR,2020-01-02,false\n"
BAD = HEADER + "1,a@x.io,Ann,GB,2020-01-01,true\n2,not-an-email,Bob,FR,2020-01-02,false\n"


def _harness(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=env or os.environ.copy(), timeout=300, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project folder whose `.harness/` holds a running stack."""
    root = tmp_path_factory.mktemp("project")
    directory = root / ".harness"
    result = runner.invoke(app, ["up", "--state-dir", str(directory)])
    assert result.exit_code == 0, result.output
    yield root
    runner.invoke(app, ["down", "--state-dir", str(directory)])


def test_up_env_is_eval_safe_and_pg_url_is_a_libpq_url(project: Path) -> None:
    directory = str(project / ".harness")
    printed = _harness("up", "--env", "--state-dir", directory)
    assert printed.returncode == 0 and printed.stdout.strip()
    assert all(line.startswith("export ") for line in printed.stdout.splitlines()), printed.stdout
    shell = subprocess.run(["bash", "-c", f'eval "$({sys.executable} -m harness.cli status --env '
                                          f'--state-dir {directory})" && echo "$PGURL"'],
                           capture_output=True, text=True, check=True)
    pg_url = shell.stdout.strip()
    stack_json = json.loads((project / ".harness" / "stack.json").read_text())
    assert pg_url == stack_json["pg_url"] and pg_url.startswith("postgresql://")
    assert stack_json["database_url"].startswith("postgresql+psycopg://")
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    status = _harness("status", "--state-dir", directory, env={**os.environ, "COLUMNS": "200"}).stdout
    assert "up: accepts connections" in status  # in words, not only in colour


def test_replay_exit_codes_and_messages_show_what_it_announced(project: Path, tmp_path: Path) -> None:
    env = {**os.environ, "HARNESS_STATE_DIR": str(project / ".harness")}
    good, bad, other = tmp_path / "users.csv", tmp_path / "bad" / "users.csv", tmp_path / "nope.csv"
    bad.parent.mkdir()
    good.write_text(GOOD)
    bad.write_text(BAD)
    other.write_text(GOOD)

    assert _harness("replay", str(good), "--no-logs", env=env).returncode == 0  # --key defaults to users.csv
    assert _harness("replay", str(bad), "--key", "in/users.csv", "--no-logs", env=env).returncode == 1
    assert _harness("replay", str(other), "--no-logs", env=env).returncode == 3
    assert _harness("replay", str(tmp_path / "absent.csv"), env=env).returncode == 2

    shown = _harness("messages", env={**env, "COLUMNS": "200"})
    assert shown.returncode == 0
    assert "SUCCEEDED users.csv -> users: 2 rows loaded" in shown.stdout
    assert "FAILED" in shown.stdout and "row 2, column email: plausible email address" in shown.stdout
    assert "REJECTED" in shown.stdout
    bodies = [json.loads(line) for line in _harness("messages", "--json", "--status", "FAILED",
                                                    env=env).stdout.splitlines()]
    assert [b["key"] for b in bodies] == ["in/users.csv"] and bodies[0]["errors"][0]["row"] == 2
    assert "Sns" not in json.dumps(bodies) and "TopicArn" not in json.dumps(bodies)  # envelope removed


def test_commands_find_the_stack_from_a_subfolder_and_say_where_they_looked(project: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_STATE_DIR"}
    sub = project / "data" / "2026"
    sub.mkdir(parents=True, exist_ok=True)
    assert state.load(project / ".harness") is not None
    found = _harness("status", "--json", cwd=sub, env=env)
    assert found.returncode == 0 and json.loads(found.stdout)["running"] is True
    lost = _harness("messages", cwd=tmp_path, env=env)
    assert lost.returncode == 1 and f"in {tmp_path}" in lost.stderr.replace("\n", "")


def test_psql_without_psql_says_how_to_install_it_and_prints_the_url(project: Path, tmp_path: Path) -> None:
    env = {**os.environ, "HARNESS_STATE_DIR": str(project / ".harness"), "PATH": str(tmp_path)}
    result = _harness("psql", env=env)
    stack_json = json.loads((project / ".harness" / "stack.json").read_text())
    assert result.returncode == 1 and "apt install postgresql-client" in result.stderr
    assert result.stdout.strip() == stack_json["pg_url"]

