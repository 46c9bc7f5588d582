"""The canonical event files in tests/events: realistic AWS (and emulator) shapes, read as Lambda receives them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"


def event_names() -> list[str]:
    """Every canonical event, by file stem (e.g. "s3_put", "sqs_sns_s3")."""
    return sorted(p.stem for p in EVENTS_DIR.glob("*.json"))


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of one event (tests may mutate it), e.g. load_event("eventbridge_object_created")."""
    path = EVENTS_DIR / f"{name.removesuffix('.json')}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def sqs_wrap(*payloads: dict[str, Any]) -> dict[str, Any]:
    """An SQS batch carrying each payload as one message body (what an S3 -> SQS -> Lambda pipeline sees)."""
    return {"Records": [
        {
            "messageId": f"msg-{i}",
            "receiptHandle": f"receipt-{i}",
            "body": json.dumps(payload),
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:ingest-events",
            "awsRegion": "eu-west-1",
        }
        for i, payload in enumerate(payloads, start=1)
    ]}
