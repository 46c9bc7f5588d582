"""`harness validate` and `harness contract check|show` as a user runs them: the real loader and validator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from harness.cli import COMMANDS, app, load_group
from lambda_function.contract.loader import default_folder

runner = CliRunner()
USERS_HEADER = "user_id,email,full_name,country_code,signup_date,is_active\n"


def _lab(folder: Path, extra: str) -> Path:
    """users.yaml under another name, with extra top-level keys."""
    text = (default_folder() / "users.yaml").read_text().replace("file: users.csv", "file: lab.csv")
    (folder / "lab.yaml").write_text(text.replace("table: users", "table: lab") + extra)
    return folder


def _rows(n: int, bad: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    return USERS_HEADER + "".join(
        f"{i},{'nope' if i in bad else f'u{i}@x.io'},N {i},GB,2020-01-01,true\n" for i in range(1, n + 1))


def test_validate_exit_codes_follow_the_outcome(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(_rows(3))
    bad.write_text(_rows(3, {2}))
    assert runner.invoke(app, ["validate", str(good), "--as", "users.csv"]).exit_code == 0
    assert runner.invoke(app, ["validate", str(bad), "--as", "users.csv"]).exit_code == 1
    rejected = runner.invoke(app, ["validate", str(good), "--as", "orders.csv"], terminal_width=200)
    assert rejected.exit_code == 3 and "test.csv, users.csv" in rejected.stdout
    missing = runner.invoke(app, ["validate", str(tmp_path / "absent.csv"), "--as", "users.csv"])
    assert missing.exit_code == 2  # a usage error, not REJECTED


def test_validate_reports_partial_with_the_rows_it_would_set_aside(tmp_path: Path) -> None:
    folder = _lab(tmp_path, "on_error: reject_rows\nmax_rejected_rows: 5\n")
    path = tmp_path / "lab.csv"
    path.write_text(_rows(10, {3, 7}))
    result = runner.invoke(app, ["validate", str(path), "--contracts", str(folder), "--json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["status"] == "PARTIAL"
    assert (data["rows_loaded"], data["rows_rejected"]) == (8, 2)
    assert [(e["row"], e["column"]) for e in data["errors"]] == [(3, "email"), (7, "email")]
    human = runner.invoke(app, ["validate", str(path), "--contracts", str(folder)]).stdout
    assert "PARTIAL: 8 rows would load into lab, 2 rejected" in human

    path.write_text(_rows(10, set(range(1, 8))))  # 7 > max_rejected_rows
    assert runner.invoke(app, ["validate", str(path), "--contracts", str(folder)]).exit_code == 1


def test_validate_groups_errors_by_column_and_rule_and_lists_20_rows_unless_all(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(_rows(30, set(range(1, 26))))
    out = runner.invoke(app, ["validate", str(path)], terminal_width=200).stdout
    assert out.count("email: plausible email address") == 1 and "(25 rows)" in out
    assert "row 20 " in out and "row 21 " not in out and "first 20 of 25; --all lists every row" in out
    every = runner.invoke(app, ["validate", str(path), "--all"], terminal_width=200).stdout
    assert "row 25 " in every and "--all" not in every
    assert "FAILED: 25 errors in 25 of 30 rows read" in out


def test_a_header_problem_says_whole_file_and_not_rows_of_zero(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(USERS_HEADER.replace(",", ";") + "1;a\n")
    out = runner.invoke(app, ["validate", str(path)], terminal_width=200).stdout
    assert "whole file" in out and "None" not in out and "of 0 rows" not in out
    assert "separated by ';'" in out and "could not be read past its header" in out


def test_contract_check_lists_every_problem_with_file_and_field(tmp_path: Path) -> None:
    assert runner.invoke(app, ["contract", "check", str(default_folder())]).exit_code == 0
    (tmp_path / "orders.yaml").write_text(
        "file: orders.csv\ntable: orders\nmode: upsert\nprimary_key: [id]\ncolumns:\n"
        "  id: {type: bigint}\n  amount: {type: money}\n  n: {type: integer, minimum: 5, maximum: 2}\n")
    result = runner.invoke(app, ["contract", "check", str(tmp_path), "--json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and not data["ok"]
    fields = {(Path(p["file"]).name, p["field"]) for p in data["problems"]}
    assert {("orders.yaml", "columns.amount.type"), ("orders.yaml", "columns.n.minimum")} <= fields
    human = runner.invoke(app, ["contract", "check", str(tmp_path)], terminal_width=200).stdout
    assert "orders.yaml: columns.amount.type: unknown type 'money'" in human


def test_contract_show_markdown_is_the_generated_table_and_unknown_names_are_usage_errors() -> None:
    from lambda_function.contract import load_contracts
    from lambda_function.contract.describe import markdown

    users = load_contracts(default_folder()).find("users")
    assert users is not None
    shown = runner.invoke(app, ["contract", "show", "users.csv", "--markdown"])
    assert shown.exit_code == 0 and shown.stdout.strip() == markdown(users).strip()
    table = runner.invoke(app, ["contract", "show", "users"], terminal_width=200).stdout
    assert "country_code" in table and "primary key" in table
    unknown = runner.invoke(app, ["contract", "show", "nope"])
    assert unknown.exit_code == 2 and "users.csv" in unknown.stderr


def test_help_lists_every_command_without_importing_the_handler() -> None:
    code = ("import sys; from harness.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print([m for m in ('pandas', 'sqlalchemy', 'lambda_function', 'boto3') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"}).stdout
    assert out.strip().endswith("[]")
    for name in COMMANDS:
        assert f" {name} " in out


def test_every_listed_summary_is_the_commands_own() -> None:
    for name, (module, summary) in COMMANDS.items():
        command = load_group(module).commands[name]
        assert command.help is not None
        assert " ".join(command.help.split()).startswith(summary), name


def test_validate_says_it_never_sees_the_table(tmp_path: Path) -> None:
    good = tmp_path / "lab.csv"
    good.write_text(_rows(2))
    safe = runner.invoke(app, ["validate", str(good), "--contracts", str(_lab(tmp_path, ""))], terminal_width=300)
    assert "the table may need these safe changes: see harness contract plan" in safe.stdout
    frozen = tmp_path / "frozen"
    frozen.mkdir()
    strict = runner.invoke(app, ["validate", str(good), "--contracts", str(_lab(frozen, "evolve: none\n"))],
                           terminal_width=300)
    assert "with evolve: none the table must match it exactly" in strict.stdout
    assert "contract plan" not in runner.invoke(app, ["validate", str(good), "--json", "--contracts",
                                                      str(_lab(tmp_path, ""))]).stdout
