"""Runs in a separate process (as each Lambda invocation does in AWS): set the environment, wait for
a common start time so the invocations really overlap, invoke the handler, report the result."""

from __future__ import annotations

import os
import time
import traceback
from typing import Any


def invoke_at(env: dict[str, str], event: dict[str, Any], start_at: float) -> dict[str, Any]:
    os.environ.update(env)
    from harness.emulator.runtime import LambdaContext
    from lambda_function import lambda_handler  # before the start line: cold start is not part of the race

    _import_what_the_first_invocation_loads()

    time.sleep(max(0.0, start_at - time.time()))
    try:
        return lambda_handler(event, LambdaContext.fresh())
    except Exception as exc:  # reported, not raised: the parent asserts on it
        return {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}


def invoke_when(env: dict[str, str], event: dict[str, Any], go_file: str, timeout: float = 120.0) -> dict[str, Any]:
    """Like `invoke_at`, but start when the parent creates `go_file` (it orders invocations by what it saw);
    `go_file`.ready tells the parent this worker has imported the handler and waits."""
    os.environ.update(env)
    from harness.emulator.runtime import LambdaContext
    from lambda_function import lambda_handler

    _import_what_the_first_invocation_loads()
    open(go_file + ".ready", "w").close()
    deadline = time.monotonic() + timeout
    while not os.path.exists(go_file) and time.monotonic() < deadline:
        time.sleep(0.005)
    try:
        return lambda_handler(event, LambdaContext.fresh())
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}


def _import_what_the_first_invocation_loads() -> None:
    """The handler imports boto3 and SQLAlchemy at its first invocation (a short import for the cold start):
    loaded here, before the start line, so that the race is between loads and not between imports."""
    import boto3  # noqa: F401
    import sqlalchemy  # noqa: F401
