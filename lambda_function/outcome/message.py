"""The outcome of one S3 record and the SNS message that reports it (README: "Outcomes and notifications")."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import RowError

VALUE_CHARS = 80
SNS_MAX_BYTES = 256 * 1024
SUBJECT_MAX = 100


class Status(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"
    REJECTED = "REJECTED"
    SKIPPED = "SKIPPED"
    UNLOADED = "UNLOADED"  # the object was deleted and the rows it loaded removed (on_object_removed: unload)


@dataclass
class Outcome:
    status: Status
    bucket: str
    key: str
    table: str | None = None
    mode: str | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    reason: str | None = None
    version_id: str | None = None
    etag: str | None = None
    duration_ms: int = 0
    request_id: str = ""
    contract: str | None = None  # the fingerprint of the contract it was judged under (None: no contract)
    schema_changes: list[str] = field(default_factory=list)  # the statements the load applied to the table
    extra: dict[str, Any] = field(default_factory=dict)


def _shown_value(value: str | None, redact: bool) -> str | None:
    if value is None:
        return None
    if redact:
        return f"<redacted: {len(value)} characters>"
    return value if len(value) <= VALUE_CHARS else value[: VALUE_CHARS - 1] + "…"


def message_body(outcome: Outcome, *, max_errors: int, redact: bool) -> dict[str, Any]:
    """The JSON body: the documented fields first (README), then context. Errors capped, values cut or redacted."""
    shown = outcome.errors[:max_errors]
    total = max(outcome.error_count, len(outcome.errors))
    body: dict[str, Any] = {
        "status": outcome.status.value,
        "bucket": outcome.bucket,
        "key": outcome.key,
        "table": outcome.table,
        "mode": outcome.mode,
        "rows_loaded": outcome.rows_loaded,
        "rows_rejected": outcome.rows_rejected,
        "errors": [{"row": e.row, "column": _shown_value(e.column, False), "value": _shown_value(e.value, redact),
                    "rule": e.rule} for e in shown],
        "errors_truncated": total > len(shown),
        "error_count": total,
        "duration_ms": outcome.duration_ms,
        "request_id": outcome.request_id,
        "reason": outcome.reason,
        "version_id": outcome.version_id,
        "etag": outcome.etag,
        "contract": outcome.contract,
        "schema_changes": list(outcome.schema_changes),
    }
    body.update(outcome.extra)
    # Stay under SNS's 256 KB limit whatever the keys and values hold.
    while len(json.dumps(body).encode()) > SNS_MAX_BYTES - 4096 and len(body["errors"]) > 1:
        body["errors"] = body["errors"][: len(body["errors"]) // 2]
        body["errors_truncated"] = True
    return body


def _ascii(text: str) -> str:
    # SNS subjects must be ASCII without control characters.
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)


def subject(body: dict[str, Any]) -> str:
    """Short and human, e.g. "users.csv -> users: 1,000 rows loaded" (ASCII, at most 100 characters)."""
    name = body["key"].rsplit("/", 1)[-1]
    where = f"{name} -> {body['table']}" if body.get("table") else name
    status = body["status"]
    if status == Status.SUCCEEDED:
        what = f"{body['rows_loaded']:,} rows loaded"
        if body.get("replaced_loads"):  # replace_file: a new version of the key
            what += f", {body['rows_removed']:,} of the earlier version replaced"
    elif status == Status.UNLOADED:
        what = f"UNLOADED, {body['rows_removed']:,} rows removed"
    elif status == Status.PARTIAL:
        what = f"{body['rows_loaded']:,} rows loaded, {body['rows_rejected']:,} rejected"
    elif status == Status.FAILED:
        n = body["error_count"]
        first = body["errors"][0] if body["errors"] else None
        at = ""
        if first and first.get("row") is not None:
            at = f" (row {first['row']}" + (f", {first['column']})" if first.get("column") else ")")
        elif first and first.get("column"):
            at = f" ({first['column']})"
        what = f"FAILED, {n:,} error{'s' if n != 1 else ''}{at}"
    elif status == Status.REJECTED:
        what = "REJECTED, not a whitelisted file"
    else:
        what = "SKIPPED, " + (body.get("reason") or "already loaded")
    text = _ascii(f"{where}: {what}")
    if len(text) > SUBJECT_MAX:
        text = _ascii(f"{name[:40]}: {what}")[:SUBJECT_MAX]
    return text


def publish(sns: Any, topic_arn: str, body: dict[str, Any]) -> str:
    """One SNS message for one outcome; `status` and `table` as attributes so subscribers can filter."""
    attributes = {"status": {"DataType": "String", "StringValue": body["status"]}}
    if body.get("table"):
        attributes["table"] = {"DataType": "String", "StringValue": body["table"]}
    response = sns.publish(TopicArn=topic_arn, Subject=subject(body), Message=json.dumps(body),
                           MessageAttributes=attributes)
    return str(response.get("MessageId", ""))
