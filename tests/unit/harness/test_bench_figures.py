"""`harness bench` arithmetic: median and spread, rates, ratios, memory growth and the JSON shape."""

from __future__ import annotations

import json

import pytest

from harness.bench.figures import (
    HANDLER_COLD,
    HANDLER_WARM,
    IDEAL,
    NAIVE,
    BenchReport,
    PipelineFigures,
    Spread,
    ratio,
    rows_per_second,
)
from harness.bench.run import BenchOptions, plan_steps
from harness.cli.bench import figures_table, summary_lines


def test_spread_is_median_min_max() -> None:
    s = Spread.of([3.0, 1.0, 2.0])
    assert (s.median, s.low, s.high, s.samples) == (2.0, 1.0, 3.0, 3)
    assert Spread.of([4.0, 1.0]).median == 2.5  # even count: mean of the middle two
    assert Spread.of([7.0]).to_dict() == {"median": 7.0, "min": 7.0, "max": 7.0, "samples": 1}


def test_spread_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        Spread.of([])


def test_rows_per_second_and_ratio() -> None:
    assert rows_per_second(1_000_000, 4.0) == 250_000
    with pytest.raises(ValueError):
        rows_per_second(10, 0.0)
    assert ratio(85.0, 100.0) == pytest.approx(0.85)
    assert ratio(1.0, 0.0) is None
    assert ratio(0.0, 1.0) is None  # a pipeline that did not run


def test_pipeline_rate_spread_comes_from_the_time_spread() -> None:
    figures = PipelineFigures(rows=1000, seconds=[2.0, 1.0, 4.0])
    rate = figures.rate
    assert rate.median == 500  # rows / median seconds
    assert (rate.low, rate.high) == (250, 1000)  # slowest run, fastest run
    assert figures.to_dict()["seconds"] == {"median": 2.0, "min": 1.0, "max": 4.0, "samples": 3}


def report() -> BenchReport:
    r = BenchReport(table="test", rows=1000, seed=0, repeat=2, file_bytes=112_000, small_rows=100)
    r.pipelines = {
        IDEAL: PipelineFigures(1000, [1.0, 1.0]),
        HANDLER_COLD: PipelineFigures(1000, [1.25, 1.25]),
        HANDLER_WARM: PipelineFigures(1000, [1.0, 1.5]),
        NAIVE: PipelineFigures(200, [1.0, 1.0]),
    }
    r.vmhwm_small_mb, r.vmhwm_mb = [200.0, 202.0], [240.0, 250.0]
    r.import_seconds = [0.5, 0.7]
    r.columns, r.check_seconds = 7, [0.007, 0.014, 0.021]
    r.loads = [0.2, 0.4, 0.3]
    r.machine = {"nproc": 2, "cpu": "Test CPU", "memory_gb": 8.0}
    return r


def test_ratios_compare_medians() -> None:
    ratios = report().ratios()
    assert ratios["handler_vs_ideal"] == pytest.approx(0.8)  # 800 rows/s against 1000
    assert ratios["handler_warm_vs_ideal"] == pytest.approx(0.8)  # median of 1.0 and 1.5 s is 1.25 s
    assert ratios["handler_vs_naive"] == pytest.approx(4.0)  # 800 rows/s against 200


def test_memory_growth_is_the_difference_of_medians() -> None:
    assert report().memory_growth_mb() == pytest.approx(245.0 - 201.0)
    empty = BenchReport(table="test", rows=10, seed=0, repeat=1, file_bytes=1, small_rows=1)
    assert empty.memory_growth_mb() is None


def test_json_shape() -> None:
    data = json.loads(json.dumps(report().to_dict()))
    assert set(data) >= {"table", "rows", "seed", "repeat", "file_bytes", "pipelines", "ratios", "memory",
                         "import_seconds", "machine", "load_average"}
    assert set(data["pipelines"]) == {IDEAL, HANDLER_COLD, HANDLER_WARM, NAIVE}
    for figures in data["pipelines"].values():
        assert set(figures) == {"rows", "seconds", "rows_per_s"}
        assert set(figures["rows_per_s"]) == {"median", "min", "max", "samples"}
    assert data["pipelines"][NAIVE]["rows"] == 200
    assert data["ratios"]["handler_vs_ideal"] == 0.8
    assert data["memory"]["growth_mb"] == 44.0
    assert data["memory"]["vmhwm_mb"]["median"] == 245.0
    assert data["import_seconds"]["median"] == 0.6
    assert data["columns"] == 7
    assert data["checks"]["us_per_cell"] == 2.0  # 0.014 s for 1,000 rows x 7 columns
    assert data["load_average"]["max"] == 0.4


def test_pipelines_without_runs_are_left_out_of_the_json() -> None:
    r = report()
    r.pipelines[HANDLER_WARM] = PipelineFigures(1000)
    data = r.to_dict()
    assert HANDLER_WARM not in data["pipelines"]
    assert data["ratios"]["handler_warm_vs_ideal"] is None


def test_people_get_a_table_and_summary_lines() -> None:
    table = figures_table(report())
    assert table.row_count == 4
    text = "\n".join(summary_lines(report()))
    assert "handler / ideal: 0.80" in text and "growth 44 MB" in text and "Test CPU" in text
    assert "2.000 µs per cell" in text


def test_plan_has_one_step_per_measurement() -> None:
    steps = plan_steps(BenchOptions(rows=1000, repeat=3))
    assert len(steps) == 1 + 3 * 5 + 3  # files, five measurements a repeat, then the import time
    assert len(plan_steps(BenchOptions(tables=("test", "orders"), rows=1000, repeat=2))) == 2 * (1 + 2 * 5) + 2
    assert BenchOptions(rows=1000).small_rows == 100
    assert BenchOptions(rows=1_000_000).naive_size == 200_000
    assert BenchOptions(rows=5000).naive_size == 5000
    several = BenchOptions(tables=("test", "notes"), rows_by_table=(("notes", 2000),), rows=10_000)
    assert (several.rows_for("test"), several.rows_for("notes")) == (10_000, 2000)


def test_each_contract_of_a_run_has_its_own_cached_file(tmp_path) -> None:
    from harness.bench.run import cached_file

    options = BenchOptions(tables=("test", "users"), rows=20, cache_dir=tmp_path)
    test_file, users_file = cached_file(options, 20, "test"), cached_file(options, 20, "users")

    assert (test_file.name, users_file.name) == ("test-20-seed0.csv", "users-20-seed0.csv")
    assert test_file.read_bytes().split(b"\n")[0] != users_file.read_bytes().split(b"\n")[0]
