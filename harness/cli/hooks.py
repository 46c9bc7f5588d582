"""`harness hook validate|contracts`: what the pre-commit hooks of `.pre-commit-hooks.yaml` run.

pre-commit passes every staged file that matches a hook's `files` pattern, many at once, plus the hook's
`args` (`--contracts DIR`). `validate` sends each file whose name a contract accepts through `harness
validate` (same checks, same output, under the file's path) and skips the others: a repository holds CSVs
that are not uploads. `contracts` runs `harness contract check` when one of the files is in the contracts
folder. Only the `[cli]` extra is needed (the hook's own environment has nothing else).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from harness.cli.consoles import console_for

hook_app = typer.Typer(help="What the pre-commit hooks run: staged CSVs through validate, contract check when a "
                            "contract changed.", no_args_is_help=True, add_completion=False)
DEFAULT_FOLDER = Path("contracts")  # pre-commit runs hooks at the repository's root

FilesArgument = Annotated[list[Path] | None, typer.Argument(help="The staged files pre-commit passes.")]
ContractsOption = Annotated[Path | None, typer.Option(
    "--contracts", help="Folder of table contracts (the hook's args) [default: $TABLE_CONTRACTS, else ./contracts]")]


def register(app: typer.Typer) -> None:
    app.add_typer(hook_app, name="hook")


def contracts_folder(option: Path | None) -> Path:
    """--contracts, else TABLE_CONTRACTS, else ./contracts; never the package's bundled folder, which is not
    the repository's whitelist."""
    chosen = option or (Path(os.environ["TABLE_CONTRACTS"]) if os.environ.get("TABLE_CONTRACTS") else None)
    folder = chosen or DEFAULT_FOLDER
    if not folder.is_dir():
        source = "--contracts" if option else "TABLE_CONTRACTS" if chosen else "the default ./contracts"
        console_for(stderr=True).print(f"error: {folder} ({source}) is not a folder of table contracts; give the hook "
                                   "`args: [--contracts, DIR]`", markup=False, highlight=False)
        raise typer.Exit(2)
    return folder


@hook_app.command("validate")
def validate_staged(files: FilesArgument = None, contracts: ContractsOption = None) -> None:
    """Validate each file a contract accepts, as `harness validate` does; skip other names (exit 1: one FAILED)."""
    from harness.cli.validate import validate
    from lambda_function import load_contracts
    from lambda_function.errors import ConfigurationError

    folder = contracts_folder(contracts)
    try:
        whitelist = load_contracts(folder)
    except ConfigurationError as exc:
        console_for(stderr=True).print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    console = console_for()
    failed: list[Path] = []
    for path in files or []:
        if whitelist.lookup(path.name) is None:
            continue  # not an upload: no contract in the folder accepts that name
        console.print(f"[bold]{path}[/]", highlight=False)
        try:
            validate(path, contracts=folder, as_json=False, show_all=False)
        except typer.Exit as done:
            if done.exit_code != 0:
                failed.append(path)
    if failed:
        console.print(f"{len(failed)} file{'s' if len(failed) != 1 else ''} would FAIL: "
                      f"{', '.join(map(str, failed))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)


@hook_app.command("contracts")
def check_changed(files: FilesArgument = None, contracts: ContractsOption = None) -> None:
    """`harness contract check` on the folder when one of the files is in it (exit 1: a problem)."""
    from harness.cli.contract import check

    folder = contracts_folder(contracts)
    if not any(folder.resolve() in path.resolve().parents for path in files or []):
        return  # none of them is a contract of this folder
    check(folder, as_json=False)  # as given: problems name contracts/x.yaml, as the user wrote it
