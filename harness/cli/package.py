"""`harness package`: build the deployment zip for one Lambda runtime and check it against Lambda's limits."""

from __future__ import annotations

import json
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from harness.cli.consoles import console_for
from harness.deploy.bundle import PackagingError, build_package, default_cache_dir
from harness.deploy.report import size_report

console = console_for()
errors = console_for(stderr=True)


class PythonVersion(StrEnum):
    py311 = "3.11"
    py312 = "3.12"
    py313 = "3.13"


class Architecture(StrEnum):
    x86_64 = "x86_64"
    arm64 = "arm64"


def register(app: typer.Typer) -> None:
    app.command("package")(package)


def package(
    python: Annotated[PythonVersion, typer.Option("--python", help="Lambda runtime pythonX.Y.")] = PythonVersion.py311,
    arch: Annotated[Architecture, typer.Option("--arch", help="Lambda architecture.")] = Architecture.x86_64,
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for lambda_function.zip.")] = Path("dist"),
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir", envvar="HARNESS_WHEEL_CACHE", help=f"Downloaded wheels [default: {default_cache_dir()}]"
        ),
    ] = None,
    compile_bytecode: Annotated[
        bool,
        typer.Option(
            "--compile",
            help="Also ship .pyc files made by a local CPython of the target version: a cold start then "
            "skips compiling (Lambda cannot write __pycache__).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Build lambda_function.zip (our package + manylinux wheels, minus what Lambda provides) and size-check it.

    Exits 1 when the zip is over 50 MB or its contents over 250 MB.
    """
    try:
        spinner = console.status(f"resolving and zipping for python{python.value} {arch.value} ...")
        with nullcontext() if as_json else spinner:
            result = build_package(
                python.value, arch.value, out_dir=out, cache_dir=cache_dir, compile_bytecode=compile_bytecode
            )
    except PackagingError as exc:
        errors.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        console.print(size_report(result))
        console.print(f"wrote [bold]{result.zip_path}[/]", highlight=False)
    if not result.within_limits:
        errors.print("[bold red]error:[/] the zip is over Lambda's limits (see above)", highlight=False)
        raise typer.Exit(1)
