"""Quarantine: a FAILED object is copied (server-side) under QUARANTINE_PREFIX with its full error report.

The SNS message caps its error list; the report beside the copy holds every error the validator
kept (up to validate.MAX_ERRORS_KEPT) and the outcome message, so a producer can fix the whole file.
Values are not redacted there: the report sits next to the file that holds the same values.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from .extract import ObjectRef, translate
from .outcome import Outcome


def destination(prefix: str, ref: ObjectRef, now: datetime | None = None) -> tuple[str, str]:
    """(copy key, report key): prefix + UTC date + the object's version id or ETag + original key, and
    the report beside it. The middle part keeps two failed uploads of one key apart; a redelivery of
    the same object writes the same copy again."""
    day = (now or datetime.now(UTC)).strftime("%Y-%m-%d")
    tag = ref.version_id or (ref.etag or "").strip('"') or "unversioned"
    copy_key = f"{prefix}{day}/{tag}/{ref.key}"
    return copy_key, copy_key + ".errors.json"


def store(s3: Any, ref: ObjectRef, prefix: str, outcome: Outcome, body: dict[str, Any]) -> str:
    """Copy the object and write its report; returns the report's s3:// URI (raises on S3 trouble)."""
    copy_key, report_key = destination(prefix, ref)
    uri = f"s3://{ref.bucket}/{report_key}"
    body["error_report_uri"] = uri
    report = {
        "outcome": body,
        "error_count": max(outcome.error_count, len(outcome.errors)),
        "errors": [e.as_dict() for e in outcome.errors],
        "quarantined_object": f"s3://{ref.bucket}/{copy_key}",
    }
    source: dict[str, str] = {"Bucket": ref.bucket, "Key": ref.key}
    if ref.version_id:
        source["VersionId"] = ref.version_id
    try:
        s3.copy(source, ref.bucket, copy_key)  # managed copy: multipart above 5 GB, server-side
        s3.put_object(Bucket=ref.bucket, Key=report_key, Body=json.dumps(report, ensure_ascii=False).encode(),
                      ContentType="application/json")
    except Exception as exc:
        raise translate(exc, "quarantine copy") from exc
    return uri
