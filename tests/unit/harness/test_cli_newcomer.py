"""The rough edges a newcomer hit: `contract init`, output piped into a file, a rate for a tiny file."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from harness.cli import app
from tests.support.csv_text import USERS, csv_file, users_row

runner = CliRunner()
REPO = Path(__file__).resolve().parents[3]
ANSI = re.compile(r"\x1b\[")


def test_contract_init_makes_a_folder_whose_example_checks_generates_and_validates(tmp_path: Path) -> None:
    folder = tmp_path / "my-contracts"
    made = runner.invoke(app, ["contract", "init", str(folder)])
    assert made.exit_code == 0, made.output
    assert sorted(p.name for p in folder.iterdir()) == ["contract.schema.json", "example.yaml"]
    assert (folder / "contract.schema.json").read_bytes() == \
        (REPO / "lambda_function" / "contract" / "contract.schema.json").read_bytes()
    assert not (folder / "contract.schema.json").is_symlink()

    example = (folder / "example.yaml").read_text()
    assert example.splitlines()[0] == "# yaml-language-server: $schema=contract.schema.json"  # resolves beside it
    schema = json.loads((folder / example.splitlines()[0].split("$schema=")[1]).read_text())
    jsonschema.validate(yaml.safe_load(example), schema)
    assert sum(line.lstrip().startswith("#") or " # " in line for line in example.splitlines()) >= 15  # commented

    assert runner.invoke(app, ["contract", "check", str(folder)]).exit_code == 0
    sample = tmp_path / "example.csv"
    generated = runner.invoke(app, ["generate", "example", "--contracts", str(folder), "--rows", "200",
                                    "--seed", "1", "--out", str(sample)])
    assert generated.exit_code == 0, generated.output
    validated = runner.invoke(app, ["validate", str(sample), "--contracts", str(folder)])
    assert validated.exit_code == 0 and "SUCCEEDED: 200 rows would load into example" in validated.output


def test_contract_init_completes_a_folder_of_copied_contracts_without_adding_an_example(tmp_path: Path) -> None:
    folder = tmp_path / "contracts"
    folder.mkdir()
    (folder / "users.yaml").write_text((REPO / "contracts" / "users.yaml").read_text())  # cp contracts/*.yaml
    (folder / "contract.schema.json").write_text("{}")  # an old copy

    made = runner.invoke(app, ["contract", "init", str(folder)])
    assert made.exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == ["contract.schema.json", "users.yaml"]
    assert "updated" in made.output and "no example written" in made.output and "users.yaml" in made.output
    assert json.loads((folder / "contract.schema.json").read_text())["title"] == "Table contract"


def test_piped_output_is_plain_and_never_cut_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    # The runner's stdout is not a terminal, as with `| cat` or `> file`; COLUMNS unset, as in a CI job.
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    shown = runner.invoke(app, ["contract", "show", "users.csv"]).stdout
    assert not ANSI.search(shown)
    rows = [line for line in shown.splitlines() if "country_code" in line]
    assert len(rows) == 1 and "exactly 2 characters (char(2))" in rows[0]
    assert "two upper-case ASCII letters" in rows[0] and max(map(len, shown.splitlines())) > 80


def test_in_a_terminal_output_still_fits_the_window() -> None:
    primary, secondary = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "70", "TERM": "xterm"}
    with subprocess.Popen([sys.executable, "-m", "harness.cli", "contract", "show", "users.csv"],
                          stdout=secondary, stderr=secondary, stdin=subprocess.DEVNULL, env=env) as shown:
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        shown.wait(timeout=30)
    os.close(primary)
    lines = re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode()).splitlines()
    assert "user_id" in "".join(lines) and max(map(len, lines)) <= 70  # folded to the window, as before


def test_a_file_read_in_under_a_second_gets_no_rate_but_json_keeps_the_figures(tmp_path: Path) -> None:
    small = tmp_path / "users.csv"
    small.write_bytes(csv_file(USERS, [users_row(1)]))
    shown = runner.invoke(app, ["validate", str(small)])
    assert shown.exit_code == 0
    assert shown.output.splitlines()[0] == "SUCCEEDED: 1 row would load into users."  # no rows/s after it
    data = json.loads(runner.invoke(app, ["validate", str(small), "--json"]).output)
    assert data["seconds"] < 1 and data["rows_per_second"] > 0
