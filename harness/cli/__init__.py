"""The `harness` command line: one Typer app, each group of commands in its own module."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="harness",
    help="Run the S3 -> Lambda -> PostgreSQL ingestion loop locally: stack, data, scenarios, benchmark, zip.",
    no_args_is_help=True,
    add_completion=False,
)

# Each module defines `register(app)`; keeping the list here keeps the public surface in one place.
COMMAND_MODULES = (
    "harness.cli.generate",
    "harness.cli.stack",
    "harness.cli.validate",
    "harness.cli.package",
    "harness.cli.bench",
    "harness.cli.scenarios",
)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # not written yet
                continue
            raise
        module.register(app)


_register_all()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
