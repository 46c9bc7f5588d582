"""The size report of a built zip: Lambda's two limits, then the dependencies that weigh the most."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from harness.deploy.bundle import MIB, UNZIPPED_LIMIT, ZIPPED_LIMIT, BuildResult


def megabytes(size: int) -> str:
    return f"{size / MIB:.1f} MiB"


def _verdict(ok: bool) -> Text:
    return Text("ok", style="green") if ok else Text("OVER", style="bold red")


def limits_table(result: BuildResult) -> Table:
    table = Table(title=f"{result.zip_path.name} · python{result.python} · {result.architecture}", title_justify="left")
    table.add_column("measure")
    table.add_column("size", justify="right")
    table.add_column("Lambda limit", justify="right")
    table.add_column("used", justify="right")
    table.add_column("")
    rows = [
        ("zipped (direct upload)", result.zipped_bytes, ZIPPED_LIMIT, result.zipped_ok),
        ("unzipped (function + layers)", result.unzipped_bytes, UNZIPPED_LIMIT, result.unzipped_ok),
    ]
    for label, size, limit, ok in rows:
        table.add_row(label, megabytes(size), megabytes(limit), f"{100 * size / limit:.0f}%", _verdict(ok))
    return table


def largest_table(result: BuildResult, count: int = 5) -> Table:
    table = Table(title=f"largest {count} dependencies", title_justify="left")
    table.add_column("distribution")
    table.add_column("version")
    table.add_column("files", justify="right")
    table.add_column("unzipped", justify="right")
    table.add_column("zipped", justify="right")
    for dist in result.largest_dependencies(count):
        table.add_row(dist.name, dist.version, str(dist.files), megabytes(dist.unzipped), megabytes(dist.zipped))
    return table


def size_report(result: BuildResult) -> Group:
    excluded = Table.grid(padding=(0, 2))
    for name, reason in result.excluded.items():
        excluded.add_row(Text(name, style="dim"), Text(reason, style="dim"))
    summary = Text(f"{result.file_count} files, built in {result.seconds:.1f} s\nsha256 {result.sha256}")
    return Group(limits_table(result), largest_table(result), Text("not bundled:", style="bold"), excluded, summary)
