"""The `harness` command line: one Typer app, each group of commands in its own module, imported lazily.

`harness --help` (and `--version`) must answer at once: a command's module, and with it pandas,
SQLAlchemy and the handler, is imported only when that command runs. The listing below is the public
surface; tests hold each summary to the command's own docstring.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version
from typing import Annotated, Any

import typer
from typer import _click as click  # typer 0.2x vendors click: its own classes, not the click distribution's
from typer.core import TyperCommand, TyperGroup

# command -> (module that registers it, one-line summary shown by --help)
COMMANDS: dict[str, tuple[str, str]] = {
    "up": ("harness.cli.stack", "Start the AWS emulator and PostgreSQL in the background, provision them, "
                                "write stack.json."),
    "status": ("harness.cli.stack", "Show the recorded stack and whether each part still answers "
                                    "(exit 1 when not running)."),
    "down": ("harness.cli.stack", "Stop exactly what `up` started and remove its temporary folders. Safe to repeat."),
    "replay": ("harness.cli.stack", "Upload FILE as KEY, take the real S3 event(s), invoke the handler, "
                                    "show what happened."),
    "watch": ("harness.cli.stack", "Invoke the handler for every upload to the bucket until Ctrl-C."),
    "messages": ("harness.cli.observe", "Print the SNS messages the stack captured (subject, status, key, rows, "
                                      "first errors)."),
    "psql": ("harness.cli.observe", "Run psql on the stack's database (or print its libpq URL)."),
    "loads": ("harness.cli.lineage", "List the ledger: load id, time, bucket/key, version or ETag, status, rows, "
                                     "contract fingerprint."),
    "unload": ("harness.cli.lineage", "Remove the rows every load of KEY wrote into its lineage table (one "
                                      "transaction), with an UNLOADED message."),
    "generate": ("harness.cli.generate", "Generate a seeded CSV for a table contract, optionally with one "
                                         "named defect."),
    "validate": ("harness.cli.validate", "Check a file exactly as the Lambda would, before uploading it "
                                         "(exit 0 loads, 1 FAILED, 3 REJECTED)."),
    "contract": ("harness.cli.contract", "Check, show, draft, plan or apply table contracts (contracts/*.yaml)."),
    "hook": ("harness.cli.hooks", "What the pre-commit hooks run: staged CSVs through validate, contract check when "
                                  "a contract changed."),
    "scenarios": ("harness.cli.scenarios", "Run the scenario catalogue end to end; exit 1 when any scenario fails."),
    "demo": ("harness.cli.scenarios", "A throwaway embedded stack, a few representative uploads, what happened, "
                                      "where to look next."),
    "bench": ("harness.cli.bench", "Handler vs raw COPY vs the seed's read_csv+to_sql on an embedded stack, for "
                                   "each contract: rows/s, ratios, CPU of the checks per cell, memory; and the "
                                   "handler's import time."),
    "package": ("harness.cli.package", "Build lambda_function.zip (our package + manylinux wheels, minus what "
                                       "Lambda provides) and size-check it."),
}


class LazyGroup(TyperGroup):
    """Lists COMMANDS without importing them; imports a command's module when it is looked up to run."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        if self._listing and cmd_name not in self.commands:
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name][1])  # what --help shows, nothing imported
        if cmd_name not in self.commands:
            try:
                self.commands.update(load_group(COMMANDS[cmd_name][0]).commands)
            except ModuleNotFoundError as exc:  # a producer's `[cli]` install lacks what only dev needs
                if (exc.name or "").split(".")[0] in ("harness", "lambda_function", "fixtures"):
                    raise  # our own module missing is a bug, not a missing extra
                typer.echo(f"error: `harness {cmd_name}` needs {exc.name!r}, a development dependency: "
                           "pip install -e '.[dev]' (the [cli] extra covers validate and contract)", err=True)
                ctx.exit(2)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        """Ctrl-C anywhere: one word and the shell's exit code for SIGINT (130), never a traceback."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            ctx.exit(130)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def load_group(module_name: str) -> TyperGroup:
    """The click commands one module registers (its `register(app)` on a fresh Typer app)."""
    sub = typer.Typer(add_completion=False)
    importlib.import_module(module_name).register(sub)
    return typer.main.get_group(sub)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"harness {version('s3-csv-ingest')}")
        raise typer.Exit()


app = typer.Typer(
    name="harness",
    cls=LazyGroup,
    help="Run the S3 -> Lambda -> PostgreSQL ingestion loop locally: stack, data, scenarios, benchmark, zip.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root(
    _show_version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False,
) -> None:
    """Run the S3 -> Lambda -> PostgreSQL ingestion loop locally: stack, data, scenarios, benchmark, zip."""


def main(args: Any = None) -> None:
    app(args)


if __name__ == "__main__":
    main()
