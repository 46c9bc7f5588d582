"""`harness generate`: write a seeded file for any table contract, clean or with one named defect."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

import fixtures
from fixtures.schema import DEFAULT_USERS
from harness.cli.consoles import console_for

# Below this many rows a progress bar would only flicker.
PROGRESS_MIN_ROWS = 2 * fixtures.CHUNK_ROWS


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)


def generate(
    table: Annotated[str | None, typer.Argument(
        help="The table: its table name, file name or contract file stem.", show_default=False)] = None,
    rows: Annotated[int, typer.Option("--rows", "-n", min=0, help="Data records to write.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0, help="Same seed -> same bytes.")] = 0,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output path [default: users.csv / test.csv, +.gz]")
    ] = None,
    defect: Annotated[str | None, typer.Option(help="Inject one defect (see --list-defects).")] = None,
    revision: Annotated[int, typer.Option("--revision", min=0, help="A corrected version of the same file: the "
                                          "same keys, the other values drawn again (a replace_file re-upload).")] = 0,
    gzip: Annotated[bool, typer.Option("--gzip", help="gzip the output (deterministic header).")] = False,
    users: Annotated[
        int, typer.Option(min=1, help="test: reference the ids of a users file of this many rows, same seed.")
    ] = DEFAULT_USERS,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="[default: on a terminal, for big files]")
    ] = None,
    list_defects: Annotated[bool, typer.Option("--list-defects", help="List the defect kinds and exit.")] = False,
    for_table: Annotated[str | None, typer.Option(
        "--for", help="With --list-defects: only this table's defects, with the column each targets.")] = None,
    contracts: Annotated[Path | None, typer.Option(
        "--contracts", help="Folder of table contracts [default: $TABLE_CONTRACTS, else the bundled contracts/]")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Generate a seeded CSV for a table contract, optionally with one named defect."""
    folder = _folder(contracts)
    try:
        if list_defects:
            _print_defects(as_json, for_table or table, folder)
            return
        if table is None:
            raise typer.BadParameter("give a table (see `harness contract show`), or --list-defects",
                                     param_hint="TABLE")
        spec = fixtures.layout(table, folder)
        target = out or Path(spec.object_name + (".gz" if gzip else ""))
        show_progress = progress if progress is not None else (sys.stderr.isatty() and rows >= PROGRESS_MIN_ROWS)
        written = fixtures.write(
            target, table, rows, seed, defect, users=users, gzipped=gzip, progress=show_progress, contracts=folder,
            revision=revision,
        )
    except ValueError as exc:
        console_for(stderr=True).print(f"[red]error:[/red] {exc}")
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
    console = console_for(highlight=False)
    size = f"{written.size:,} bytes"
    console.print(f"wrote [bold]{written.rows:,}[/bold] rows of {spec.object_name} to {written.path} ({size})")
    if written.defect is not None:
        d = written.defect
        console.print(f"defect [bold]{d.kind}[/bold] at row {d.row}, column {d.column} ({d.rule_hint})")


def _folder(contracts: Path | None) -> str | None:
    """The contracts folder to read: --contracts, else $TABLE_CONTRACTS (None: the realistic users/test)."""
    configured = os.environ.get("TABLE_CONTRACTS", "").strip()
    return str(contracts) if contracts is not None else (configured or None)


def _print_defects(as_json: bool, table: str | None, folder: str | None) -> None:
    listing: list[dict[str, Any]] = []
    for name in [table] if table is not None else _table_names(folder):
        spec = fixtures.layout(name, folder)
        kinds = fixtures.catalogue(spec)
        sample = b"".join(fixtures.iter_chunks(name, 12, 0, contracts=folder))
        for kind, d in sorted(kinds.items()):  # inject once into a small file to learn the column it targets
            column = fixtures.inject(kind, spec, sample, 0, kinds)[1].column
            listing.append({"name": kind, "table": spec.name, "column": column, "tables": list(d.tables),
                            "description": d.description, "rule_hint": d.rule_hint})
    if table is None and folder is None:  # the bundled two: one line per defect, with the tables it fits
        merged: dict[str, dict[str, Any]] = {}
        for entry in listing:
            merged.setdefault(entry["name"], entry)
        listing = sorted(merged.values(), key=lambda entry: str(entry["name"]))
    if as_json:
        typer.echo(json.dumps(listing, ensure_ascii=False))
        return
    width = max(len(str(d["name"])) for d in listing)
    for entry in listing:
        where = entry["table"] if table is not None or folder is not None else ",".join(entry["tables"])
        where += f".{entry['column']}" if entry["column"] and table is not None else ""
        typer.echo(f"{entry['name']:<{width}}  {where:<24}  {entry['description']}")


def _table_names(folder: str | None) -> list[str]:
    if folder is None:
        return list(fixtures.TABLES)
    from lambda_function.contract import load_contracts

    return [c.table for c in load_contracts(folder)]
