"""`harness bench`: run the benchmark (harness.bench.run) with a progress bar, print a table or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from harness.bench.figures import PIPELINE_LABELS, BenchReport
from harness.bench.pipelines import BenchError
from harness.bench.run import CACHE_DIR, NAIVE_MAX_ROWS, BenchOptions, plan_steps, run_bench
from harness.cli.consoles import console_for


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)


def bench(
    rows: Annotated[int, typer.Option("--rows", "-n", min=10, help="Rows in the benchmark file.")] = 1_000_000,
    table: Annotated[str, typer.Option("--table", help="Which contracts' files to load, comma-separated "
                                                       "(e.g. test,orders,flights); NAME:ROWS gives one of them "
                                                       "its own row count (notes:200000).")] = "test",
    repeat: Annotated[int, typer.Option("--repeat", "-k", min=1, help="Runs of each pipeline.")] = 3,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0, help="Data seed (files are cached per seed).")] = 0,
    naive_rows: Annotated[
        int, typer.Option("--naive-rows", min=10, help="Cap on the naive pipeline's file.")
    ] = NAIVE_MAX_ROWS,
    cache_dir: Annotated[Path, typer.Option("--cache-dir", help="Where generated files are kept.")] = CACHE_DIR,
    handler_dir: Annotated[
        Path | None, typer.Option("--handler-dir", help="Measure the lambda_function of another checkout.")
    ] = None,
    contracts: Annotated[Path | None, typer.Option(
        "--contracts", envvar="TABLE_CONTRACTS", file_okay=False,
        help="Folder of table contracts [default: the bundled contracts/]")] = None,
    reject_every: Annotated[int | None, typer.Option(
        "--reject-every", min=2, help="reject_rows tables: every Nth record gets NaN in a double column (the "
                                      "validator sets it aside, PostgreSQL would read it): 1000 = 0.1 %.")] = None,
    data: Annotated[Path | None, typer.Option(
        "--data", file_okay=False, exists=True,
        help="A folder of real files named as their contracts accept (flights.csv): used instead of generated "
             "ones, their first --rows records.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Handler vs raw COPY vs the seed's read_csv+to_sql on an embedded stack, for each contract: rows/s,
    ratios, CPU of the checks per cell, memory; and the handler's import time."""
    asked = [name.strip().partition(":") for name in table.split(",") if name.strip()]
    try:
        counts = tuple((name, int(count)) for name, _, count in asked if count)
    except ValueError:
        raise typer.BadParameter(f"--table takes NAME or NAME:ROWS, got {table!r}") from None
    tables = tuple(name for name, _, _ in asked)
    options = BenchOptions(tables=tables, rows_by_table=counts, rows=rows, repeat=repeat, seed=seed,
                           naive_rows=naive_rows, cache_dir=cache_dir, handler_dir=handler_dir, contracts=contracts,
                           reject_every=reject_every, data=data)
    steps = plan_steps(options)
    stderr = console_for(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=stderr, transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task(steps[0], total=len(steps))
            done = iter([*steps[1:], "done"])

            def tick(_: str) -> None:
                bar.update(task, advance=1, description=next(done, "done"))

            reports = run_bench(options, tick)
    except (BenchError, ValueError) as exc:
        stderr.print(f"[red]bench failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(json.dumps(reports[0].to_dict() if len(reports) == 1 else suite_dict(reports)))
        return
    console = console_for(highlight=False)
    if len(reports) > 1:
        console.print(contracts_table(reports))
    for report in reports:
        console.print(figures_table(report))
        for line in summary_lines(report):
            console.print(line)


def suite_dict(reports: list[BenchReport]) -> dict[str, object]:
    """Several contracts: one report each, the import time and machine once."""
    first = reports[0].to_dict()
    return {"contracts": [r.to_dict() for r in reports], "import_seconds": first["import_seconds"],
            "machine": first["machine"]}


def contracts_table(reports: list[BenchReport]) -> Table:
    table = Table(title=f"{len(reports)} contracts, {reports[0].repeat} repeat(s), medians")
    for name in ("contract", "columns", "rows", "ideal rows/s", "handler cold × ideal", "warm × ideal",
                 "checks µs/cell", "peak RSS MB", "RSS growth MB"):
        table.add_column(name, justify="left" if name == "contract" else "right")
    for report in reports:
        data = report.to_dict()
        ratios, memory, per_cell = data["ratios"], data["memory"], report.check_us_per_cell()
        table.add_row(report.table, str(report.columns), f"{report.rows:,}", f"{report.rate('ideal'):,.0f}",
                      f"{ratios['handler_vs_ideal'] or 0:.2f}", f"{ratios['handler_warm_vs_ideal'] or 0:.2f}",
                      "–" if per_cell is None else f"{per_cell:.3f}",
                      f"{memory['vmhwm_mb']['median']:.0f}" if memory["vmhwm_mb"] else "–",
                      f"{memory['growth_mb']:.0f}" if memory["growth_mb"] is not None else "–")
    return table


def figures_table(report: BenchReport) -> Table:
    data = report.to_dict()
    title = f"{report.table}.csv, {report.rows:,} rows ({report.file_bytes / 1e6:,.1f} MB), {report.repeat} repeat(s)"
    table = Table(title=title)
    for name, justify in (("pipeline", "left"), ("rows", "right"), ("seconds: median (min–max)", "right"),
                          ("rows/s: median (min–max)", "right"), ("× ideal", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    ideal = report.rate("ideal")
    for name, figures in data["pipelines"].items():
        t, r = figures["seconds"], figures["rows_per_s"]
        vs = report.rate(name) / ideal if ideal else 0.0
        table.add_row(PIPELINE_LABELS[name], f"{figures['rows']:,}",
                      f"{t['median']:.2f} ({t['min']:.2f}–{t['max']:.2f})",
                      f"{r['median']:,.0f} ({r['min']:,.0f}–{r['max']:,.0f})", f"{vs:.2f}")
    return table


def summary_lines(report: BenchReport) -> list[str]:
    data = report.to_dict()
    ratios, memory, imp, load = data["ratios"], data["memory"], data["import_seconds"], data["load_average"]
    lines = []
    if ratios["handler_vs_ideal"] is not None:
        lines.append(f"handler / ideal: {ratios['handler_vs_ideal']:.2f} (cold), "
                     f"{ratios['handler_warm_vs_ideal'] or 0:.2f} (warm); "
                     f"handler / naive: {ratios['handler_vs_naive'] or 0:.2f}")
    if memory["vmhwm_mb"] and memory["vmhwm_small_mb"]:
        small, big = memory["vmhwm_small_mb"], memory["vmhwm_mb"]
        lines.append(f"handler peak RSS (VmHWM): {small['median']:.0f} MB at {memory['small_rows']:,} rows, "
                     f"{big['median']:.0f} MB at {report.rows:,} rows (growth {memory['growth_mb']:.0f} MB)")
    checks = data["checks"]
    if checks["cpu_seconds"]:
        lines.append(f"the handler's checks (no S3, no database): {checks['cpu_seconds']['median']:.2f} s CPU for "
                     f"{report.rows:,} rows x {report.columns} columns = {checks['us_per_cell']:.3f} µs per cell")
    if imp:
        lines.append(f"import lambda_function: {imp['median']:.2f} s ({imp['min']:.2f}–{imp['max']:.2f})")
    machine = data["machine"]
    if load:
        at_start = machine.get("load_at_start") or ["?"]
        lines.append(f"machine: {machine['nproc']} × {machine['cpu']}, {machine['memory_gb']} GB; 1-min load "
                     f"{at_start[0]} before the run, {load['min']:.2f}–{load['max']:.2f} during it (the bench's own "
                     f"processes included)")
    return lines
