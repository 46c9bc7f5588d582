"""`harness validate FILE --as NAME`: the handler's own parsing and validation over a local file.

No stack, no database, no AWS: producers run it before uploading (and in their own CI). Exit codes as
for `replay`: 0 the file would load (SUCCEEDED, or PARTIAL when the contract rejects rows), 1 FAILED,
2 a usage error (a missing file, a broken contracts folder), 3 REJECTED (not a whitelisted name).
Key clashes with rows already in a table need the database: only the handler can see those.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness.cli.consoles import console_for
from lambda_function import load_contracts, validate_stream
from lambda_function.checking.validator import ValidationResult
from lambda_function.contract import Contract, is_gzip_key
from lambda_function.errors import ConfigurationError, place
from lambda_function.reading.objects import CHUNK_BYTES  # read as the handler streams S3


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            yield chunk


EXIT_CODES = {"SUCCEEDED": 0, "PARTIAL": 0, "FAILED": 1, "REJECTED": 3}
SHOWN_PER_GROUP = 20  # rows listed per (column, rule) unless --all


def check_file(path: Path, name: str, spec: Contract | None) -> tuple[str, ValidationResult | None, float]:
    """(status, result, seconds): REJECTED (no result) when `name` is not whitelisted (no contract)."""
    if spec is None:
        return "REJECTED", None, 0.0
    started = time.perf_counter()
    result = validate_stream(_chunks(path), spec, gzipped=is_gzip_key(name))
    status = {"OK": "SUCCEEDED"}.get(result.status, result.status)
    return status, result, time.perf_counter() - started


def report(path: Path, name: str, status: str, result: ValidationResult | None, seconds: float,
           spec: Contract | None = None) -> dict[str, Any]:
    loads = status in ("SUCCEEDED", "PARTIAL")
    return {
        "file": str(path),
        "as": name,
        "status": status,
        "table": spec.table if spec else None,
        "rows": result.rows if result else 0,
        "rows_loaded": result.rows - result.rows_rejected if result and loads else 0,
        "rows_rejected": result.rows_rejected if result else 0,
        "error_count": result.error_count if result else 0,
        "errors_truncated": result.truncated if result else False,
        "errors": [e.as_dict() for e in result.errors] if result else [],
        "seconds": round(seconds, 3),
        "rows_per_second": round(result.rows / seconds) if result and seconds > 0 else None,
    }


def validate(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The CSV to check.")],
    as_name: Annotated[str | None, typer.Option("--as", help="The object key it would be uploaded as "
                                                "(users.csv, test.csv, …/users.csv.gz) [default: FILE's name]")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Every problem as JSON, for machines.")] = False,
    show_all: Annotated[bool, typer.Option("--all", help=f"List every row of each problem, not the first "
                                                         f"{SHOWN_PER_GROUP}.")] = False,
    contracts: Annotated[Path | None, typer.Option("--contracts", help="Folder of table contracts "
                                                   "[default: $TABLE_CONTRACTS, else the bundled contracts/]")] = None,
) -> None:
    """Check a file exactly as the Lambda would, before uploading it (exit 0 loads, 1 FAILED, 3 REJECTED)."""
    name = as_name or file.name
    try:
        whitelist = load_contracts(contracts)
    except ConfigurationError as exc:
        console_for(stderr=True).print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    spec = whitelist.lookup(name)
    status, result, seconds = check_file(file, name, spec)
    data = report(file, name, status, result, seconds, spec)
    data["hints"] = _hints(file, name, spec, data) if status == "FAILED" and spec else []
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        console = console_for()
        _print(console, data, whitelist.accepted_names(), None if show_all else SHOWN_PER_GROUP)
        if spec is not None and status in ("SUCCEEDED", "PARTIAL"):
            console.print(TABLE_NOTES[spec.evolve], highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_CODES[status])


# validate knows the contract, never the table: what a load may still find there.
TABLE_NOTES = {
    "safe": "Checked against the contract, not the table: the table may need these safe changes: see harness "
            "contract plan (a load applies them itself, evolve: safe; any other difference FAILS it as drift).",
    "none": "Checked against the contract, not the table: with evolve: none the table must match it exactly: see "
            "harness contract plan.",
}


def _hints(file: Path, name: str, spec: Contract, data: dict[str, Any]) -> list[str]:
    from harness.authoring.hints import validation_hints  # only a FAILED file needs it

    return validation_hints(file, name, spec, data["errors"])


def _groups(errors: list[dict[str, Any]]) -> dict[tuple[str | None, str], list[dict[str, Any]]]:
    groups: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
    for e in errors:
        groups.setdefault((e["column"], e["rule"]), []).append(e)
    return groups


def _shown(value: str | None) -> str:
    if value is None:
        return "(empty)"
    return repr(value) if len(value) <= 80 else repr(value[:79]) + "…"


def _print(console: Console, data: dict[str, Any], accepted: str, per_group: int | None) -> None:
    if data["status"] == "REJECTED":
        console.print(f"[bold red]REJECTED[/]: {data['as']!r} is not a whitelisted name; the contracts accept "
                      f"{accepted} as the last path segment.", highlight=False, soft_wrap=True)
        return
    groups = _groups(data["errors"])
    for (column, rule), errors in groups.items():
        shown = errors if per_group is None else errors[:per_group]
        rows = sum(e["row"] is not None for e in errors)
        count = f"{rows:,} row{'s' if rows != 1 else ''}" if rows else "the whole file"
        console.print(f"[bold]{column or 'whole file'}[/]: {rule} ({count})", highlight=False, soft_wrap=True)
        table = Table(show_header=False, box=None, padding=(0, 2))
        for e in shown:
            table.add_row(place(e["row"], None), _shown(e["value"]))
        console.print(table)
        if len(shown) < len(errors):
            console.print(f"  … first {len(shown)} of {len(errors):,}; --all lists every row")
    # Under a second the rate measures start-up, not reading: 16 rows said "46 rows/s".
    rate = f", {data['rows_per_second']:,} rows/s" if data["rows_per_second"] and data["seconds"] >= 1 else ""
    target = data["table"]
    if data["status"] == "SUCCEEDED":
        loading = f"{data['rows']:,} row{'s' if data['rows'] != 1 else ''}"
        console.print(f"[bold green]SUCCEEDED[/]: {loading} would load into {target}{rate}.")
        return
    if data["status"] == "PARTIAL":
        console.print(f"[bold yellow]PARTIAL[/]: {data['rows_loaded']:,} rows would load into {target}, "
                      f"{data['rows_rejected']:,} rejected (the contract sets on_error: reject_rows){rate}.")
        return
    more = " (the first ones are listed)" if data["errors_truncated"] else ""
    n = data["error_count"]
    errors_text = f"{n:,} error{'s' if n != 1 else ''}"
    if data["rows"] == 0:
        scope = "; the file could not be read past its header" if groups else ""
    else:
        scope = f" in {data['rows_rejected']:,} of {data['rows']:,} rows read"
    console.print(f"[bold red]FAILED[/]: {errors_text}{scope}{more}; nothing would load.")
    for hint in data.get("hints", []):
        console.print(f"[bold]hint[/]: {escape(hint)}", highlight=False, soft_wrap=True)
