"""Lambda's asynchronous invocation, emulated in-process around a handler callable.

What it reproduces: the function's environment, a context object (request id, ARN, memory,
remaining time against a timeout), a cold start followed by warm reuse of the loaded handler,
up to two retries on error with (shortened) delays, and after the last failure an on-failure
destination record in AWS's format, published to a topic.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

Handler = Callable[[dict[str, Any], Any], Any]
DEFAULT_HANDLER = "lambda_function.lambda_handler"
ACCOUNT_ID = "123456789012"  # moto's default account


@dataclass(frozen=True)
class FunctionConfig:
    function_name: str = "s3-csv-ingest"
    region: str = "us-east-1"
    memory_limit_in_mb: int = 1024
    timeout_seconds: float = 300.0
    maximum_retry_attempts: int = 2  # AWS allows 0-2
    # AWS waits about 1 and 2 minutes between attempts; locally a fraction of a second will do.
    retry_delays_seconds: tuple[float, ...] = (0.2, 0.5)
    environment: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 <= self.maximum_retry_attempts <= 2:
            raise ValueError("maximum_retry_attempts must be 0, 1 or 2 (as in AWS)")
        if self.timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")

    @property
    def function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.function_name}"


class LambdaContext:
    """The attributes of the Python runtime's context object (memory size is a str there too)."""

    function_version = "$LATEST"
    identity = None
    client_context = None

    def __init__(self, config: FunctionConfig, request_id: str, deadline: float) -> None:
        self.aws_request_id = request_id
        self.function_name = config.function_name
        self.invoked_function_arn = config.function_arn
        self.memory_limit_in_mb = str(config.memory_limit_in_mb)
        self.log_group_name = f"/aws/lambda/{config.function_name}"
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self._deadline = deadline

    @classmethod
    def fresh(cls, timeout_seconds: float = 300.0) -> LambdaContext:
        """A context for one direct call of a handler (tests, scripts): a new request id, the clock running."""
        config = FunctionConfig(timeout_seconds=timeout_seconds)
        return cls(config, str(uuid.uuid4()), time.monotonic() + timeout_seconds)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class Attempt:
    number: int
    cold_start: bool
    duration_ms: float
    error_type: str | None = None
    error_message: str | None = None


@dataclass
class Invocation:
    request_id: str
    event: dict[str, Any]
    attempts: list[Attempt] = field(default_factory=list)
    response: Any = None
    destination_record: dict[str, Any] | None = None

    @property
    def succeeded(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].error_type is None


class FunctionTimeout(Exception):
    """The handler ran past the function's timeout (AWS reports it as Sandbox.Timedout)."""


class LambdaRuntime:
    """One function: keeps its loaded handler warm between invocations, like one sandbox would."""

    def __init__(
        self,
        config: FunctionConfig,
        handler: Handler | str = DEFAULT_HANDLER,
        *,
        publish_failure: Callable[[dict[str, Any]], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        log_stream: TextIO | None = None,
    ) -> None:
        self.config = config
        self._handler_spec = handler
        self._loaded: Handler | None = None
        self._publish_failure = publish_failure
        self._sleep = sleep
        # Where the function's own stdout (its logs, EMF metrics) goes: Lambda sends it to CloudWatch,
        # never to the invoker, so it must not mix with the harness's --json output. Default: stderr.
        self._log_stream = log_stream

    def invoke(self, event: dict[str, Any]) -> Invocation:
        """Run the event as a synchronous (RequestResponse) invocation, as an event source mapping does:
        one attempt, no retries, no destination; the caller decides what a failure means."""
        invocation = Invocation(request_id=str(uuid.uuid4()), event=event)
        attempt, response, _error = self._attempt(1, invocation.request_id, event)
        invocation.attempts.append(attempt)
        invocation.response = response
        return invocation

    def invoke_async(self, event: dict[str, Any]) -> Invocation:
        """Run the event as an asynchronous (Event) invocation: retries, then the failure destination."""
        invocation = Invocation(request_id=str(uuid.uuid4()), event=event)  # retries keep the id
        last_error: BaseException | None = None
        for number in range(1, self.config.maximum_retry_attempts + 2):
            if number > 1:
                delays = self.config.retry_delays_seconds or (0.0,)
                self._sleep(delays[min(number - 2, len(delays) - 1)])
            attempt, response, last_error = self._attempt(number, invocation.request_id, event)
            invocation.attempts.append(attempt)
            if last_error is None:
                invocation.response = response
                return invocation
        error = last_error or RuntimeError("no attempt was made")
        invocation.destination_record = self._failure_record(invocation, error)
        if self._publish_failure is not None:
            self._publish_failure(invocation.destination_record)
        return invocation

    def _attempt(
        self, number: int, request_id: str, event: dict[str, Any]
    ) -> tuple[Attempt, Any, BaseException | None]:
        started = time.monotonic()
        cold = self._loaded is None
        deadline = started + self.config.timeout_seconds
        try:
            logs = self._log_stream or sys.stderr
            with function_environment(self._function_environment()), _stdout_to(logs):
                handler = self._load()
                context = LambdaContext(self.config, request_id, deadline)
                response = self._run_with_timeout(handler, event, context)
        except Exception as exc:
            duration = (time.monotonic() - started) * 1000
            return Attempt(number, cold, duration, _error_type(exc), str(exc)), None, exc
        return Attempt(number, cold, (time.monotonic() - started) * 1000), response, None

    def _load(self) -> Handler:
        if self._loaded is None:  # cold start: import the module inside the function's environment
            spec = self._handler_spec
            self._loaded = _import_handler(spec) if isinstance(spec, str) else spec
        return self._loaded

    def _run_with_timeout(self, handler: Handler, event: dict[str, Any], context: LambdaContext) -> Any:
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["response"] = handler(event, context)
            except BaseException as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=run, name=f"lambda-{context.aws_request_id}", daemon=True)
        worker.start()
        worker.join(self.config.timeout_seconds)
        if worker.is_alive():
            # AWS freezes and discards the sandbox; the next invocation starts cold. A Python thread
            # cannot be killed, so it is abandoned (daemon) and the handler reloaded next time.
            self._loaded = None
            raise FunctionTimeout(f"Task timed out after {self.config.timeout_seconds:.2f} seconds")
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("response")

    def _function_environment(self) -> dict[str, str]:
        cfg = self.config
        return {
            "AWS_REGION": cfg.region,
            "AWS_DEFAULT_REGION": cfg.region,
            "AWS_LAMBDA_FUNCTION_NAME": cfg.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(cfg.memory_limit_in_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{cfg.function_name}",
            **cfg.environment,
        }

    def _failure_record(self, invocation: Invocation, error: BaseException) -> dict[str, Any]:
        """The record Lambda sends to an on-failure destination once retries are exhausted."""
        return {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "requestContext": {
                "requestId": invocation.request_id,
                "functionArn": f"{self.config.function_arn}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": len(invocation.attempts),
            },
            "requestPayload": invocation.event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {
                "errorType": _error_type(error),
                "errorMessage": str(error),
                "stackTrace": traceback.format_tb(error.__traceback__)[-5:],
            },
        }


def _error_type(exc: BaseException) -> str:
    return "Sandbox.Timedout" if isinstance(exc, FunctionTimeout) else type(exc).__name__


def _import_handler(spec: str) -> Handler:
    """`package.module.function` or `package.module:function`, like Lambda's handler setting."""
    module_name, _, attribute = spec.replace(":", ".").rpartition(".")
    if not module_name:
        raise ValueError(f"handler {spec!r} must name a module and a function")
    handler = getattr(importlib.import_module(module_name), attribute)
    if not callable(handler):
        raise TypeError(f"handler {spec!r} is not callable")
    return handler


@contextmanager
def _stdout_to(stream: TextIO) -> Iterator[None]:
    """Send the function's stdout to `stream`, as Lambda sends it to CloudWatch, not to the invoker.

    `print` looks sys.stdout up at call time; a logging handler created at import (Powertools binds
    sys.stdout then) writes to the process's file descriptor 1, so that is redirected too.
    """
    target_fd = _fileno(stream)
    for out in (sys.stdout, sys.__stdout__):
        if out is not None:
            out.flush()
    saved_fd = os.dup(1) if target_fd is not None and _fileno(sys.__stdout__) == 1 else None
    if saved_fd is not None and target_fd is not None:
        os.dup2(target_fd, 1)
    try:
        with contextlib.redirect_stdout(stream):
            yield
    finally:
        for out in (sys.stdout, sys.__stdout__, stream):
            if out is not None:
                out.flush()
        if saved_fd is not None:
            os.dup2(saved_fd, 1)
            os.close(saved_fd)


def _fileno(stream: TextIO | None) -> int | None:
    try:
        return stream.fileno() if stream is not None else None
    except (OSError, ValueError, AttributeError):  # io.StringIO and other in-memory streams
        return None


@contextmanager
def function_environment(values: Mapping[str, str]) -> Iterator[None]:
    """The function's variables for the duration of one attempt; the caller's are restored after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, previous in saved.items():
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous
