"""The SNS messages a stack captured, kept where a person can read them again (`harness messages`).

The topic's capture queue is read once (SQS deletes what it hands out), so whatever the harness takes
from it (`replay`, `messages`) is appended to `<state dir>/messages.jsonl`: the log is the
stack's history of notifications, and `harness messages` prints it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from harness.emulator.replay import parse_envelope
from harness.stack import StackInfo, stack_client
from harness.stack.provision import drain_queue

LOG_FILE = "messages.jsonl"


def drain(stack: StackInfo, wait_seconds: int = 0) -> list[dict[str, Any]]:
    """Every notification waiting on the capture queue (subject, attributes, message), removed from it."""
    taken = drain_queue(stack_client(stack, "sqs"), stack.notifications_queue_url, wait_seconds=wait_seconds)
    return [parse_envelope(m["Body"]) for m in taken]


def record(directory: Path, notifications: Iterable[dict[str, Any]]) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with (directory / LOG_FILE).open("a", encoding="utf-8") as log:
        for notification in notifications:
            log.write(json.dumps(notification, ensure_ascii=False, default=str) + "\n")


def recorded(directory: Path) -> Iterator[dict[str, Any]]:
    path = directory / LOG_FILE
    if not path.exists():
        return
    with path.open(encoding="utf-8") as log:
        for line in log:
            if line.strip():
                yield json.loads(line)


def status_of(notification: dict[str, Any]) -> str:
    """The outcome's status, or the on-failure record's condition (e.g. RetriesExhausted)."""
    status = notification.get("attributes", {}).get("status")
    message = notification.get("message")
    if not status and isinstance(message, dict):
        status = message.get("status") or message.get("requestContext", {}).get("condition")
    return str(status or "")
