"""A test client for the handler: upload, take the real S3 event, invoke, read back rows and messages.

Each client owns its bucket, event queue, topic, capture queue and database schema, so tests never
see each other's events, messages or tables while sharing one moto server and one PostgreSQL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import sqlalchemy as sa

import lambda_function
from harness.emulator.runtime import LambdaContext
from harness.scenarios.lane import Lane
from harness.stack import StackInfo, stack_client
from harness.stack.provision import drain_queue


def receive_bodies(stack: StackInfo, queue_url: str, expect: int, timeout: int = 10) -> list[dict[str, Any]]:
    """Take messages off a stack's queue until `expect` bodies arrived or about `timeout` seconds passed."""
    taken = drain_queue(stack_client(stack, "sqs"), queue_url, wait_seconds=1, expect=expect, timeout=timeout)
    return [json.loads(m["Body"]) for m in taken]


@dataclass
class Message:
    subject: str
    body: dict[str, Any]
    attributes: dict[str, str]


class IngestClient:
    """A test's own lane on the session stack (harness.scenarios.lane.Lane: bucket, queues, topic, schema) with
    the function's environment pointed at it, and the verbs tests speak: upload, ingest, invoke, messages."""

    def __init__(self, stack: StackInfo, monkeypatch: pytest.MonkeyPatch) -> None:
        self.stack = stack
        self.lane = Lane(stack, "test", removal_events=True)  # tests choose their contracts after the lane exists
        self.s3, self.sqs, self.sns, self.engine = self.lane.s3, self.lane.sqs, self.lane.sns, self.lane.engine
        self.bucket, self.schema, self.topic_arn = self.lane.bucket, self.lane.schema, self.lane.topic_arn
        self.events_queue, self.capture_queue = self.lane.events_url, self.lane.capture_url
        self._drain(self.events_queue)  # moto sends s3:TestEvent on configuration
        for name, value in self.lane.environment().items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("QUARANTINE_PREFIX", raising=False)  # tests that want it set it themselves

    # -- S3 and events --------------------------------------------------------------------

    def _drain(self, url: str, wait: float = 0.0) -> list[dict[str, Any]]:
        return drain_queue(self.sqs, url, wait_seconds=wait)

    def upload(self, key: str, data: bytes) -> dict[str, Any]:
        return self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)

    def delete(self, key: str) -> dict[str, Any]:
        return self.s3.delete_object(Bucket=self.bucket, Key=key)

    def removed(self, key: str) -> dict[str, Any]:
        """Delete the object, take the ObjectRemoved event moto delivered, invoke the handler; its result."""
        self.delete(key)
        (message,) = self.real_events()
        return self.invoke(json.loads(message["Body"]))

    def real_events(self, expect: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The S3 events moto delivered to our queue (as the SQS messages carrying them)."""
        return drain_queue(self.sqs, self.events_queue, wait_seconds=1, expect=expect, timeout=timeout)

    def s3_event(self, key: str, etag: str | None = None, *, encoding: str = "aws", version_id: str | None = None,
                 sequencer: str | None = None, event_name: str = "ObjectCreated:Put") -> dict[str, Any]:
        """An S3 notification as AWS (`a+b/c%2Bd`), moto (`a+b%2Fc%2Bd`) or LocalStack (`a%20b/c%2Bd`) encodes it."""
        encoded = {"aws": quote_plus(key, safe="/"), "moto": quote_plus(key), "localstack": quote(key, safe="/")}
        obj: dict[str, Any] = {"key": encoded[encoding], "size": 0}
        if etag:
            obj["eTag"] = etag.strip('"')
        if version_id:
            obj["versionId"] = version_id
        if sequencer:
            obj["sequencer"] = sequencer
        return {"Records": [{"eventSource": "aws:s3", "eventName": event_name, "awsRegion": "us-east-1",
                             "s3": {"bucket": {"name": self.bucket}, "object": obj}}]}

    def invoke(self, event: Any, context: LambdaContext | None = None) -> dict[str, Any]:
        return lambda_function.lambda_handler(event, context or LambdaContext.fresh())

    def ingest(self, key: str, data: bytes) -> dict[str, Any]:
        """Upload, take the real event moto produced, invoke the handler; the one outcome."""
        self.upload(key, data)
        (message,) = self.real_events()
        result = self.invoke(json.loads(message["Body"]))
        (outcome,) = result["outcomes"]
        return outcome

    def messages(self, wait: float = 1.0) -> list[Message]:
        out = []
        for m in self._drain(self.capture_queue, wait=wait):
            envelope = json.loads(m["Body"])
            attrs = {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}
            out.append(Message(envelope.get("Subject", ""), json.loads(envelope["Message"]), attrs))
        return out

    # -- database -------------------------------------------------------------------------

    def query(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.engine.begin() as conn:
            conn.execute(sa.text(f'SET LOCAL search_path TO "{self.schema}"'))
            return [tuple(r) for r in conn.execute(sa.text(sql), params)]

    def execute(self, *statements: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
            conn.execute(sa.text(f'SET LOCAL search_path TO "{self.schema}"'))
            for sql in statements:
                conn.execute(sa.text(sql))

    def count(self, table: str) -> int | None:
        """Rows in the table, None when it does not exist."""
        return self.lane.count(table)

    def checksum(self, table: str) -> str:
        """A digest of the whole table's content (order-independent), to prove 'unchanged'; "absent" if none."""
        return self.lane.checksum(table)

    def close(self) -> None:
        self.lane.close()
