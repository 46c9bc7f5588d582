"""`harness replay`: upload a file, take its real S3 event(s), invoke the function, report."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from boto3.s3.transfer import TransferConfig

from harness.emulator.runtime import Invocation, LambdaRuntime
from harness.emulator.trigger import EventsQueue, trigger
from harness.stack import StackError, StackInfo, stack_client
from harness.stack.provision import NOTIFIED_SUFFIXES

# boto3's own default threshold: larger files go up as a multipart upload, as the AWS CLI does.
TRANSFER_CONFIG = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024)


@dataclass
class ReplayReport:
    key: str
    invocations: list[Invocation] = field(default_factory=list)
    table_rows: dict[str, int] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "invocations": [
                {
                    "request_id": inv.request_id,
                    "event_names": [r.get("eventName") for r in inv.event.get("Records", [])],
                    "succeeded": inv.succeeded,
                    "attempts": [vars(a) for a in inv.attempts],
                    "response": inv.response,
                    "destination_record": inv.destination_record,
                }
                for inv in self.invocations
            ],
            "table_rows": self.table_rows,
            "notifications": self.notifications,
        }


def upload(stack: StackInfo, path: Path, key: str, on_bytes: Callable[[int], None] | None = None) -> dict[str, Any]:
    s3 = stack_client(stack, "s3")
    s3.upload_file(str(path), stack.bucket, key, Config=TRANSFER_CONFIG, Callback=on_bytes)
    return dict(s3.head_object(Bucket=stack.bucket, Key=key))


def replay(
    stack: StackInfo,
    runtime: LambdaRuntime,
    path: Path,
    key: str,
    *,
    times: int = 1,
    on_bytes: Callable[[int], None] | None = None,
) -> ReplayReport:
    if not path.is_file():
        raise StackError(f"{path} is not a file")
    queue = EventsQueue(stack)
    report = ReplayReport(key=key)
    for _ in range(times):
        upload(stack, path, key, on_bytes)
        # The stack's notification filters name these suffixes: any other key cannot notify, so say so now.
        notifications = queue.take_for_key(key) if key.endswith(NOTIFIED_SUFFIXES) else []
        if not notifications:
            raise StackError(
                f"no S3 event arrived for {key!r}: only keys ending in .csv or .csv.gz notify the function"
            )
        report.invocations.extend(trigger(runtime, queue, n) for n in notifications)
    report.table_rows = count_rows(stack, _tables_of(report.invocations))
    report.notifications = capture_notifications(stack, key, {i.request_id for i in report.invocations})
    return report


def count_rows(stack: StackInfo, tables: list[str]) -> dict[str, int]:
    if not tables:
        return {}
    schema = os.environ.get("DB_SCHEMA", "public")
    engine = sa.create_engine(stack.database_url)
    counts: dict[str, int] = {}
    try:
        with engine.connect() as conn:
            for table in tables:
                quoted = sa.table(table, schema=schema)
                try:
                    counts[table] = int(conn.execute(sa.select(sa.func.count()).select_from(quoted)).scalar_one())
                except sa.exc.ProgrammingError:  # the table does not exist (yet)
                    conn.rollback()
    finally:
        engine.dispose()
    return counts


def capture_notifications(
    stack: StackInfo, key: str, request_ids: set[str], settle_seconds: float = 1.0
) -> list[dict[str, Any]]:
    """SNS messages about this key (or these requests) from the capture queue; others stay queued."""
    sqs = stack_client(stack, "sqs")
    url = stack.notifications_queue_url
    mine: list[dict[str, Any]] = []
    deadline = time.monotonic() + settle_seconds
    while True:
        wait = 1 if time.monotonic() < deadline else 0
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get("Messages", [])
        if not messages:
            return mine
        for message in messages:
            notification = parse_envelope(message["Body"])
            if _concerns(notification["message"], key, request_ids):
                mine.append(notification)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            else:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
        if time.monotonic() >= deadline:
            return mine


def parse_envelope(body: str) -> dict[str, Any]:
    envelope = json.loads(body)
    try:
        message: Any = json.loads(envelope.get("Message", ""))
    except ValueError:
        message = envelope.get("Message")
    attributes = {name: attr.get("Value") for name, attr in envelope.get("MessageAttributes", {}).items()}
    return {"subject": envelope.get("Subject"), "attributes": attributes, "message": message}


def _concerns(message: Any, key: str, request_ids: set[str]) -> bool:
    if not isinstance(message, dict):
        return False
    if message.get("key") == key or message.get("request_id") in request_ids:
        return True
    return message.get("requestContext", {}).get("requestId") in request_ids


def _tables_of(invocations: list[Invocation]) -> list[str]:
    tables: list[str] = []
    for invocation in invocations:
        response = invocation.response if isinstance(invocation.response, dict) else {}
        for outcome in response.get("outcomes", []):
            table = outcome.get("table") if isinstance(outcome, dict) else None
            if table and table not in tables:
                tables.append(table)
    return tables
