"""`harness messages` and `harness psql`: what the function announced, and what is in the database."""

from __future__ import annotations

import json
import os
import shutil
import time
from typing import Annotated, Any

import typer

from harness import state
from harness.cli.consoles import console_for
from harness.cli.output import STATUS_STYLE
from harness.cli.stack import JsonFlag, StateDir, _clear_errors, _running_stack
from harness.emulator.messages import drain, record, recorded, status_of
from lambda_function.errors import place

console = console_for()
errors = console_for(stderr=True)
FOLLOW_POLL_SECONDS = 1


def register(app: typer.Typer) -> None:
    app.command("messages")(_clear_errors(messages))
    app.command("psql", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
        _clear_errors(psql))


def messages(
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new messages until Ctrl-C.")] = False,
    status: Annotated[str | None, typer.Option("--status", help="Only this status (SUCCEEDED, PARTIAL, FAILED, "
                                                                 "REJECTED, SKIPPED, UNLOADED).")] = None,
    state_dir: StateDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Print the SNS messages the stack captured (subject, status, key, rows, first errors).

    `--json` prints each message body as one JSON line, the SNS envelope removed. Messages taken by
    `replay` are shown too: every message the harness reads is kept in the state folder.
    """
    directory = state.state_dir(state_dir)
    stack = _running_stack(directory)
    wanted = status.upper() if status else None
    record(directory, drain(stack))
    shown = 0
    for notification in recorded(directory):
        shown += _show(notification, wanted, as_json)
    if not follow:
        if not shown and not as_json:
            errors.print("no messages yet (upload a file, then `harness replay` or `harness watch`)")
        return
    try:
        while True:
            fresh = drain(stack, wait_seconds=FOLLOW_POLL_SECONDS)
            record(directory, fresh)
            for notification in fresh:
                _show(notification, wanted, as_json)
            time.sleep(0 if fresh else 0.1)
    except KeyboardInterrupt:
        return


def _show(notification: dict[str, Any], wanted: str | None, as_json: bool) -> int:
    status = status_of(notification)
    if wanted and status != wanted:
        return 0
    body = notification.get("message")
    if as_json:
        print(json.dumps(body, ensure_ascii=False, default=str), flush=True)
        return 1
    style = STATUS_STYLE.get(status, "magenta")
    console.print(f"[{style}]{status or '-'}[/] {notification.get('subject') or '(no subject)'}",
                  highlight=False, soft_wrap=True)
    if isinstance(body, dict):
        rows = [f"{label} {body[field]:,}" for field, label in (("rows_loaded", "loaded"),
                                                                ("rows_rejected", "rejected"),
                                                                ("rows_removed", "removed"))
                if isinstance(body.get(field), int)]
        if body.get("load_id") is not None:
            rows.append(f"load {body['load_id']}")
        console.print(f"  key {body.get('key')}" + (f", {', '.join(rows)}" if rows else ""), highlight=False)
        for statement in body.get("schema_changes") or []:
            console.print(f"  schema change: {statement}", highlight=False, markup=False, soft_wrap=True)
        for error in (body.get("errors") or [])[:3]:
            console.print(f"  {place(error.get('row'), error.get('column'))}: {error.get('rule')}"
                          + (f" (value {error['value']!r})" if error.get("value") is not None else ""),
                          highlight=False, soft_wrap=True)
    return 1


def psql(
    ctx: typer.Context,
    state_dir: StateDir = None,
) -> None:
    """Run psql on the stack's database (or print its libpq URL). Arguments after `--` go to psql."""
    stack = _running_stack(state.state_dir(state_dir))
    program = shutil.which("psql")
    if program is None:
        errors.print("psql is not installed (Debian/Ubuntu: apt install postgresql-client; macOS: brew install "
                     "libpq). The database's libpq URL, for any client:", highlight=False)
        print(stack.pg_url)
        raise typer.Exit(1)
    os.execv(program, [program, stack.pg_url, *ctx.args])  # noqa: S606 - the user's own psql, the stack's URL

