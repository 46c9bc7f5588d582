"""`harness bench` for real: a small run through the CLI on its own embedded stack (no timed assertions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.stack import StackInfo

ROWS = 2000


@pytest.fixture(scope="module")
def bench_json(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    cache = tmp_path_factory.mktemp("bench-cache")
    result = CliRunner().invoke(app, ["bench", "--rows", str(ROWS), "--repeat", "1", "--json",
                                      "--cache-dir", str(cache)])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    data["_cache"] = str(cache)
    return data


def test_all_pipelines_ran_and_loaded_rows(bench_json: dict[str, Any]) -> None:
    pipelines = bench_json["pipelines"]
    assert set(pipelines) == {"ideal", "handler_cold", "handler_warm", "naive"}
    for name, figures in pipelines.items():
        assert figures["rows"] == ROWS, name  # each pipeline's row count was checked in PostgreSQL
        assert figures["rows_per_s"]["median"] > 0, name
        assert figures["seconds"]["samples"] == 1, name
    assert bench_json["ratios"]["handler_vs_ideal"] > 0
    assert bench_json["ratios"]["handler_vs_naive"] > 0


def test_memory_and_import_time_were_read(bench_json: dict[str, Any]) -> None:
    memory = bench_json["memory"]
    assert memory["small_rows"] == ROWS // 10
    assert memory["vmhwm_mb"]["median"] > 20  # VmHWM of a process that imported pandas and psycopg
    assert memory["vmhwm_small_mb"]["median"] > 20
    assert bench_json["import_seconds"]["median"] > 0
    assert bench_json["machine"]["nproc"] >= 1
    assert bench_json["load_average"]["samples"] >= 2


def test_the_handlers_checks_were_timed_per_cell(bench_json: dict[str, Any]) -> None:
    assert bench_json["columns"] == 7
    assert bench_json["checks"]["cpu_seconds"]["median"] > 0
    assert 0 < bench_json["checks"]["us_per_cell"] < 1000


def test_several_contracts_and_a_real_file_in_one_run(tmp_path: Path) -> None:
    import fixtures

    data = tmp_path / "data"
    fixtures.write(data / "users.csv", "users", 150, 3)  # stands for a real file: its rows, not --rows
    args = ["bench", "--table", "test,users", "--rows", "300", "--repeat", "1", "--data", str(data),
            "--cache-dir", str(tmp_path / "cache"), "--json"]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 0, result.output
    suite = json.loads(result.stdout.strip().splitlines()[-1])
    assert [(c["table"], c["rows"]) for c in suite["contracts"]] == [("test", 300), ("users", 150)]
    assert all(c["checks"]["us_per_cell"] > 0 and c["ratios"]["handler_vs_ideal"] > 0 for c in suite["contracts"])
    assert suite["import_seconds"]["samples"] == 1
    table = CliRunner().invoke(app, [a for a in args if a != "--json"])
    assert "2 contracts" in table.output and "checks µs/cell" in table.output


def test_a_contract_with_its_own_dialect_is_benched_as_the_handler_reads_it(tmp_path: Path) -> None:
    # instrument: windows-1252, NA for missing values, 1/0 booleans; the ideal COPY and the naive read_csv
    # must read that dialect too (without it the ideal COPY fails on the first NA in a typed column)
    contracts = Path(__file__).parents[2] / "docs" / "bench-contracts"
    args = ["bench", "--table", "instrument", "--rows", "300", "--repeat", "1", "--contracts", str(contracts),
            "--cache-dir", str(tmp_path / "cache"), "--json"]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 0, result.output
    contract = json.loads(result.stdout.strip().splitlines()[-1])  # one contract: its report alone
    assert b"NA" in next((tmp_path / "cache").glob("instrument-*-300-seed0.csv")).read_bytes()
    assert {name: p["rows"] for name, p in contract["pipelines"].items()} == dict.fromkeys(contract["pipelines"], 300)


def test_generated_files_are_cached_by_table_rows_and_seed(bench_json: dict[str, Any]) -> None:
    names = sorted(p.name for p in Path(bench_json["_cache"]).iterdir())
    assert names == [f"test-{ROWS // 10}-seed0.csv", f"test-{ROWS}-seed0.csv"]


def test_the_handler_rows_are_in_postgresql(stack: StackInfo, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench's handler process loads a real table: count its rows ourselves before the bench drops it."""
    import psycopg

    import fixtures
    import harness.bench.pipelines as pipelines
    from lambda_function import load_contracts

    path = tmp_path / "test.csv"
    fixtures.write(path, "test", 300, 7)
    obj = pipelines.upload(stack, path, "bench-check/cold/test.csv", 300)
    warm = pipelines.upload(stack, path, "bench-check/warm/test.csv", 300)  # same key again would be SKIPPED
    seen: list[int] = []
    original = pipelines.count_and_drop

    def count_then_drop(stack: StackInfo, schema: str, table: str) -> int:
        with psycopg.connect(stack.pg_url) as conn:
            row = conn.execute(f'SELECT count(*), count(DISTINCT test_id) FROM "{schema}"."{table}"').fetchone()
            assert row is not None
            seen.extend(int(v) for v in row)
        return original(stack, schema, table)

    monkeypatch.setattr(pipelines, "count_and_drop", count_then_drop)
    run = pipelines.run_handler(stack, load_contracts().lookup("test.csv"), obj, warm=warm)
    assert seen == [300, 300]  # after the warm invocation (the table was emptied in between)
    assert run.cold_seconds > 0 and run.warm_seconds is not None and run.warm_seconds > 0
    assert run.cold_vmhwm_mb > 20


def test_bench_with_rejected_rows_under_reject_rows(tmp_path: Path) -> None:
    from lambda_function.contract import default_folder

    folder = tmp_path / "contracts"
    folder.mkdir()
    text = (default_folder() / "test.yaml").read_text().replace("file: test.csv", "file: lab.csv")
    (folder / "lab.yaml").write_text(text.replace("table: test", "table: lab")
                                     + "on_error: reject_rows\nmax_rejected_ratio: 0.05\n")
    args = ["bench", "--table", "lab", "--contracts", str(folder), "--rows", "2000", "--repeat", "1",
            "--cache-dir", str(tmp_path / "cache"), "--json"]
    result = CliRunner().invoke(app, [*args, "--reject-every", "100"])
    assert result.exit_code == 0, result.output  # the handler runs are checked: PARTIAL, 1,980 rows loaded
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["rejected_rows"] == 20 and report["pipelines"]["ideal"]["rows"] == 2000
    fail_mode = CliRunner().invoke(app, ["bench", "--rows", "2000", "--repeat", "1", "--cache-dir",
                                         str(tmp_path / "cache"), "--reject-every", "100"])
    assert fail_mode.exit_code == 1 and "reject_rows" in fail_mode.output
