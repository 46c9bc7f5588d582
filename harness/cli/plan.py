"""`harness contract plan|apply`: what a folder of contracts would change in the deployed tables.

`plan` prints every difference of every table from its contract, classed safe / rewrite / breaking, with the
statement that resolves it; exit 0 when nothing is to change, 1 when changes are pending (a CI gate: the
deployed tables need these statements before this contract ships). `apply` runs the safe and rewrite
statements (each table in one transaction) after asking, refuses breaking ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from harness.cli.contract import ContractsOption, loaded_contracts

if TYPE_CHECKING:
    from harness.authoring.table_plan import TablePlan

console = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

DatabaseOption = Annotated[str | None, typer.Option(
    "--database-url", help="A SQLAlchemy postgresql+psycopg:// or libpq postgresql:// URL [default: the running "
                           "stack's, from .harness/stack.json]")]
SchemaOption = Annotated[str, typer.Option("--schema", envvar="DB_SCHEMA", help="The schema the tables live in "
                                           "(the function's DB_SCHEMA).")]
StateDirOption = Annotated[Path | None, typer.Option("--state-dir", envvar="HARNESS_STATE_DIR",
                                                     help="Where the running stack's stack.json lives.")]
_COLOURS = {"safe": "green", "rewrite": "yellow", "breaking": "red"}


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
    app.command("apply")(apply)


def _database_url(given: str | None, state_dir: Path | None) -> str:
    if given:
        return given
    from harness import state
    from harness.stack import StackError

    try:
        return state.require(state.state_dir(state_dir)).database_url
    except StackError as exc:
        err.print(f"error: {exc}; or give --database-url", markup=False)
        raise typer.Exit(2) from None


def _plans(contracts: Path | None, database_url: str | None, schema: str,
           state_dir: Path | None) -> tuple[list[TablePlan], Any, str]:
    from harness.authoring.table_plan import PlanError, connect, plan, shown

    whitelist = loaded_contracts(contracts)
    url = _database_url(database_url, state_dir)
    try:
        conn = connect(url)
        return plan(conn, schema, whitelist), conn, shown(url)
    except PlanError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None


def plan(
    contracts: ContractsOption = None,
    database_url: DatabaseOption = None,
    schema: SchemaOption = "public",
    state_dir: StateDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="The plan as JSON.")] = False,
) -> None:
    """Each contract's differences from its table, classed safe / rewrite / breaking, with the statements
    (exit 0 nothing to change, 1 changes pending)."""
    plans, conn, where = _plans(contracts, database_url, schema, state_dir)
    conn.close()
    pending = [p for p in plans if p.pending]
    if as_json:
        typer.echo(json.dumps({"database": where, "schema": schema, "pending": bool(pending),
                               "tables": [p.as_dict() for p in plans]}, indent=2))
    else:
        _print(plans, where, schema)
        _summary(pending)
    raise typer.Exit(1 if pending else 0)


def apply(
    contracts: ContractsOption = None,
    database_url: DatabaseOption = None,
    schema: SchemaOption = "public",
    state_dir: StateDirOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
) -> None:
    """Run the safe and rewrite statements of the plan, each table in one transaction; refuse breaking ones
    (exit 0 all applied, 1 something refused, declined or failed)."""
    import psycopg

    from harness.authoring.table_plan import PlanError, apply_plan

    plans, conn, where = _plans(contracts, database_url, schema, state_dir)
    _print(plans, where, schema)
    runnable = [p for p in plans if p.applicable]
    refused = [d for p in plans for d in p.refused]
    count = sum(len(p.applicable) for p in runnable)
    problems = len(refused)
    if runnable and not yes and not typer.confirm(
            f"Apply {count} statement{'s' if count != 1 else ''} to {len(runnable)} table"
            f"{'s' if len(runnable) != 1 else ''} in {where}?"):
        console.print("nothing applied")
        raise typer.Exit(1)
    for table_plan in runnable:
        try:
            for statement in apply_plan(conn, schema, table_plan):
                console.print(f"[green]applied[/] {escape(statement)}")
        except (PlanError, psycopg.Error) as exc:
            problems += 1
            detail = getattr(getattr(exc, "diag", None), "message_detail", None)
            console.print(f"[red]not applied[/] to {table_plan.contract.table} (nothing of it): "
                          f"{escape(str(exc).splitlines()[0])}" + (f" ({escape(detail)})" if detail else ""))
    conn.close()
    for difference in refused:
        console.print(f"[red]refused[/] (breaking) {difference.column or 'primary key'}: a person decides and runs "
                      f"{escape(difference.statement or '')}")
    if not runnable and not refused:
        console.print("nothing to apply")
    raise typer.Exit(1 if problems else 0)


def _print(plans: list[TablePlan], where: str, schema: str) -> None:
    console.print(f"[bold]{escape(where)}[/], schema {escape(schema)}")
    for table_plan in plans:
        contract = table_plan.contract
        head = f"{escape(contract.name)} → {escape(contract.table)}"
        if not table_plan.exists:
            console.print(f"{head}: [dim]no table yet: the first load creates it[/]")
            continue
        if not table_plan.differences:
            console.print(f"{head}: [green]matches its contract[/]")
            continue
        fate = ("the next load FAILS as drift" if table_plan.blocked
                else "the next load applies the safe changes itself (evolve: safe)"
                if any(d.statement for d in table_plan.differences) else "loads as it is")
        n = len(table_plan.differences)
        console.print(f"{head}: {n} difference{'s' if n != 1 else ''}, {fate}")
        for d in table_plan.differences:
            colour = _COLOURS[str(d.kind)]
            console.print(f"  [{colour}]{d.kind:<9}[/] {escape(d.column or 'primary key')}: table "
                          f"{escape(d.table or '(no such column)')}, contract {escape(d.contract)}")
            if d.statement:
                console.print(f"            {escape(d.statement)}")
            if d.advice:
                console.print(f"            [dim]{escape(d.advice)}[/]")


def _summary(pending: list[TablePlan]) -> None:
    if not pending:
        console.print("[green]nothing to change[/]")
        return
    runnable = sum(len(p.applicable) for p in pending)
    refused = sum(len(p.refused) for p in pending)
    console.print(f"[bold]changes pending[/] in {len(pending)} table{'s' if len(pending) != 1 else ''}: "
                  f"{runnable} statement{'s' if runnable != 1 else ''} harness contract apply runs, "
                  f"{refused} breaking for a person to decide")
