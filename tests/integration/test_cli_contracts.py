"""A table the repository does not ship, through the CLI as the README's "Adding a table" tells it:
infer -> check -> generate -> validate -> up --contracts -> replay -> bench (real moto + PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from harness import state
from harness.cli import app
from harness.stack import StackInfo
from tests.support.contracts import write_readings

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_readings(tmp_path_factory.mktemp("contracts"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, folder: Path) -> Iterator[tuple[Path, StackInfo]]:
    directory = tmp_path_factory.mktemp("contracts-stack") / ".harness"
    code, output = run("up", "--state-dir", str(directory), "--contracts", str(folder), "--json")
    assert code == 0, output
    yield directory, state.require(directory)
    run("down", "--state-dir", str(directory))


def test_infer_check_generate_validate_without_a_stack(folder: Path, tmp_path: Path) -> None:
    sample = tmp_path / "readings-2026.csv"
    assert run("generate", "readings", "--contracts", str(folder), "-n", "500", "-o", str(sample))[0] == 0
    draft = tmp_path / "drafted"
    code, _ = run("contract", "infer", str(sample), "--file", "readings-2026.csv", "--out", str(draft / "r.yaml"))
    assert code == 0
    assert run("contract", "check", str(draft))[0] == 0
    code, out = run("validate", str(sample), "--contracts", str(draft), "--json")
    assert code == 0 and json.loads(out)["status"] == "SUCCEEDED"


def test_up_records_the_contracts_and_the_function_loads_that_table(stack: tuple[Path, StackInfo], folder: Path,
                                                                   tmp_path: Path) -> None:
    directory, info = stack
    assert json.loads((directory / "stack.json").read_text())["table_contracts"] == str(folder.resolve())
    assert info.lambda_environment()["TABLE_CONTRACTS"] == str(folder.resolve())
    good = tmp_path / "good.csv"
    run("generate", "readings", "--contracts", str(folder), "-n", "300", "-s", "4", "-o", str(good))
    code, out = run("replay", str(good), "--key", "lab/readings-good.csv", "--state-dir", str(directory), "--json")
    assert code == 0, out
    (outcome,) = json.loads(out)["invocations"][0]["response"]["outcomes"]
    assert (outcome["status"], outcome["table"], outcome["rows_loaded"]) == ("SUCCEEDED", "readings", 300)
    engine = sa.create_engine(info.database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM readings")).scalar() == 300
    finally:
        engine.dispose()

    bad = tmp_path / "bad.csv"
    run("generate", "readings", "--contracts", str(folder), "-n", "30", "--defect", "pattern_broken:site",
        "-o", str(bad))
    code, out = run("replay", str(bad), "--key", "lab/readings-bad.csv", "--state-dir", str(directory), "--json")
    (failed,) = json.loads(out)["invocations"][0]["response"]["outcomes"]
    assert code == 1 and failed["status"] == "FAILED"
    assert {e["column"] for e in failed["errors"]} == {"site"}


def test_a_broken_contracts_folder_is_a_usage_error_before_anything_starts(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("file: x.csv\ntable: x\nmode: sideways\ncolumns: {a: {type: text}}\n")
    result = runner.invoke(app, ["up", "--state-dir", str(tmp_path / ".harness"), "--contracts", str(tmp_path)])
    assert result.exit_code == 2 and "bad.yaml" in result.output and "mode" in result.output
    assert not (tmp_path / ".harness" / "stack.json").exists()


def test_bench_runs_any_contract(folder: Path, tmp_path: Path) -> None:
    code, out = run("bench", "--table", "readings", "--contracts", str(folder), "--rows", "2000", "--repeat", "1",
                    "--cache-dir", str(tmp_path), "--json")
    assert code == 0, out
    report = json.loads(out.strip().splitlines()[-1])
    assert report["table"] == "readings"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("readings-")], "the file was generated"
