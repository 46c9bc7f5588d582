"""The async-invocation emulation: context, environment, cold/warm, retries, timeout, destination."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from harness.emulator.runtime import FunctionConfig, LambdaRuntime

EVENT = {"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": "b"}, "object": {"key": "users.csv"}}}]}


def importable_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"function": context.function_name}


class FailingTimes:
    """Raises on the first `failures` calls, then answers; records what each call saw."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.request_ids: list[str] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.request_ids.append(context.aws_request_id)
        if len(self.request_ids) <= self.failures:
            raise ConnectionError(f"database unreachable (call {len(self.request_ids)})")
        return {"outcomes": [{"status": "SUCCEEDED"}]}


def _runtime(handler: Any, published: list[dict[str, Any]] | None = None, **config: Any) -> LambdaRuntime:
    sink = published if published is not None else []
    return LambdaRuntime(FunctionConfig(retry_delays_seconds=(0.0,), **config), handler, publish_failure=sink.append)


def test_context_carries_the_function_identity_and_remaining_time() -> None:
    seen: dict[str, Any] = {}

    def handler(event: dict[str, Any], context: Any) -> None:
        seen["first"] = context.get_remaining_time_in_millis()
        time.sleep(0.05)
        seen["later"] = context.get_remaining_time_in_millis()
        seen["context"] = context

    invocation = _runtime(handler, function_name="ingest", timeout_seconds=3, memory_limit_in_mb=512).invoke_async(
        EVENT
    )

    context = seen["context"]
    assert context.aws_request_id == invocation.request_id
    assert context.function_name == "ingest"
    assert context.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:ingest"
    assert context.memory_limit_in_mb == "512"  # a string in the real Python runtime too
    assert 2_900 <= seen["first"] <= 3_000
    assert seen["later"] <= seen["first"] - 40


def test_handler_sees_the_function_environment_only_while_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    seen: dict[str, str | None] = {}

    def handler(event: dict[str, Any], context: Any) -> None:
        seen["db"] = os.environ.get("DATABASE_URL")
        seen["name"] = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")

    _runtime(handler, environment={"DATABASE_URL": "postgresql+psycopg://x"}).invoke_async(EVENT)

    assert seen == {"db": "postgresql+psycopg://x", "name": "s3-csv-ingest"}
    assert "DATABASE_URL" not in os.environ


def test_first_invocation_is_cold_and_later_ones_reuse_the_loaded_handler() -> None:
    runtime = _runtime("tests.unit.harness.test_emulator_runtime.importable_handler")
    first, second = runtime.invoke_async(EVENT), runtime.invoke_async(EVENT)
    assert first.attempts[0].cold_start and not second.attempts[0].cold_start
    assert first.response == {"function": "s3-csv-ingest"}
    assert first.request_id != second.request_id


def test_a_transient_error_is_retried_under_the_same_request_id() -> None:
    handler, published = FailingTimes(1), []
    invocation = _runtime(handler, published).invoke_async(EVENT)

    assert invocation.succeeded
    assert [a.error_type for a in invocation.attempts] == ["ConnectionError", None]
    assert [a.cold_start for a in invocation.attempts] == [True, False]
    assert handler.request_ids == [invocation.request_id] * 2
    assert invocation.destination_record is None and published == []


def test_retries_exhausted_publish_an_on_failure_record_in_aws_format() -> None:
    handler, published = FailingTimes(5), []
    invocation = _runtime(handler, published).invoke_async(EVENT)

    assert not invocation.succeeded and len(handler.request_ids) == 3  # 1 + 2 retries
    assert published == [invocation.destination_record]
    record = published[0]
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    assert record["requestContext"] == {
        "requestId": invocation.request_id,
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:s3-csv-ingest:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == EVENT
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "ConnectionError"
    assert record["responsePayload"]["errorMessage"] == "database unreachable (call 3)"


@pytest.mark.parametrize("retries", [0, 1])
def test_retry_count_is_configurable(retries: int) -> None:
    handler = FailingTimes(5)
    invocation = _runtime(handler, maximum_retry_attempts=retries).invoke_async(EVENT)
    assert len(invocation.attempts) == retries + 1
    assert invocation.destination_record is not None
    assert invocation.destination_record["requestContext"]["approximateInvokeCount"] == retries + 1


def test_delays_between_attempts_follow_the_configuration() -> None:
    slept: list[float] = []
    runtime = LambdaRuntime(FunctionConfig(retry_delays_seconds=(0.1, 0.3)), FailingTimes(5), sleep=slept.append)
    runtime.invoke_async(EVENT)
    assert slept == [0.1, 0.3]


def test_more_than_two_retries_is_refused_as_in_aws() -> None:
    with pytest.raises(ValueError, match="0, 1 or 2"):
        FunctionConfig(maximum_retry_attempts=3)


def test_a_handler_past_its_timeout_fails_and_the_next_start_is_cold() -> None:
    calls: list[int] = []

    def slow_once(event: dict[str, Any], context: Any) -> str:
        calls.append(1)
        if len(calls) == 1:
            time.sleep(1.0)
        return "done"

    published: list[dict[str, Any]] = []
    runtime = _runtime(slow_once, published, timeout_seconds=0.2, maximum_retry_attempts=1)
    invocation = runtime.invoke_async(EVENT)

    assert invocation.succeeded
    assert invocation.attempts[0].error_type == "Sandbox.Timedout"
    assert "Task timed out after 0.20 seconds" in (invocation.attempts[0].error_message or "")
    assert invocation.attempts[1].cold_start  # the timed-out sandbox is not reused
