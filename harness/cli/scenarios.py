"""`harness scenarios` (the end-to-end catalogue) and `harness demo` (a guided tour on a throwaway stack)."""

from __future__ import annotations

import contextlib
import json
import os
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from harness import state
from harness.cli.consoles import console_for
from harness.scenarios import run_all, select
from harness.scenarios.demo import DEMO, print_demo
from harness.scenarios.model import Result, Scenario
from harness.scenarios.report import results_table, write_junit
from harness.stack import StackError, StackInfo, backend_name, ephemeral_stack
from harness.stack.health import is_healthy

console = console_for()
errors = console_for(stderr=True)


@contextlib.contextmanager
def _stack(backend: str | None, state_dir: Path | None) -> Iterator[tuple[StackInfo, str]]:
    """The running stack from stack.json when there is one (and it matches --backend), else a fresh one."""
    with contextlib.suppress(StackError):
        info = state.load(state.state_dir(state_dir))
        if info is not None and (backend is None or backend == info.backend) and is_healthy(info):
            yield info, f"running {info.backend} stack"
            return
    name = backend_name(backend)
    with ephemeral_stack(name) as info:
        yield info, f"ephemeral {name} stack"


@contextlib.contextmanager
def _function_logs(show: bool) -> Iterator[TextIO | None]:
    if show:
        yield None  # the runtime's default: stderr
        return
    with open(os.devnull, "w") as sink:
        yield sink


def _run(stack: StackInfo, scenarios: list[Scenario], logs: bool, quiet: bool) -> list[Result]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with (
        warnings.catch_warnings(),
        _function_logs(logs) as log_stream,
        Progress(*columns, console=errors, transient=True, disable=quiet) as progress,
    ):
        warnings.filterwarnings("ignore", message="No application metrics")
        task = progress.add_task("scenarios", total=len(scenarios))

        def advance(result: Result) -> None:
            progress.update(task, advance=1, description=f"{'ok' if result.passed else 'FAILED'} {result.name}")

        return run_all(stack, scenarios, on_result=advance, log_stream=log_stream)


def scenarios(
    pattern: Annotated[str | None, typer.Option("--select", help="Glob or substring of scenario names.")] = None,
    backend: Annotated[
        str | None, typer.Option("--backend", envvar="HARNESS_BACKEND", help="Stack backend when none is running.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of results.")] = False,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML here.")] = None,
    logs: Annotated[bool, typer.Option("--logs/--no-logs", help="Show the function's own logs.")] = False,
    contracts: Annotated[Path | None, typer.Option(
        "--contracts", file_okay=False,
        help="Run the scenarios generated for each contract in this folder [default: the hand-written "
             "catalogue for the bundled users and test].")] = None,
    listing: Annotated[bool, typer.Option("--list", help="Only list the scenarios (name, expected, what).")] = False,
    state_dir: Annotated[Path | None, typer.Option("--state-dir", envvar="HARNESS_STATE_DIR")] = None,
) -> None:
    """Run the scenario catalogue end to end; exit 1 when any scenario fails."""
    started = time.monotonic()
    try:
        chosen = select(pattern, contracts=contracts)
    except (ValueError, RuntimeError) as exc:  # a folder the handler could not load (ConfigurationError)
        errors.print(f"error: {exc}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    if not chosen:
        errors.print(f"[bold red]error:[/] no scenario matches {pattern!r}", highlight=False)
        raise typer.Exit(2)
    if listing:
        _list(chosen, as_json)
        return
    try:
        with _stack(backend, state_dir) as (stack, where):
            if not as_json:
                errors.print(f"using the {where}", highlight=False)
            results = _run(stack, chosen, logs, quiet=as_json)
    except StackError as exc:
        errors.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    if junit is not None:
        write_junit(results, junit)
    failed = [r for r in results if not r.passed]
    if as_json:
        print(json.dumps([r.to_dict() for r in results], indent=2))
    else:
        console.print(results_table(results))
        elapsed = time.monotonic() - started
        summary = f"{len(results) - len(failed)}/{len(results)} passed in {elapsed:.1f}s"
        console.print(f"[bold {'red' if failed else 'green'}]{summary}[/]", highlight=False)
    if failed:
        raise typer.Exit(1)


def _list(chosen: list[Scenario], as_json: bool) -> None:
    if as_json:
        print(json.dumps([{"name": s.name, "expected": s.expected, "description": s.description,
                           "large": s.large} for s in chosen], indent=2))
        return
    width = max(len(s.name) for s in chosen)
    for s in chosen:
        console.print(f"{s.name:<{width}}  {s.expected:<22}  {s.description}", highlight=False, markup=False,
                      soft_wrap=True)


def demo(
    logs: Annotated[bool, typer.Option("--logs/--no-logs", help="Show the function's own logs.")] = False,
) -> None:
    """A throwaway embedded stack, a few representative uploads, what happened, where to look next."""
    started = time.monotonic()
    try:
        with ephemeral_stack("embedded") as stack:
            console.print(
                f"stack up in {time.monotonic() - started:.1f}s: moto at {stack.aws_endpoint_url}, "
                "PostgreSQL (embedded)",
                highlight=False,
            )
            with warnings.catch_warnings(), _function_logs(logs) as log_stream:
                warnings.filterwarnings("ignore", message="No application metrics")
                results = run_all(
                    stack,
                    list(DEMO),
                    log_stream=log_stream,
                    on_result=lambda r: console.print(f"  {'ok' if r.passed else 'FAILED'} {r.name}"),
                )
    except StackError as exc:
        errors.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    print_demo(console, results, time.monotonic() - started)
    if not all(r.passed for r in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command(name="scenarios")(scenarios)
    app.command(name="demo")(demo)
