"""pytest plugin for other people's test suites: `ingest_stack` (session) and `ingest_lane` (function).

Registered through the `pytest11` entry point (`csv_ingest`), so installing `s3-csv-ingest[dev]` is
enough. Contracts: `--ingest-contracts DIR`, else the ini value `ingest_contracts` (relative to the
ini file), else `TABLE_CONTRACTS`. When `HARNESS_STATE_DIR` names a folder with a running stack
(`harness up`), that stack is used and left running; otherwise the first test that asks for a fixture
starts an embedded stack (or `HARNESS_BACKEND`'s), which is stopped when the session ends, whether
tests failed or the run was interrupted (Ctrl-C, SIGTERM, SIGHUP).

Importing this module must stay cheap: pytest loads it for every session of every project that has
the package installed. Only pytest and the standard library at module level; the stack, boto3 and
SQLAlchemy are imported when a fixture is first requested.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import signal
import threading
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.scenarios.ingest_lane import IngestLane
    from harness.stack import StackInfo

HOW_TO_NAME_CONTRACTS = "pass --ingest-contracts DIR, set `ingest_contracts` in the pytest ini, or set TABLE_CONTRACTS"


@dataclass(frozen=True)
class PluginSettings:
    """Read once when pytest configures, so a test that changes os.environ cannot redirect the session's stack."""

    contracts: Path | None  # None: the handler's default folder (contracts/ beside lambda_function)
    contracts_source: str  # where the folder came from, for error messages
    state_dir: Path | None  # HARNESS_STATE_DIR: a running stack to reuse


SETTINGS = pytest.StashKey[PluginSettings]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("csv-ingest", "s3-csv-ingest (fixtures ingest_stack, ingest_lane)")
    group.addoption("--ingest-contracts", dest="ingest_contracts", metavar="DIR", default=None,
                    help="folder of table contracts the function reads [default: ini ingest_contracts, "
                         "else $TABLE_CONTRACTS]")
    parser.addini("ingest_contracts", "folder of table contracts for ingest_stack (relative to this file)",
                  default="")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[SETTINGS] = settings_from(config, os.environ)


def settings_from(config: pytest.Config, environ: Mapping[str, str]) -> PluginSettings:
    option = config.getoption("ingest_contracts", default=None)
    ini = str(config.getini("ingest_contracts") or "").strip()
    env = str(environ.get("TABLE_CONTRACTS", "")).strip()
    invoked_in = Path(config.invocation_params.dir)
    if option:
        contracts, source = invoked_in / option, "--ingest-contracts"
    elif ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        contracts, source = base / ini, f"ingest_contracts in {config.inipath or 'the pytest ini'}"
    elif env:
        contracts, source = invoked_in / env, "TABLE_CONTRACTS"
    else:
        contracts, source = None, "the default"
    state_dir = environ.get("HARNESS_STATE_DIR", "").strip()
    return PluginSettings(contracts.resolve() if contracts else None, source,
                          (invoked_in / state_dir).resolve() if state_dir else None)


@pytest.fixture(scope="session")
def ingest_stack(pytestconfig: pytest.Config) -> Iterator[StackInfo]:
    """The stack every lane runs on: a running one (HARNESS_STATE_DIR, left running) or one started for the
    session (stopped at its end). `.database_url`, `.aws_endpoint_url`, `.lambda_environment()`."""
    settings = pytestconfig.stash[SETTINGS]
    contracts = checked_contracts(settings)
    running = running_stack(settings.state_dir)
    if running is not None:
        yield running.with_contracts(str(contracts) if contracts else None)
        return
    with session_stack() as info:
        yield info.with_contracts(str(contracts) if contracts else None)


@pytest.fixture
def ingest_lane(ingest_stack: StackInfo, request: pytest.FixtureRequest) -> Iterator[IngestLane]:
    """This test's own bucket, key prefix, queues, topic and database schema; all dropped after the test.

    `lane.replay(path, key=None)` -> the outcome message; `lane.sql(query, *params)` -> rows;
    `lane.messages()` -> every message the function published in this lane.
    """
    from harness.scenarios.ingest_lane import IngestLane

    lane = IngestLane(ingest_stack, request.node.name)
    try:
        yield lane
    finally:
        lane.close()


def checked_contracts(settings: PluginSettings) -> Path | None:
    """The contracts folder, loaded as the handler would: any problem fails the tests that use the stack."""
    from lambda_function.contract import check_folder, default_folder

    folder = settings.contracts or default_folder()
    if settings.contracts is None and not folder.is_dir():
        pytest.fail(f"ingest_stack: no table contracts: {HOW_TO_NAME_CONTRACTS}", pytrace=False)
    _whitelist, problems = check_folder(folder)
    if problems:
        listed = "\n".join(f"  {problem}" for problem in problems)
        pytest.fail(f"ingest_stack: the contracts in {folder} (from {settings.contracts_source}) have "
                    f"{len(problems)} problem(s):\n{listed}", pytrace=False)
    return settings.contracts


def running_stack(state_dir: Path | None) -> StackInfo | None:
    """The stack `harness up` recorded in HARNESS_STATE_DIR, when it answers; None (with a warning) otherwise."""
    if state_dir is None:
        return None
    from harness import state
    from harness.stack import StackError
    from harness.stack.health import is_healthy

    try:
        info = state.load(state_dir)
    except StackError as exc:
        info, why = None, str(exc)
    else:
        why = "no stack is recorded there" if info is None else "the stack recorded there does not answer"
    if info is not None and is_healthy(info):
        return info
    warnings.warn(f"HARNESS_STATE_DIR={state_dir}: {why}; starting a stack for this session instead",
                  pytest.PytestWarning, stacklevel=2)
    return None


@contextlib.contextmanager
def session_stack() -> Iterator[StackInfo]:
    """Start a stack; stop it however the session ends (finished, failed, Ctrl-C, SIGTERM, SIGHUP)."""
    from harness.stack import backend_name, start_stack, stop_stack

    with signals_interrupt():
        info = start_stack(backend_name())
        stop = functools.partial(stop_stack, info)
        atexit.register(stop)  # in case pytest exits without tearing its fixtures down
        try:
            yield info
        finally:
            atexit.unregister(stop)
            stop_stack(info)


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP (a CI job cancelled, a terminal closed) end the session like Ctrl-C does, so pytest
    tears the fixtures down and the stack is stopped; without this the default action kills the process and
    leaves PostgreSQL and moto running. Handlers someone else installed are left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    ours = [sig for sig in (signal.SIGTERM, signal.SIGHUP) if signal.getsignal(sig) == signal.SIG_DFL]
    for sig in ours:
        signal.signal(sig, interrupt)
    try:
        yield
    finally:
        for sig in ours:
            if signal.getsignal(sig) is interrupt:
                signal.signal(sig, signal.SIG_DFL)
