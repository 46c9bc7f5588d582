"""The `queue` trigger of template.yaml, emulated: S3 -> SQS -> Lambda through an event source mapping.

Like Lambda's poller it receives up to `batch_size` messages, invokes the function synchronously with
them as SQS records (the shape Lambda sends: messageId, receiptHandle, body, attributes with
ApproximateReceiveCount, eventSource `aws:sqs`, eventSourceARN), and then, with ReportBatchItemFailures:
deletes every message the response does not list in `batchItemFailures`; a listed one, or the whole
batch when the function raised or timed out, stays in the queue and comes back after the visibility
timeout. After `max_receive_count` receives SQS itself (moto's redrive policy) moves it to the
dead-letter queue, as in AWS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.emulator.runtime import Invocation, LambdaRuntime
from harness.stack import StackInfo, stack_client

# template.yaml's defaults, except the visibility timeout: AWS needs 6 x the function timeout, locally
# a few seconds keep redelivery observable.
BATCH_SIZE = 1
MAX_RECEIVE_COUNT = 5
VISIBILITY_SECONDS = 5


@dataclass
class BatchResult:
    invocation: Invocation
    message_ids: list[str]
    failed_ids: list[str] = field(default_factory=list)


class SqsEventSource:
    """An event source mapping from the stack's events queue (with a redrive policy to a DLQ) to a runtime."""

    def __init__(self, stack: StackInfo, runtime: LambdaRuntime, *, batch_size: int = BATCH_SIZE,
                 max_receive_count: int = MAX_RECEIVE_COUNT, visibility_seconds: int = VISIBILITY_SECONDS) -> None:
        if not 1 <= batch_size <= 10:
            raise ValueError("batch_size must be 1 to 10 (one SQS receive)")
        self._sqs = stack_client(stack, "sqs")
        self._runtime = runtime
        self.queue_url = stack.events_queue_url
        self.batch_size, self.visibility_seconds = batch_size, visibility_seconds
        self.queue_arn = self._arn(self.queue_url)
        name = self.queue_url.rstrip("/").rsplit("/", 1)[-1]
        self.dlq_url = self._sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        self._sqs.set_queue_attributes(QueueUrl=self.queue_url, Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": self._arn(self.dlq_url), "maxReceiveCount": str(max_receive_count)})})

    def _arn(self, url: str) -> str:
        attributes = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        return str(attributes["QueueArn"])

    def poll_once(self, wait_seconds: int = 1) -> BatchResult | None:
        """One receive and, when it brought messages, one invocation and its deletes."""
        messages = self._sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=self.batch_size, WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=self.visibility_seconds, AttributeNames=["All"]).get("Messages", [])
        if not messages:
            return None
        event = {"Records": [self._record(m) for m in messages]}
        invocation = self._runtime.invoke(event)
        ids = [m["MessageId"] for m in messages]
        failed = ids if not invocation.succeeded else _reported_failures(invocation.response, ids)
        for message in messages:
            if message["MessageId"] not in failed:
                self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return BatchResult(invocation, ids, failed)

    def run(self, on_batch: Callable[[BatchResult], None], *, max_batches: int | None = None) -> int:
        """Poll until interrupted (or `max_batches` invocations). Returns the number of invocations."""
        done = 0
        while max_batches is None or done < max_batches:
            result = self.poll_once()
            if result is not None:
                on_batch(result)
                done += 1
        return done

    def dead_letters(self) -> list[dict[str, Any]]:
        """The S3 events SQS moved to the dead-letter queue (received, so they stay until deleted)."""
        got = self._sqs.receive_message(QueueUrl=self.dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        return [json.loads(m["Body"]) for m in got.get("Messages", [])]

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = message.get("Attributes", {})
        return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"], "attributes": attributes, "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""), "eventSource": "aws:sqs",
                "eventSourceARN": self.queue_arn, "awsRegion": self.queue_arn.split(":")[3]}


def _reported_failures(response: Any, ids: list[str]) -> list[str]:
    """The ids in `batchItemFailures`; a response Lambda cannot read fails the whole batch, as in AWS."""
    if not isinstance(response, dict) or "batchItemFailures" not in response:
        return []
    failures = response["batchItemFailures"]
    if not isinstance(failures, list):
        return ids
    listed = [f.get("itemIdentifier") for f in failures if isinstance(f, dict)]
    return ids if any(i not in ids for i in listed) else [i for i in listed if isinstance(i, str)]
