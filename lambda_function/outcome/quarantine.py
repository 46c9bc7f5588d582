"""Quarantine: a FAILED object is copied (server-side) under QUARANTINE_PREFIX with its full error report;
a PARTIAL one leaves its rejected records there (`<key>.rejected.csv.quarantined`) with the report beside them.

Every data file written there ends in `.quarantined` (reports in `.errors.json`), which the bucket
notification's `.csv` / `.csv.gz` suffix filters never match: a quarantined copy triggers no invocation
at all (the handler also ignores keys under the prefix, in case a notification has no filter).

The SNS message caps its error list; the report holds every error the validator kept (up to
validate.MAX_ERRORS_KEPT), the outcome message and, for rejected records, each one's row in the
original file and in the rejected file, so a producer can fix them and upload them again.
Values are not redacted there: the report sits next to the file that holds the same values.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from typing import IO, Any

from ..checking.rejects import SPOOL_BYTES, RejectedRecords
from ..reading.objects import ObjectRef, translate
from .message import Outcome

QUARANTINED = ".quarantined"


def destination(prefix: str, ref: ObjectRef, now: datetime | None = None) -> tuple[str, str]:
    """(copy key, report key): prefix + UTC date + the object's version id or ETag + original key, and
    the report beside it. The middle part keeps two failed uploads of one key apart; a redelivery of
    the same object writes the same copy again."""
    day = (now or datetime.now(UTC)).strftime("%Y-%m-%d")
    tag = ref.version_id or (ref.etag or "").strip('"') or "unversioned"
    base = f"{prefix}{day}/{tag}/{ref.key}"
    return base + QUARANTINED, base + ".errors.json"


def store(s3: Any, ref: ObjectRef, bucket: str, prefix: str, outcome: Outcome, body: dict[str, Any]) -> str:
    """Copy the object into `bucket` and write its report; returns the report's s3:// URI (raises on S3 trouble)."""
    copy_key, report_key = destination(prefix, ref)
    uri = f"s3://{bucket}/{report_key}"
    body["error_report_uri"] = uri
    report = {
        "outcome": body,
        "error_count": max(outcome.error_count, len(outcome.errors)),
        "errors": [e.as_dict() for e in outcome.errors],
        "quarantined_object": f"s3://{bucket}/{copy_key}",
    }
    source: dict[str, str] = {"Bucket": ref.bucket, "Key": ref.key}
    if ref.version_id:
        source["VersionId"] = ref.version_id
    try:
        s3.copy(source, bucket, copy_key)  # managed copy: multipart above 5 GB, server-side
        s3.put_object(Bucket=bucket, Key=report_key, Body=json.dumps(report, ensure_ascii=False).encode(),
                      ContentType="application/json")
    except Exception as exc:
        raise translate(exc, "quarantine copy") from exc
    return uri


def store_rejects(s3: Any, ref: ObjectRef, bucket: str, prefix: str, outcome: Outcome, body: dict[str, Any],
                  rejected: RejectedRecords) -> None:
    """Write the rejected-rows file and its report (before the load commits: nothing may be lost).

    Adds `error_report_uri` and `rejected_rows_uri` to `body`; raises on S3 trouble (the load then rolls
    back and is retried; a retry writes the same keys again)."""
    copy_key, report_key = destination(prefix, ref)
    rejected_key = copy_key.removesuffix(QUARANTINED) + ".rejected.csv" + QUARANTINED
    body["error_report_uri"] = f"s3://{bucket}/{report_key}"
    body["rejected_rows_uri"] = f"s3://{bucket}/{rejected_key}"
    report: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b")  # noqa: SIM115
    try:
        head = {"outcome": body, "error_count": max(outcome.error_count, len(outcome.errors)),
                "errors": [e.as_dict() for e in outcome.errors], "rejected_rows": body["rejected_rows_uri"]}
        report.write(json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "rejected_records": [')
        for i, entry in enumerate(rejected.entries()):  # streamed: one line per record, however many
            report.write((b",\n" if i else b"\n") + json.dumps(entry, ensure_ascii=False).encode())
        report.write(b"\n]}")
        report.seek(0)
        s3.upload_fileobj(rejected.csv_file(), bucket, rejected_key, ExtraArgs={"ContentType": "text/csv"})
        s3.upload_fileobj(report, bucket, report_key, ExtraArgs={"ContentType": "application/json"})
    except Exception as exc:
        raise translate(exc, "rejected rows upload") from exc
    finally:
        report.close()
