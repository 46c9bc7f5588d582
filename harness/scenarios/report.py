"""Scenario results for people (a rich table) and machines (JSON list, JUnit XML)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from rich.table import Table

from harness.scenarios.model import Result


def results_table(results: list[Result]) -> Table:
    table = Table(title="scenarios", show_lines=False)
    table.add_column("scenario", no_wrap=True)
    for column in ("expected", "actual"):
        table.add_column(column, overflow="fold", min_width=9)
    table.add_column("rows", justify="right")
    table.add_column("seconds", justify="right")
    for r in results:
        mark = "[green]PASS[/]" if r.passed else "[bold red]FAIL[/]"
        rows = ", ".join(f"{t}={n:,}" for t, n in r.rows.items()) or "-"
        actual = r.actual if r.passed else f"{r.actual}\n[red]{r.detail}[/]"
        table.add_row(f"{mark} {r.name}", r.expected, actual, rows, f"{r.seconds:.2f}")
    return table


def write_junit(results: list[Result], path: Path, suite: str = "harness.scenarios") -> None:
    failures = sum(not r.passed for r in results)
    root = ET.Element("testsuites", name=suite, tests=str(len(results)), failures=str(failures))
    element = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for r in results:
        case = ET.SubElement(element, "testcase", classname=suite, name=r.name, time=f"{r.seconds:.3f}")
        ET.SubElement(case, "system-out").text = f"expected: {r.expected}\nactual: {r.actual}\nrows: {r.rows}"
        if not r.passed:
            ET.SubElement(case, "failure", message=r.detail[:500] or "failed").text = r.detail
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
