"""The `ingest_lane` fixture's object: a test's own lane on a stack, with the verbs a test speaks.

`replay(path, key=None)` uploads a file, takes the real S3 event(s), invokes the handler as Lambda's
asynchronous invocation would and returns the outcome message the function published; `sql(query,
*params)` runs SQL in the lane's schema; `messages()` lists every message the lane's function
published. Everything lives in a `Lane` (own bucket, queues, topic, database schema), and keys get the
lane's own prefix, so tests never see each other's rows, events or messages, in any order.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from psycopg import sql as pgsql

from harness.emulator.replay import TRANSFER_CONFIG, parse_envelope
from harness.emulator.trigger import S3Notification, runtime_for
from harness.scenarios.lane import Lane
from harness.stack import StackInfo
from harness.stack.provision import drain_queue

EVENT_TIMEOUT_SECONDS = 20.0  # moto delivers within milliseconds; this only bounds a broken stack
MESSAGE_TIMEOUT_SECONDS = 10.0
DUPLICATE_SETTLE_SECONDS = 0.5  # moto announces a multipart upload twice: wait this long for the second event


class LaneError(RuntimeError):
    """The function could not be run for an upload (no S3 event, it raised, or it published nothing)."""


class IngestLane:
    def __init__(self, stack: StackInfo, name: str) -> None:
        self._lane = Lane(stack, name)
        self.stack = stack
        self.bucket = self._lane.bucket
        self.schema = self._lane.schema
        self.prefix = f"{self.schema}/"  # default keys: <prefix><file name>, so a key names its lane
        # The schema exists from the start, so `sql()` can prepare tables before the first load.
        with self._lane.engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        # The lane's topic: outcome messages and the on-failure record; short retry delays keep tests quick.
        lane_stack = replace(stack, topic_arn=self._lane.topic_arn)
        self._function = runtime_for(lane_stack, retries=2, retry_delays=(0.05, 0.1),
                                     extra_environment={"DB_SCHEMA": self.schema})
        self._published: list[dict[str, Any]] = []
        self._unclaimed: list[S3Notification] = []  # events for keys no replay has asked for yet

    def environment(self) -> dict[str, str]:
        """The function's environment in this lane (endpoint, credentials, DATABASE_URL, topic, DB_SCHEMA)."""
        return self._lane.environment()

    def replay(self, path: str | os.PathLike[str], key: str | None = None) -> dict[str, Any]:
        """Upload `path` as `key` (default: the lane's prefix + the file's name), run the function for each
        S3 event, and return the outcome message (the SNS body) of the first one."""
        source = Path(path)
        if not source.is_file():
            raise FileNotFoundError(f"lane.replay: {source} is not a file")
        key = f"{self.prefix}{source.name}" if key is None else key
        self._lane.s3.upload_file(str(source), self.bucket, key, Config=TRANSFER_CONFIG)
        multipart = source.stat().st_size >= TRANSFER_CONFIG.multipart_threshold
        request_ids = [self._invoke(event, key) for event in self._events_for(key, multipart)]
        self._collect(expect=len(request_ids))
        first = next((m for m in self._published if m.get("request_id") == request_ids[0]), None)
        if first is None:
            raise LaneError(f"the function handled {key!r} but published no outcome message within "
                            f"{MESSAGE_TIMEOUT_SECONDS:.0f} s")
        return first

    def messages(self) -> list[dict[str, Any]]:
        """Every message the lane's function published so far (outcome bodies, and on-failure records), in order."""
        self._collect(expect=0)
        return list(self._published)

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run one statement in the lane's schema (then `public`) and commit; the rows, or [] when it returns none.

        Placeholders are psycopg's `%s`; without params the query is sent as written (a literal `%` is fine).
        """
        with self._lane.engine.begin() as conn:
            cursor = conn.connection.cursor()
            cursor.execute(pgsql.SQL("SET LOCAL search_path TO {}, public").format(pgsql.Identifier(self.schema)))
            cursor.execute(query, params or None)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []

    def close(self) -> None:
        """Drop the schema, delete the bucket, queues and topic: nothing of the lane stays on the stack."""
        self._lane.close()

    # -- internals ---------------------------------------------------------------------------

    def _events_for(self, key: str, multipart: bool) -> list[S3Notification]:
        taken = [n for n in self._unclaimed if key in n.keys]
        self._unclaimed = [n for n in self._unclaimed if key not in n.keys]
        deadline = time.monotonic() + EVENT_TIMEOUT_SECONDS
        while not taken and time.monotonic() < deadline:
            taken += self._receive_events(key, wait_seconds=1)
        if taken and multipart:
            time.sleep(DUPLICATE_SETTLE_SECONDS)
            taken += self._receive_events(key, wait_seconds=0)
        if not taken:
            raise LaneError(f"no S3 event arrived for {key!r} within {EVENT_TIMEOUT_SECONDS:.0f} s")
        return taken

    def _receive_events(self, key: str, wait_seconds: int) -> list[S3Notification]:
        mine: list[S3Notification] = []
        for message in drain_queue(self._lane.sqs, self._lane.events_url, wait_seconds=wait_seconds):
            notification = S3Notification(message["ReceiptHandle"], json.loads(message["Body"]))
            if notification.is_test_event:
                continue  # moto's s3:TestEvent when the notification was configured
            (mine if key in notification.keys else self._unclaimed).append(notification)
        return mine

    def _invoke(self, notification: S3Notification, key: str) -> str:
        invocation = self._function.invoke_async(notification.event)
        if not invocation.succeeded:
            last = invocation.attempts[-1]
            raise LaneError(f"the function raised on {key!r} in all {len(invocation.attempts)} attempts: "
                            f"{last.error_type}: {last.error_message} (its on-failure record is in lane.messages())")
        return invocation.request_id

    def _collect(self, expect: int) -> None:
        taken = drain_queue(self._lane.sqs, self._lane.capture_url, wait_seconds=1 if expect else 0,
                            expect=expect, timeout=MESSAGE_TIMEOUT_SECONDS)
        for message in taken:
            body = parse_envelope(message["Body"])["message"]
            self._published.append(body if isinstance(body, dict) else {"message": body})
