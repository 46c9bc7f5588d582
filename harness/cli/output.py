"""Rich rendering of stacks, invocations and replay reports for people (the CLI's --json is separate)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness.emulator.replay import ReplayReport
from harness.emulator.runtime import Invocation
from harness.stack import StackInfo
from harness.stack.health import PartStatus
from lambda_function.errors import place

STATUS_STYLE = {"SUCCEEDED": "green", "PARTIAL": "yellow", "FAILED": "red", "REJECTED": "yellow", "SKIPPED": "cyan",
                "UNLOADED": "blue"}


def print_stack(
    console: Console, info: StackInfo, directory: Path, note: str, parts: list[PartStatus] | None = None
) -> None:
    table = Table(title=f"{info.backend} stack ({note})", show_header=False, title_justify="left")
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")  # URLs must stay copyable: fold, never cut with an ellipsis
    for name, value in info.public_dict().items():
        table.add_row(name, value)
    table.add_row("state", str(directory / "stack.json"))
    for part in parts or []:
        # In words, not only in colour: "up" / "DOWN" reads in a log or a monochrome terminal too.
        word = "up" if part.ok else "DOWN"
        table.add_row(part.name, f"[{'green' if part.ok else 'red'}]{word}: {part.detail}[/]")
    console.print(table)
    console.print("\n# for the aws CLI, psql \"$PGURL\" and the handler (or: eval \"$(harness status --env)\"):")
    for line in export_lines(info):
        console.print(line, highlight=False, soft_wrap=True)
    endpoint = f" --endpoint-url {info.aws_endpoint_url}" if info.aws_endpoint_url else ""
    console.print(f"# aws{endpoint} s3 cp users.csv s3://{info.bucket}/users.csv", highlight=False, soft_wrap=True)


def export_lines(info: StackInfo) -> list[str]:
    env = {**info.aws_environment(), "DATABASE_URL": info.database_url, "PGURL": info.pg_url,
           "SNS_TOPIC_ARN": info.topic_arn}
    return [f"export {name}={shlex.quote(value)}" for name, value in env.items()]


def print_exports(info: StackInfo) -> None:
    """Plain stdout, no rich markup or wrapping: the lines must survive `eval`."""
    for line in export_lines(info):
        print(line, flush=True)


def print_invocation(console: Console, invocation: Invocation, *, retried: bool = True) -> None:
    attempts = len(invocation.attempts)
    cold = "cold" if invocation.attempts and invocation.attempts[0].cold_start else "warm"
    head = f"[dim]{invocation.request_id}[/] {cold}, {attempts} attempt{'s' if attempts > 1 else ''}"
    if not invocation.succeeded:
        last = invocation.attempts[-1]
        console.print(f"{head}: [red]{last.error_type}: {last.error_message}[/]", highlight=False)
        if retried:
            console.print("  retries exhausted: on-failure record published to the topic", highlight=False)
        return
    outcomes = outcomes_of(invocation.response)
    if not outcomes:
        console.print(f"{head}: returned {invocation.response!r}", highlight=False)
    for outcome in outcomes:
        console.print(f"{head}: {_describe(outcome)}", highlight=False, soft_wrap=True)


def print_replay(console: Console, report: ReplayReport) -> None:
    for invocation in report.invocations:
        print_invocation(console, invocation)
    for table, rows in report.table_rows.items():
        console.print(f"rows now in [bold]{table}[/]: {rows:,}")
    console.print(f"{len(report.notifications)} SNS message(s) on the capture queue:")
    for note in report.notifications:
        message = note["message"]
        status = note["attributes"].get("status") or ""
        if isinstance(message, dict) and "requestContext" in message:
            status = status or message["requestContext"].get("condition", "")
        subject = note["subject"] or "(no subject)"
        style = STATUS_STYLE.get(status, "magenta")
        console.print(f"  [{style}]{status or '-'}[/] {subject}", highlight=False)


def outcomes_of(response: Any) -> list[dict[str, Any]]:
    if isinstance(response, dict) and isinstance(response.get("outcomes"), list):
        return [o for o in response["outcomes"] if isinstance(o, dict)]
    return []


def _describe(outcome: dict[str, Any]) -> str:
    """One outcome in a line or two: status, key -> table, rows, the first error, where the files went."""
    status = str(outcome.get("status", "?"))
    style = STATUS_STYLE.get(status, "white")
    text = f"[{style}]{status}[/] {outcome.get('key')}"
    if outcome.get("table"):
        text += f" -> {outcome['table']}"
    if status in ("SUCCEEDED", "PARTIAL") and outcome.get("rows_loaded") is not None:
        text += f": {outcome['rows_loaded']:,} rows loaded"
        if status == "PARTIAL":
            text += f", {outcome.get('rows_rejected', 0):,} rejected"
        if outcome.get("replaced_loads"):
            text += f", {outcome.get('rows_removed', 0):,} of the earlier version replaced"
        if outcome.get("load_id") is not None:
            text += f" (load {outcome['load_id']})"
    elif status == "UNLOADED":
        text += f": {outcome.get('rows_removed', 0):,} rows removed (loads {outcome.get('unloaded_loads')})"
    elif status == "SKIPPED" and outcome.get("reason"):
        text += f": {outcome['reason']}"
    if outcome.get("errors"):
        first = outcome["errors"][0]
        text += f" (first error: {place(first.get('row'), first.get('column'))}: {first.get('rule')})"
    for statement in outcome.get("schema_changes") or []:
        text += f"\n  schema change: {escape(statement)}"
    if outcome.get("rejected_rows_uri"):
        text += f"\n  rejected rows: {outcome['rejected_rows_uri']}"
    if outcome.get("error_report_uri"):
        text += f"\n  full error report: {outcome['error_report_uri']}"
    return text
