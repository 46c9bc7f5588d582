"""`harness generate` and the pytest factories other suites use."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import fixtures
from harness.cli_generate import register
from tests.fixtures_plugin import CsvFile, MakeCsv


@pytest.fixture
def cli() -> typer.Typer:
    # A callback keeps Typer in group mode ("harness generate ..."), whatever else is registered.
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    return app


def run(app: typer.Typer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_list_defects_prints_one_kind_per_line(cli: typer.Typer) -> None:
    code, output = run(cli, "generate", "--list-defects")
    assert code == 0
    lines = output.strip().splitlines()
    assert [line.split()[0] for line in lines] == sorted(fixtures.DEFECTS)
    assert any(line.split()[1] == "users,test" for line in lines)


def test_list_defects_as_json(cli: typer.Typer) -> None:
    code, output = run(cli, "generate", "--list-defects", "--json")
    assert code == 0
    assert {d["name"] for d in json.loads(output)} == set(fixtures.DEFECTS)


def test_generate_writes_the_same_bytes_as_the_library(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "users.csv"
    code, output = run(cli, "generate", "users", "--rows", "250", "--seed", "7", "--out", str(out))
    assert code == 0, output
    assert out.read_bytes() == fixtures.generate("users", 250, 7).data
    assert "250" in output


def test_generate_gzip_with_defect_reports_json(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "test.csv.gz"
    args = ["generate", "test", "-n", "50", "-s", "3", "-o", str(out), "--defect", "nan_value", "--gzip", "--json"]
    code, output = run(cli, *args)
    assert code == 0, output
    summary = json.loads(output)
    expected = fixtures.generate("test", 50, 3, "nan_value")
    assert gzip.decompress(out.read_bytes()) == expected.data
    assert expected.defect is not None
    assert summary["defect"] == {
        "kind": "nan_value",
        "row": expected.defect.row,
        "column": "value",
        "rule_hint": expected.defect.rule_hint,
    }
    assert summary["rows"] == 50 and summary["gzip"] is True and summary["bytes"] == out.stat().st_size


def test_generate_refuses_a_defect_of_the_other_table(cli: typer.Typer, tmp_path: Path) -> None:
    code, _ = run(cli, "generate", "test", "-o", str(tmp_path / "t.csv"), "--defect", "bad_email")
    assert code == 2


def test_generate_needs_a_table(cli: typer.Typer) -> None:
    code, _ = run(cli, "generate")
    assert code != 0


def test_make_csv_factory(make_csv: MakeCsv) -> None:
    made = make_csv("users", rows=20, seed=4, defect="blank_name")
    assert made.defect is not None and made.defect.column == "full_name"
    assert made.data == fixtures.generate("users", 20, 4, "blank_name").data


def test_csv_file_factory_keeps_object_names(csv_file: CsvFile) -> None:
    first = csv_file("users", rows=5)
    second = csv_file("users", rows=5, seed=1, gzipped=True)
    renamed = csv_file("test", rows=5, name="Test.csv")
    assert first.path.name == "users.csv" and second.path.name == "users.csv.gz"
    assert first.path.parent != second.path.parent
    assert renamed.path.name == "Test.csv" and renamed.table == "test"
    assert gzip.decompress(second.path.read_bytes()) == fixtures.generate("users", 5, 1).data
