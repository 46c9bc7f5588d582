"""Decode every accepted event shape into the S3 objects it names.

Shapes: S3 notification, the same wrapped in SQS, in SNS, in SNS inside SQS (fan-out), and
EventBridge "Object Created" (direct or inside SQS). `ObjectRemoved:*` records (EventBridge "Object
Deleted") become a `Removal`: the pipeline unloads the key's rows when its contract says so, and otherwise
ignores it like any other event type. Keys are URL-decoded with `unquote_plus`, which
reads AWS's (`a+b/c%2Bd`), moto's (`a+b%2Fc%2Bd`) and LocalStack's (`a%20b/c%2Bd`) encodings alike.
EventBridge keys are URL-encoded the same way by S3 (pinned by a test). Nothing relies on
`sequencer`, `userIdentity` or `eventVersion` being present.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from .reading.objects import ObjectRef


@dataclass(frozen=True, slots=True)
class Ignored:
    """A record that is logged and otherwise ignored: a test event, a removal, another event type."""

    reason: str


@dataclass(frozen=True, slots=True)
class Removal:
    """An object deleted from its key (`ObjectRemoved:*`): the key, and what the record says of the deletion."""

    ref: ObjectRef
    event: str  # e.g. ObjectRemoved:Delete, ObjectRemoved:DeleteMarkerCreated

    @property
    def key(self) -> str:
        return self.ref.key


Item = ObjectRef | Removal | Ignored


@dataclass(slots=True)
class Delivery:
    """What one delivery unit carries: the whole event, or one SQS message (retried on its own)."""

    message_id: str | None
    items: list[Item] = field(default_factory=list)


def decode(event: Any) -> tuple[list[Delivery], bool]:
    """(deliveries, from_sqs). SQS messages are separate deliveries so each can fail on its own."""
    if not isinstance(event, dict):
        return [Delivery(None, [Ignored("event is not a JSON object")])], False
    records = event.get("Records")
    if isinstance(records, list) and records and all(_is_sqs(r) for r in records):
        return [Delivery(str(r.get("messageId")), _guarded(_json(r.get("body")))) for r in records], True
    return [Delivery(None, _guarded(event))], False


def _guarded(payload: Any) -> list[Item]:
    """`_items`, with any shape it did not foresee ignored with the reason rather than raised."""
    try:
        return _items(payload)
    except Exception as exc:  # a malformed event must never crash the invocation
        return [Ignored(f"malformed record ({type(exc).__name__}: {exc})")]


def _is_sqs(record: Any) -> bool:
    return isinstance(record, dict) and record.get("eventSource") == "aws:sqs"


def _json(text: Any) -> Any:
    if isinstance(text, dict):
        return text
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def _items(payload: Any) -> list[Item]:
    if not isinstance(payload, dict):
        return [Ignored("payload is not a JSON object")]
    if payload.get("Type") == "Notification" and "Message" in payload:  # SNS envelope (SQS fan-out)
        return _items(_json(payload["Message"]))
    if payload.get("source") == "aws.s3" and "detail" in payload:
        return [_eventbridge(payload)]
    records = payload.get("Records")
    if not isinstance(records, list):
        if payload.get("Event") == "s3:TestEvent":
            return [Ignored("s3:TestEvent")]
        return [Ignored("no Records in event")]
    items: list[Item] = []
    for record in records:
        if not isinstance(record, dict):
            items.append(Ignored("record is not a JSON object"))
        elif "Sns" in record:
            sns = record["Sns"]
            items.extend(_items(_json(sns.get("Message"))) if isinstance(sns, dict)
                         else [Ignored("malformed SNS record: Sns is not an object")])
        elif "s3" in record:
            items.append(_s3_record(record))
        elif _is_sqs(record):
            items.extend(_items(_json(record.get("body"))))
        else:
            items.append(Ignored(f"unsupported record from {record.get('eventSource')!r}"))
    return items


def _s3_record(record: dict[str, Any]) -> Item:
    name = str(record.get("eventName", "")).removeprefix("s3:")
    if not name.startswith(("ObjectCreated:", "ObjectRemoved:")):
        return Ignored(f"{name or 'unnamed'} event")
    s3 = record["s3"]
    where = _location(s3, "object", "key")
    if isinstance(where, Ignored):
        return where
    bucket, key, obj = where
    ref = ObjectRef(
        bucket=bucket,
        key=key,
        etag=_etag(obj.get("eTag")),
        version_id=obj.get("versionId") or None,
        sequencer=obj.get("sequencer") or None,
        size=_size(obj.get("size")),
    )
    return Removal(ref, name) if name.startswith("ObjectRemoved:") else ref


def _eventbridge(event: dict[str, Any]) -> Item:
    kind = event.get("detail-type")
    if kind not in ("Object Created", "Object Deleted"):
        return Ignored(f"EventBridge {kind!r} event")
    where = _location(event["detail"], "object", "key")
    if isinstance(where, Ignored):
        return Ignored(f"EventBridge {where.reason}")
    bucket, key, obj = where
    ref = ObjectRef(
        bucket=bucket,
        key=key,
        etag=_etag(obj.get("etag")),
        version_id=obj.get("version-id") or None,
        sequencer=obj.get("sequencer") or None,
        size=_size(obj.get("size")),
    )
    if kind == "Object Deleted":  # deletion-type "Permanently Deleted" or "Delete Marker Created"
        marker = event["detail"].get("deletion-type") == "Delete Marker Created"
        return Removal(ref, "ObjectRemoved:DeleteMarkerCreated" if marker else "ObjectRemoved:Delete")
    return ref


def _location(part: Any, object_field: str, key_field: str) -> tuple[str, str, dict[str, Any]] | Ignored:
    """(bucket, decoded key, the object mapping) of an S3 record's `s3` or an EventBridge `detail`."""
    if not isinstance(part, dict):
        return Ignored("malformed record: no bucket/object mapping")
    bucket, obj = part.get("bucket"), part.get(object_field)
    name = bucket.get("name") if isinstance(bucket, dict) else None
    if not isinstance(name, str) or not name:
        return Ignored("malformed record: no bucket name")
    key = obj.get(key_field) if isinstance(obj, dict) else None
    if not isinstance(key, str) or not key:
        return Ignored(f"malformed record: no object key (got {type(key).__name__})")
    return name, unquote_plus(key), obj  # type: ignore[return-value]


def _etag(value: Any) -> str | None:
    return str(value).strip('"') or None if value else None


def _size(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
