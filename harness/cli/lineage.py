"""`harness loads` and `harness unload`: which object every load came from, and taking a key's rows out again."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from harness import state
from harness.cli.consoles import console_for
from harness.cli.output import STATUS_STYLE
from harness.cli.stack import JsonFlag, StateDir, _clear_errors, _running_stack

console = console_for()
errors = console_for(stderr=True)

SchemaOpt = Annotated[str, typer.Option("--schema", envvar="DB_SCHEMA", help="The schema of the tables and the "
                                        "ledger (the function's DB_SCHEMA).")]


def register(app: typer.Typer) -> None:
    app.command("loads")(_clear_errors(loads))
    app.command("unload")(_clear_errors(unload))


def loads(
    table: Annotated[str | None, typer.Option("--table", help="Only loads into this table.")] = None,
    key: Annotated[str | None, typer.Option("--key", help="Only this object key.")] = None,
    schema: SchemaOpt = "public",
    state_dir: StateDir = None,
    as_json: JsonFlag = False,
) -> None:
    """List the ledger: load id, time, bucket/key, version or ETag, status, rows, contract fingerprint.

    A lineage table's rows carry the load id (`_ingest_load_id`); `--json` prints a JSON list, one object per
    load (FAILED verdicts and unloads included).
    """
    from harness.emulator.loads import read_loads

    stack = _running_stack(state.state_dir(state_dir))
    entries = read_loads(stack, schema, table=table, key=key)
    if as_json:
        print(json.dumps([{k: _plain(v) for k, v in e.items()} for e in entries], ensure_ascii=False), flush=True)
        return
    if not entries:
        errors.print("no loads yet" + (" matching" if table or key else "") + " (replay a file, or harness watch)")
        return
    view = Table(show_edge=False, header_style="bold")
    for name, justify in (("load", "right"), ("time (UTC)", "left"), ("bucket/key", "left"),
                          ("version or ETag", "left"), ("status", "left"), ("rows", "right"), ("table", "left"),
                          ("contract", "left"), ("since", "left")):
        view.add_column(name, justify=justify)  # type: ignore[arg-type]
    for e in entries:
        style = STATUS_STYLE.get(e["status"] or "", "white")
        view.add_row(str(e["load_id"]), _time(e["loaded_at"]), escape(f"{e['bucket']}/{e['key']}"),
                     escape(e["version_id"] or e["etag"] or ""), f"[{style}]{e['status']}[/]", _rows(e),
                     escape(e["table"]), e["contract"] or "", _since(e))
    console.print(view)


def unload(
    key: Annotated[str, typer.Argument(help="An object key of the stack's bucket, e.g. daily/readings-3.csv.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask first.")] = False,
    schema: SchemaOpt = "public",
    state_dir: StateDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Remove the rows every load of KEY wrote into its lineage table (one transaction), with an UNLOADED message.

    Takes the object lock a load of KEY takes, so it never races one. Asks first unless --yes. Exit 0 unloaded
    (or nothing left to unload), 1 refused (not whitelisted, no lineage), 2 declined.
    """
    from harness.emulator.loads import UnloadRefused, pending
    from harness.emulator.loads import unload as run_unload

    stack = _running_stack(state.state_dir(state_dir))
    try:
        waiting = pending(stack, schema, key)
        if not waiting.load_ids:  # nothing to announce either
            errors.print(f"nothing loaded from {key} is left to unload", highlight=False, markup=False)
            return
        if not yes:
            question = (f"remove {waiting.rows:,} rows of {len(waiting.load_ids)} load(s) of {key} "
                        f"(loads {', '.join(map(str, waiting.load_ids))}) from {waiting.contract.table}?")
            if not typer.confirm(question, err=True):
                errors.print("nothing removed")
                raise typer.Exit(2)
        body = run_unload(stack, schema, key)
    except UnloadRefused as exc:
        errors.print(f"error: {exc}", highlight=False, markup=False)
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps(body, default=str), flush=True)
        return
    style = STATUS_STYLE.get(body["status"], "white")
    what = (f"{body.get('rows_removed', 0):,} rows removed (loads {body.get('unloaded_loads')})"
            if body["status"] == "UNLOADED" else body.get("reason") or "")
    console.print(f"[{style}]{body['status']}[/] {escape(key)} -> {escape(str(body['table']))}: {escape(what)}",
                  highlight=False, soft_wrap=True)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _time(value: Any) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else str(value)


def _rows(entry: dict[str, Any]) -> str:
    if entry["status"] == "UNLOADED":
        return f"-{entry['rows_removed'] or 0:,}"
    rejected = f" ({entry['rows_rejected']:,} rejected)" if entry.get("rows_rejected") else ""
    return f"{entry['rows_loaded']:,}{rejected}"


def _since(entry: dict[str, Any]) -> str:
    if entry["replaced_by"] is not None:
        return f"replaced by load {entry['replaced_by']}"
    return "unloaded" if entry["unloaded_at"] is not None else ""
