"""A scenario's own lane on a shared stack: bucket, event queue, topic, capture queue, DB schema.

Nothing is shared with other scenarios (or with whoever else uses the stack's own bucket), so
table states, events and messages never interfere. Closing the lane deletes what it created.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import time
import uuid
from typing import Any

import sqlalchemy as sa
from boto3.s3.transfer import TransferConfig

from harness.emulator.replay import parse_envelope
from harness.emulator.trigger import S3Notification
from harness.stack import StackInfo, stack_client
from harness.stack.provision import (
    allow_sender,
    create_bucket,
    create_queue,
    drain_queue,
    notify_events_queue,
    unloads_on_removal,
)

MULTIPART = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)


class Lane:
    def __init__(self, stack: StackInfo, name: str, *, removal_events: bool | None = None) -> None:
        """`removal_events`: the bucket also sends ObjectRemoved events (None: when a contract the stack's
        function reads unloads on removal)."""
        self.stack = stack
        tag = uuid.uuid4().hex[:8]
        slug = "".join(c if c.isalnum() else "-" for c in name.lower())[:30].strip("-")
        self.bucket = f"scn-{slug}-{tag}"
        self.schema = f"scn_{tag}"
        self.s3 = stack_client(stack, "s3")
        self.sqs = stack_client(stack, "sqs")
        self.sns = stack_client(stack, "sns")
        create_bucket(self.s3, self.bucket, stack.region)
        self.events_url, events_arn = create_queue(self.sqs, f"scn-events-{tag}")
        self.topic_arn = self.sns.create_topic(Name=f"scn-outcomes-{tag}")["TopicArn"]
        self.capture_url, capture_arn = create_queue(self.sqs, f"scn-capture-{tag}")
        allow_sender(self.sqs, self.events_url, events_arn, "s3.amazonaws.com", f"arn:aws:s3:::{self.bucket}")
        allow_sender(self.sqs, self.capture_url, capture_arn, "sns.amazonaws.com", self.topic_arn)
        self.sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=capture_arn)
        # No suffix filter: every key reaches the function, so non-whitelisted ones are REJECTED by it.
        if removal_events is None:
            removal_events = unloads_on_removal(stack.table_contracts)
        notify_events_queue(self.s3, self.bucket, events_arn, suffixes=None, removals=removal_events)
        self.engine = sa.create_engine(stack.database_url)
        self.unclaimed: list[S3Notification] = []  # events taken off the queue for another thread's key

    def environment(self) -> dict[str, str]:
        return {**self.stack.lambda_environment(), "SNS_TOPIC_ARN": self.topic_arn, "DB_SCHEMA": self.schema}

    # -- S3 and its events ------------------------------------------------------------------

    def delete(self, key: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=key)

    def put(self, key: str, data: bytes, multipart: bool) -> None:
        if multipart:
            self.s3.upload_fileobj(io.BytesIO(data), self.bucket, key, Config=MULTIPART)
        else:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)

    def events(self, wait_for: int = 1, timeout: float = 20.0, settle: float = 0.3) -> list[S3Notification]:
        """Every S3 event in the lane's queue: wait for `wait_for`, then `settle` seconds for extras."""
        taken = self._settled(self.events_url, wait_for, timeout, settle)
        return [S3Notification(m["ReceiptHandle"], json.loads(m["Body"])) for m in taken]

    def messages(self, expect: int = 0, settle: float = 0.2, timeout: float = 10.0) -> list[dict[str, Any]]:
        """SNS messages on the lane's topic, as `{subject, attributes, message}`.

        Waits up to `timeout` for `expect` of them, then `settle` seconds for any unexpected extra.
        """
        return [parse_envelope(m["Body"]) for m in self._settled(self.capture_url, expect, timeout, settle)]

    def _settled(self, url: str, expect: int, timeout: float, settle: float) -> list[dict[str, Any]]:
        taken = drain_queue(self.sqs, url, wait_seconds=1 if expect else 0, expect=expect, timeout=timeout)
        time.sleep(settle)  # S3 delivers at least once and moto reports multipart uploads twice: extras
        return taken + drain_queue(self.sqs, url)

    # -- database -----------------------------------------------------------------------------

    def count(self, table: str) -> int | None:
        with self.engine.connect() as conn:
            if not conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": f'"{self.schema}"."{table}"'}).scalar():
                return None
            sql = f'SELECT count(*) FROM "{self.schema}"."{table}"'  # noqa: S608 - our own identifiers
            return int(conn.execute(sa.text(sql)).scalar_one())

    def checksum(self, table: str) -> str:
        with self.engine.connect() as conn:
            if not conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": f'"{self.schema}"."{table}"'}).scalar():
                return "absent"
            relation = f'"{self.schema}"."{table}"'
            sql = f"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {relation} t"  # noqa: S608
            digest = conn.execute(sa.text(sql)).scalar()
        return hashlib.sha256(str(digest).encode()).hexdigest()

    def close(self) -> None:
        for action in (self._empty_bucket, self._drop_schema):
            try:
                action()
            except Exception:  # noqa: S112 - cleanup is best effort; the stack goes away anyway
                continue
        for url in (self.events_url, self.capture_url):
            try:
                self.sqs.delete_queue(QueueUrl=url)
            except Exception:  # noqa: S112
                continue
        with contextlib.suppress(Exception):
            self.sns.delete_topic(TopicArn=self.topic_arn)
        self.engine.dispose()

    def _empty_bucket(self) -> None:
        listed = self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])
        for obj in listed:
            self.s3.delete_object(Bucket=self.bucket, Key=obj["Key"])
        self.s3.delete_bucket(Bucket=self.bucket)

    def _drop_schema(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
