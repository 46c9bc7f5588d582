"""`harness hook validate|contracts` (what .pre-commit-hooks.yaml runs) and the manifest itself.

pre-commit itself runs them in tests/integration/test_pre_commit_hooks.py; here the commands' own rules.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from harness.cli import app
from tests.support.csv_text import USERS, csv_file, row, users_row

REPO = Path(__file__).resolve().parents[3]
runner = CliRunner()


@pytest.fixture
def producer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository's root (the folder pre-commit runs hooks in) with contracts/ and a few files."""
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "users.yaml").write_text((REPO / "contracts" / "users.yaml").read_text())
    (tmp_path / "users.csv").write_bytes(csv_file(USERS, [users_row(1), users_row(2)]))
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "users.csv.gz").write_bytes(gzip.compress(
        csv_file(USERS, [users_row(1), row(USERS, user_id="2", email="x@y.zz", country_code="gb")])))
    (tmp_path / "notes.csv").write_text("anything,at all\n1\n")  # ragged, but no contract accepts the name
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TABLE_CONTRACTS", raising=False)
    return tmp_path


def test_validate_checks_accepted_names_skips_the_others_and_fails_naming_row_and_column(producer: Path) -> None:
    good = runner.invoke(app, ["hook", "validate", "users.csv", "notes.csv"])
    assert good.exit_code == 0, good.output
    assert "notes.csv" not in good.output and "SUCCEEDED: 2 rows would load into users" in good.output

    bad = runner.invoke(app, ["hook", "validate", "users.csv", "bad/users.csv.gz", "notes.csv"])
    assert bad.exit_code == 1
    assert "country_code: two upper-case ASCII letters (1 row)" in bad.output and "row 2" in bad.output
    assert bad.output.rstrip().endswith("1 file would FAIL: bad/users.csv.gz")


def test_the_contracts_folder_comes_from_the_option_else_table_contracts_else_contracts(
    producer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (producer / "contracts").rename(producer / "tables")
    missing = runner.invoke(app, ["hook", "validate", "users.csv"])
    assert missing.exit_code == 2
    assert "contracts (the default ./contracts) is not a folder of table contracts" in missing.stderr
    assert "args: [--contracts, DIR]" in missing.stderr
    assert runner.invoke(app, ["hook", "validate", "--contracts", "tables", "users.csv"]).exit_code == 0
    monkeypatch.setenv("TABLE_CONTRACTS", "tables")
    assert runner.invoke(app, ["hook", "validate", "users.csv"]).exit_code == 0
    wrong = runner.invoke(app, ["hook", "validate", "--contracts", "nowhere", "users.csv"])
    assert wrong.exit_code == 2 and "nowhere (--contracts)" in wrong.stderr


def test_a_broken_contract_stops_validate_and_fails_contracts_naming_file_and_field(producer: Path) -> None:
    contract = producer / "contracts" / "users.yaml"
    contract.write_text(contract.read_text().replace("type: date", "type: datetime"))
    validate = runner.invoke(app, ["hook", "validate", "users.csv"])
    assert validate.exit_code == 2 and "columns.signup_date.type: unknown type 'datetime'" in validate.stderr

    unrelated = runner.invoke(app, ["hook", "contracts", ".github/workflows/ci.yaml"])
    assert unrelated.exit_code == 0 and unrelated.output == ""  # no contract among the files: nothing to check
    checked = runner.invoke(app, ["hook", "contracts", "contracts/users.yaml"])
    assert checked.exit_code == 1
    assert checked.output.startswith("contracts/users.yaml: columns.signup_date.type: unknown type 'datetime'")


def test_the_manifest_names_the_designed_hooks_and_the_cli_extras_dependencies() -> None:
    hooks = {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"csv-ingest-validate", "csv-ingest-contracts"}
    assert hooks["csv-ingest-validate"]["entry"] == "harness hook validate"
    assert hooks["csv-ingest-contracts"]["entry"] == "harness hook contracts"
    cli_extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["cli"]
    for hook in hooks.values():  # pre-commit installs the package without extras: the hook lists them
        assert hook["language"] == "python" and hook["additional_dependencies"] == cli_extra
    checked = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", ".pre-commit-hooks.yaml"],
                             cwd=REPO, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
