"""`harness validate FILE --as NAME`: the handler's own parsing and validation over a local file.

No stack, no database, no AWS: producers run it before uploading (and in their own CI). Exit code
0 when the file would load, 1 when it would FAIL, 2 when the name would be REJECTED.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lambda_function import load_contracts, validate_stream
from lambda_function.contract import Contract, is_gzip_key
from lambda_function.validate import ValidationResult

READ_BYTES = 1024 * 1024


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(READ_BYTES):
            yield chunk


def check_file(path: Path, name: str, contracts: Path | None = None) -> tuple[str, ValidationResult | None, float]:
    """(status, result, seconds): REJECTED (no result) when `name` is not whitelisted."""
    spec = load_contracts(contracts).lookup(name)
    if spec is None:
        return "REJECTED", None, 0.0
    started = time.perf_counter()
    result = validate_stream(_chunks(path), spec, gzipped=is_gzip_key(name))
    return ("OK" if result.ok else "FAILED"), result, time.perf_counter() - started


def report(path: Path, name: str, status: str, result: ValidationResult | None, seconds: float,
           spec: Contract | None = None) -> dict[str, Any]:
    return {
        "file": str(path),
        "as": name,
        "status": status,
        "table": spec.table if spec else None,
        "rows": result.rows if result else 0,
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
    contracts: Annotated[Path | None, typer.Option("--contracts", help="Folder of table contracts "
                                                   "[default: $TABLE_CONTRACTS, else the bundled contracts/]")] = None,
) -> None:
    """Check a file exactly as the Lambda would, before uploading it (exit 0 ok, 1 FAILED, 2 REJECTED)."""
    name = as_name or file.name
    status, result, seconds = check_file(file, name, contracts)
    data = report(file, name, status, result, seconds, load_contracts(contracts).lookup(name))
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _print(Console(), data)
    raise typer.Exit({"OK": 0, "FAILED": 1, "REJECTED": 2}[status])


def _print(console: Console, data: dict[str, Any]) -> None:
    if data["status"] == "REJECTED":
        console.print(f"[bold red]REJECTED[/]: {data['as']!r} is not a whitelisted name "
                      "(users.csv, test.csv, optionally .gz, as the last path segment).")
        return
    if data["errors"]:
        table = Table(title=f"{data['file']} as {data['as']} -> {data['table']}")
        for column in ("row", "column", "value", "rule"):
            table.add_column(column, overflow="fold")
        for e in data["errors"]:
            value = e["value"] if e["value"] is None or len(e["value"]) <= 80 else e["value"][:79] + "…"
            table.add_row(*("" if v is None else str(v) for v in (e["row"], e["column"], value, e["rule"])))
        console.print(table)
    rate = f", {data['rows_per_second']:,} rows/s" if data["rows_per_second"] else ""
    if data["status"] == "OK":
        console.print(f"[bold green]OK[/]: {data['rows']:,} rows would load into {data['table']}{rate}.")
    else:
        more = " (only the first ones are listed)" if data["errors_truncated"] else ""
        n = data["error_count"]
        plural = "s" if n != 1 else ""
        console.print(f"[bold red]FAILED[/]: {n:,} error{plural} in {data['rows_rejected']:,} of "
                      f"{data['rows']:,} rows{more}; nothing would load{rate}.")
