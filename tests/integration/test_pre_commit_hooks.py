"""`.pre-commit-hooks.yaml` through `pre-commit try-repo`, against a temporary git repository, as a user's repo
would run it: a good file and a name no contract accepts pass, a bad file fails naming row and column, a
broken contract fails naming file and field.

try-repo builds the hook's environment every time (a fresh store per call): with pre-commit-uv (a dev
dependency) that is about 8 s a call here, against about 50 s with pip; three calls keep the test bounded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
HEADER = "user_id,email,full_name,country_code,signup_date,is_active\n"
GOOD_ROW = "1,ada@example.com,Ada Lovelace,GB,2024-01-15,true\n"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args], cwd=cwd,
                   check=True, capture_output=True)


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    """A producer's repository: contracts/ (copied from ours), data files, one commit."""
    repo = tmp_path / "producer"
    (repo / "contracts").mkdir(parents=True)
    (repo / "contracts" / "users.yaml").write_text((REPO / "contracts" / "users.yaml").read_text())
    (repo / "data" / "bad").mkdir(parents=True)
    (repo / "data" / "users.csv").write_text(HEADER + GOOD_ROW)
    (repo / "data" / "bad" / "users.csv").write_text(HEADER + GOOD_ROW + "2,bob@example.com,Bob,gb,2024-01-15,true\n")
    (repo / "data" / "lookup.csv").write_text("code,label\nGB,Britain\n")  # not an upload: no contract for it
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "data")
    return repo


def _try_repo(repo: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"), "PRE_COMMIT_COLOR": "never"}
    env.pop("TABLE_CONTRACTS", None)
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "--files", *files],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=300)


def _verdicts(output: str) -> dict[str, str]:
    """The summary line of each hook: its name -> Passed / Failed / Skipped."""
    names = {"validate CSVs against their table contracts", "check table contracts"}
    return {line.split(".")[0]: line.rsplit(".", 1)[-1].split(")")[-1].strip()
            for line in output.splitlines() if line.split(".")[0] in names}


def test_good_files_and_unrelated_names_pass_both_hooks(user_repo: Path) -> None:
    done = _try_repo(user_repo, "data/users.csv", "data/lookup.csv", "contracts/users.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _verdicts(done.stdout) == {"validate CSVs against their table contracts": "Passed",
                                      "check table contracts": "Passed"}


def test_a_bad_file_fails_naming_its_row_and_column(user_repo: Path) -> None:
    done = _try_repo(user_repo, "data/users.csv", "data/bad/users.csv")
    assert done.returncode == 1, done.stdout + done.stderr
    assert _verdicts(done.stdout)["validate CSVs against their table contracts"] == "Failed"
    assert "country_code: two upper-case ASCII letters (1 row)" in done.stdout
    assert "row 2" in done.stdout and "'gb'" in done.stdout
    assert "1 file would FAIL: data/bad/users.csv" in done.stdout


def test_a_broken_contract_fails_naming_file_and_field(user_repo: Path) -> None:
    contract = user_repo / "contracts" / "users.yaml"
    broken = yaml.safe_load(contract.read_text())
    broken["columns"]["signup_date"]["type"] = "datetime"
    contract.write_text(yaml.safe_dump(broken))
    _git(user_repo, "commit", "-q", "-am", "break it")

    done = _try_repo(user_repo, "contracts/users.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert _verdicts(done.stdout)["check table contracts"] == "Failed"
    assert "contracts/users.yaml: columns.signup_date.type: unknown type 'datetime'" in done.stdout
