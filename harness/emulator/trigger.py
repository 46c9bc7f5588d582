"""S3 -> Lambda trigger: take real S3 notifications off the events queue and invoke the function.

The events are the ones S3 (the emulator) produced for real uploads, never synthesised here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import unquote_plus

from harness.emulator.runtime import DEFAULT_HANDLER, FunctionConfig, Handler, Invocation, LambdaRuntime
from harness.stack import StackInfo, stack_client


@dataclass(frozen=True)
class S3Notification:
    receipt_handle: str
    event: dict[str, Any]

    @property
    def keys(self) -> list[str]:
        return [unquote_plus(r["s3"]["object"]["key"]) for r in self.event.get("Records", []) if "s3" in r]

    @property
    def is_test_event(self) -> bool:
        return self.event.get("Event") == "s3:TestEvent"


def runtime_for(
    stack: StackInfo,
    handler: Handler | str = DEFAULT_HANDLER,
    *,
    timeout_seconds: float = 300.0,
    retries: int = 2,
    retry_delays: tuple[float, ...] = (0.2, 0.5),
    log_stream: TextIO | None = None,
    extra_environment: Mapping[str, str] | None = None,
) -> LambdaRuntime:
    """A runtime whose function environment points at the stack (plus `extra_environment`, e.g. DB_SCHEMA)
    and whose failures go to its topic."""
    config = FunctionConfig(
        region=stack.region,
        timeout_seconds=timeout_seconds,
        maximum_retry_attempts=retries,
        retry_delays_seconds=retry_delays,
        environment={**stack.lambda_environment(), **(extra_environment or {})},
    )
    sns = stack_client(stack, "sns")

    def publish_failure(record: dict[str, Any]) -> None:
        # The function's on-failure destination is the outcome topic itself, as in the harness's stack.
        sns.publish(TopicArn=stack.topic_arn, Message=json.dumps(record))

    return LambdaRuntime(config, handler, publish_failure=publish_failure, log_stream=log_stream)


class EventsQueue:
    def __init__(self, stack: StackInfo) -> None:
        self._sqs = stack_client(stack, "sqs")
        self._url = stack.events_queue_url

    def receive(self, wait_seconds: int = 1) -> list[S3Notification]:
        messages = self._sqs.receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds, VisibilityTimeout=60
        ).get("Messages", [])
        return [S3Notification(m["ReceiptHandle"], json.loads(m["Body"])) for m in messages]

    def done(self, notification: S3Notification) -> None:
        self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=notification.receipt_handle)

    def release(self, notification: S3Notification) -> None:
        """Not ours: make it visible again at once for whoever else is reading the queue."""
        self._sqs.change_message_visibility(
            QueueUrl=self._url, ReceiptHandle=notification.receipt_handle, VisibilityTimeout=0
        )

    def take_for_key(
        self, key: str, timeout_seconds: float = 20.0, settle_seconds: float = 0.5
    ) -> list[S3Notification]:
        """Every notification naming `key`: wait for the first, then `settle_seconds` for duplicates.

        S3 delivers at least once and moto sends two events for a multipart upload (Put and
        CompleteMultipartUpload); all of them go to the function, as they would in AWS.
        Notifications for other keys are released untouched.
        """
        taken: list[S3Notification] = []
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            for notification in self.receive(wait_seconds=0 if taken else 1):
                if notification.is_test_event:
                    self.done(notification)
                elif key in notification.keys:
                    if not taken:
                        deadline = time.monotonic() + settle_seconds
                    taken.append(notification)
                else:
                    self.release(notification)
            if taken:
                time.sleep(0.05)
        return taken


def trigger(runtime: LambdaRuntime, queue: EventsQueue, notification: S3Notification) -> Invocation:
    """Hand one S3 event to the function as an asynchronous invocation; the event is then consumed."""
    invocation = runtime.invoke_async(notification.event)
    queue.done(notification)  # Lambda owns an async event once accepted, failed or not
    return invocation


def watch(
    runtime: LambdaRuntime,
    queue: EventsQueue,
    on_invocation: Callable[[S3Notification, Invocation], None],
    *,
    max_events: int | None = None,
) -> int:
    """Invoke the function for every upload until interrupted (or `max_events`). Returns the count."""
    handled = 0
    while max_events is None or handled < max_events:
        for notification in queue.receive(wait_seconds=1):
            if notification.is_test_event:
                queue.done(notification)
            elif max_events is not None and handled >= max_events:
                queue.release(notification)  # beyond the limit: leave it for the next reader
            else:
                on_invocation(notification, trigger(runtime, queue, notification))
                handled += 1
    return handled
