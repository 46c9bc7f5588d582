"""`harness contract check|init|show|infer`: the table contracts (contracts/*.yaml) as a data engineer works with them.

`check` runs the handler's own loader (JSON Schema + semantic checks) and lists every problem with its
file and field; `show` prints what each column accepts in the words the README uses (`--markdown` is
the README's own table, so docs are generated, not copied); `infer` drafts a contract from a sample;
`init` starts a folder (the JSON Schema and a commented example).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from harness.cli.consoles import console_for

if TYPE_CHECKING:
    from lambda_function.contract import Whitelist

contract_app = typer.Typer(help="Check, show, draft, plan or apply table contracts (contracts/*.yaml).",
                            no_args_is_help=True, add_completion=False)
console = console_for()
err = console_for(stderr=True)

ContractsOption = Annotated[Path | None, typer.Option(
    "--contracts", help="Folder of table contracts [default: $TABLE_CONTRACTS, else the bundled contracts/]")]


def register(app: typer.Typer) -> None:
    from harness.cli import plan  # `contract plan|apply` read and change the database: their own module

    plan.register(contract_app)
    app.add_typer(contract_app, name="contract")


def _folder(folder: Path | None) -> Path:
    from lambda_function.contract.loader import contracts_folder

    return contracts_folder() if folder is None else folder


@contract_app.command("check")
def check(
    folder: Annotated[Path | None, typer.Argument(help="Folder of contracts [default: $TABLE_CONTRACTS, "
                                                       "else the bundled contracts/]")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The problems as JSON.")] = False,
) -> None:
    """Check every contract in a folder as the handler would load them (exit 0 clean, 1 with every problem)."""
    from lambda_function.contract.loader import check_folder

    path = _folder(folder)
    if not path.is_dir():
        err.print(f"[red]error[/]: {path} is not a folder of contracts")
        raise typer.Exit(2)
    whitelist, problems = check_folder(path)
    if as_json:
        typer.echo(json.dumps({"folder": str(path), "ok": not problems,
                               "contracts": [c.name for c in whitelist] if whitelist else [],
                               "problems": [{"file": p.source, "field": p.path, "message": p.message}
                                            for p in problems]}, indent=2))
    elif problems:
        for problem in problems:
            console.print(str(problem), highlight=False, markup=False, soft_wrap=True)
        console.print(f"[bold red]{len(problems)} problem{'s' if len(problems) != 1 else ''}[/] in {path}")
    elif whitelist is not None:
        names = ", ".join(f"{c.name} → {c.table}" for c in whitelist)
        console.print(f"[bold green]OK[/]: {len(whitelist)} contract{'s' if len(whitelist) != 1 else ''} "
                      f"in {path}: {names}", highlight=False)
    raise typer.Exit(1 if problems else 0)


@contract_app.command("init")
def init(
    folder: Annotated[Path, typer.Argument(help="The contracts folder to create (or complete), e.g. contracts")],
) -> None:
    """Create a contracts folder: the JSON Schema the contracts name, and one commented example contract."""
    from harness.authoring.starter import init_folder

    for line in init_folder(folder):
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    console.print(f"next: edit the example, then `harness contract check {folder}`", highlight=False, markup=False)


@contract_app.command("show")
def show(
    name: Annotated[str | None, typer.Argument(help="A file name, table, contract file stem or object key "
                                                    "[default: every contract]")] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="The README's table for it (Markdown).")] = False,
    contracts: ContractsOption = None,
) -> None:
    """Show each column's type, whether it is required, its key and what it accepts, as the README does."""
    from lambda_function.contract.describe import column_lines, headline
    from lambda_function.contract.describe import markdown as as_markdown

    whitelist = loaded_contracts(contracts)
    found = whitelist.find(name) if name is not None else None
    if name is not None and found is None:
        err.print(f"[red]error[/]: no contract for {name!r}; the contracts in {whitelist.folder} accept "
                  f"{whitelist.accepted_names()}", highlight=False)
        raise typer.Exit(2)
    for contract in [found] if found is not None else list(whitelist):
        if markdown:
            typer.echo(as_markdown(contract))
            continue
        table = Table(title=headline(contract), title_justify="left", caption=contract.source)
        for column in ("column", "type", "required", "key", "accepts", "rules"):
            table.add_column(column, overflow="fold")
        for line in column_lines(contract):
            table.add_row(line.name, line.type, line.required, line.key, line.accepts, line.rules)
        console.print(table)


def loaded_contracts(folder: Path | None) -> Whitelist:
    """The whitelist, or exit 1 with the loader's own message (every problem, file and field)."""
    from lambda_function.contract import load_contracts
    from lambda_function.errors import ConfigurationError

    try:
        return load_contracts(folder)
    except ConfigurationError as exc:
        err.print(f"error: {exc}", highlight=False, markup=False)
        raise typer.Exit(1) from None


@contract_app.command("infer")
def infer(
    sample: Annotated[Path, typer.Argument(help="A sample CSV with its header (UTF-8 or an encoding infer detects).")],
    file: Annotated[str, typer.Option("--file", help="The object name the contract accepts, e.g. orders.csv.")],
    table: Annotated[str | None, typer.Option("--table", help="Target table [default: from --file's stem]")] = None,
    delimiter: Annotated[str | None, typer.Option("--delimiter", help="One of , ; | or a tab "
                                                  "[default: sniffed from the header]")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the draft here [default: stdout]")] = None,
) -> None:
    """Draft a contract from a sample CSV: types every sample value passes, with a comment on each guess."""
    from harness.authoring import InferError, infer_contract

    sep = {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(delimiter, delimiter) if delimiter is not None else None
    try:
        text = infer_contract(sample, file, table=table, delimiter=sep)
    except InferError as exc:
        err.print(f"error: {exc}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    if out is None:
        typer.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    err.print(f"wrote {out}: review each `guessed` comment, then `harness contract check {out.parent}`",
              highlight=False, markup=False, soft_wrap=True)
