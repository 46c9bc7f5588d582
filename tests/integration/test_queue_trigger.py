"""The `queue` trigger emulation on real moto SQS and the production handler: batches, partial batch
responses, redelivery after the visibility timeout, the dead-letter queue after maxReceiveCount."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any
from urllib.parse import unquote_plus

from harness.emulator.queue_trigger import SqsEventSource
from harness.emulator.runtime import FunctionConfig, LambdaRuntime
from lambda_function import lambda_handler
from tests.support.client import IngestClient

USERS = b"user_id,email,full_name,country_code,signup_date,is_active\n1,a@b.co,A,GB,2020-01-01,true\n"
POISON = "poison/users.csv"
seen_receive_counts: list[str] = []


def handler_that_cannot_process_poison(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The production handler, except that messages naming POISON fail (as a message whose database write
    keeps failing would): they are reported in batchItemFailures, the rest is the real handler's answer."""
    poison = [r for r in event["Records"] if "poison" in r["body"]]  # the key is URL-encoded in the body
    seen_receive_counts.extend(r["attributes"]["ApproximateReceiveCount"] for r in poison)
    rest = [r for r in event["Records"] if r not in poison]
    result = lambda_handler({"Records": rest}, context) if rest else {"outcomes": [], "batchItemFailures": []}
    result["batchItemFailures"] += [{"itemIdentifier": r["messageId"]} for r in poison]
    return result


def test_partial_failures_come_back_after_the_visibility_timeout_then_go_to_the_dlq(client: IngestClient) -> None:
    stack = dataclasses.replace(client.stack, events_queue_url=client.events_queue, bucket=client.bucket)
    runtime = LambdaRuntime(FunctionConfig(timeout_seconds=60), handler_that_cannot_process_poison)
    source = SqsEventSource(stack, runtime, batch_size=10, max_receive_count=2, visibility_seconds=2)
    client.upload(POISON, USERS)
    client.upload("good/users.csv", USERS)
    client.sqs.send_message(QueueUrl=client.events_queue, MessageBody="not json at all")  # malformed: ignored
    time.sleep(0.5)

    first = source.poll_once()
    assert first is not None and len(first.message_ids) == 3
    statuses = [o["status"] for o in first.invocation.response["outcomes"]]
    assert statuses == ["SUCCEEDED"] and client.count("users") == 1
    assert len(first.failed_ids) == 1  # only the poison message; the malformed one was ignored and deleted

    assert source.poll_once(wait_seconds=0) is None  # invisible until the timeout
    time.sleep(2.2)
    second = source.poll_once()
    assert second is not None and second.failed_ids == second.message_ids
    time.sleep(2.2)
    assert source.poll_once() is None  # a third receive would exceed maxReceiveCount: SQS moved it
    (dead,) = source.dead_letters()
    assert unquote_plus(dead["Records"][0]["s3"]["object"]["key"]) == POISON
    assert seen_receive_counts == ["1", "2"]
    assert [m.body["status"] for m in client.messages()] == ["SUCCEEDED"]


def test_a_function_error_returns_the_whole_batch(client: IngestClient) -> None:
    def broken(event: dict[str, Any], context: Any) -> None:
        raise ConnectionError("database unreachable")

    stack = dataclasses.replace(client.stack, events_queue_url=client.events_queue, bucket=client.bucket)
    source = SqsEventSource(stack, LambdaRuntime(FunctionConfig(), broken), batch_size=10, visibility_seconds=1)
    client.upload("a/users.csv", USERS)
    client.upload("b/users.csv", USERS)
    time.sleep(0.5)
    result = source.poll_once()
    assert result is not None and sorted(result.failed_ids) == sorted(result.message_ids)
    time.sleep(1.2)
    again = client.sqs.receive_message(QueueUrl=client.events_queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    keys = sorted(unquote_plus(json.loads(m["Body"])["Records"][0]["s3"]["object"]["key"]) for m in again["Messages"])
    assert keys == ["a/users.csv", "b/users.csv"]


def test_watch_trigger_queue_through_the_cli(client: IngestClient, tmp_path) -> None:
    from typer.testing import CliRunner

    from harness import state
    from harness.cli import app

    lane = dataclasses.replace(client.stack, events_queue_url=client.events_queue, bucket=client.bucket,
                               topic_arn=client.topic_arn)
    state.save(lane, tmp_path)
    client.upload("q/users.csv", USERS)
    result = CliRunner().invoke(app, ["watch", "--trigger", "queue", "--batch-size", "10", "--max-events", "1",
                                      "--json", "--no-logs", "--state-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["succeeded"] and line["failed"] == [] and len(line["messages"]) == 1
    assert [o["status"] for o in line["response"]["outcomes"]] == ["SUCCEEDED"]
    assert line["response"]["batchItemFailures"] == []
    bad = CliRunner().invoke(app, ["watch", "--trigger", "sideways", "--state-dir", str(tmp_path)])
    assert bad.exit_code == 2
