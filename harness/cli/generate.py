"""`harness generate`: write a seeded users.csv / test.csv, clean or with one named defect."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

import fixtures
from fixtures.schema import DEFAULT_USERS

# Below this many rows a progress bar would only flicker.
PROGRESS_MIN_ROWS = 2 * fixtures.CHUNK_ROWS


class TableName(StrEnum):
    users = "users"
    test = "test"


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)


def generate(
    table: Annotated[TableName | None, typer.Argument(help="Which file to make.", show_default=False)] = None,
    rows: Annotated[int, typer.Option("--rows", "-n", min=0, help="Data records to write.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0, help="Same seed -> same bytes.")] = 0,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output path [default: users.csv / test.csv, +.gz]")
    ] = None,
    defect: Annotated[str | None, typer.Option(help="Inject one defect (see --list-defects).")] = None,
    gzip: Annotated[bool, typer.Option("--gzip", help="gzip the output (deterministic header).")] = False,
    users: Annotated[
        int, typer.Option(min=1, help="test: reference the ids of a users file of this many rows, same seed.")
    ] = DEFAULT_USERS,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="[default: on a terminal, for big files]")
    ] = None,
    list_defects: Annotated[bool, typer.Option("--list-defects", help="List the defect kinds and exit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Generate a seeded CSV for a table contract, optionally with one named defect."""
    if list_defects:
        _print_defects(as_json)
        return
    if table is None:
        raise typer.BadParameter("give a table (users or test), or --list-defects", param_hint="TABLE")
    spec = fixtures.TABLES[table.value]
    target = out or Path(spec.object_name + (".gz" if gzip else ""))
    show_progress = progress if progress is not None else (sys.stderr.isatty() and rows >= PROGRESS_MIN_ROWS)
    try:
        written = fixtures.write(
            target, table.value, rows, seed, defect, users=users, gzipped=gzip, progress=show_progress
        )
    except ValueError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    summary = {
        "path": str(written.path),
        "table": written.table,
        "rows": written.rows,
        "seed": written.seed,
        "gzip": written.gzipped,
        "bytes": written.size,
        "defect": None,
    }
    if written.defect is not None:
        d = written.defect
        summary["defect"] = {"kind": d.kind, "row": d.row, "column": d.column, "rule_hint": d.rule_hint}
    if as_json:
        typer.echo(json.dumps(summary))
        return
    console = Console(highlight=False)
    size = f"{written.size:,} bytes"
    console.print(f"wrote [bold]{written.rows:,}[/bold] rows of {spec.object_name} to {written.path} ({size})")
    if written.defect is not None:
        d = written.defect
        console.print(f"defect [bold]{d.kind}[/bold] at row {d.row}, column {d.column} ({d.rule_hint})")


def _print_defects(as_json: bool) -> None:
    defects = sorted(fixtures.DEFECTS.values(), key=lambda d: d.name)
    if as_json:
        listing = [
            {"name": d.name, "tables": list(d.tables), "description": d.description, "rule_hint": d.rule_hint}
            for d in defects
        ]
        typer.echo(json.dumps(listing, ensure_ascii=False))
        return
    width = max(len(d.name) for d in defects)
    for d in defects:
        typer.echo(f"{d.name:<{width}}  {','.join(d.tables):<10}  {d.description}")
