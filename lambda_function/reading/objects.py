"""Stream exactly the object an event names from S3, in chunks, never reading it whole.

With a version id the version is read; otherwise `IfMatch` on the event's ETag guarantees that a
newer overwrite is never loaded under an older event (PreconditionFailed -> the event is stale).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import ConfigurationError, FileRejected, RowError, StaleObject, TransientError

CHUNK_BYTES = 1024 * 1024
_GONE = {"NoSuchKey", "NoSuchVersion", "404", "NotFound"}
_STALE = {"PreconditionFailed", "412"}


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """An object as the event names it (key already URL-decoded)."""

    bucket: str
    key: str
    etag: str | None = None
    version_id: str | None = None
    sequencer: str | None = None
    size: int | None = None


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def translate(exc: Exception, what: str) -> Exception:
    """S3 trouble as our types: gone or overwritten -> StaleObject, 5xx/throttling/network -> TransientError."""
    if isinstance(exc, ClientError):
        code = _code(exc)
        if code in _STALE:
            return StaleObject("the object was overwritten after this event (ETag no longer matches)")
        if code in _GONE:
            return StaleObject("the object no longer exists")
        if _status(exc) >= 500 or code in {"SlowDown", "Throttling", "RequestTimeout", "InternalError"}:
            return TransientError(f"S3 {what} failed: {code}")
        return exc
    if isinstance(exc, BotoCoreError | ConnectionError | OSError):
        return TransientError(f"S3 {what} failed: {type(exc).__name__}")
    return exc


def resolve(s3: Any, ref: ObjectRef) -> ObjectRef:
    """Fill in the ETag with a HEAD when the event carried neither ETag nor version id."""
    if ref.etag or ref.version_id:
        return ref
    try:
        head = s3.head_object(Bucket=ref.bucket, Key=ref.key)
    except Exception as exc:
        raise translate(exc, "HEAD") from exc
    return ObjectRef(ref.bucket, ref.key, head["ETag"].strip('"'), head.get("VersionId") or None,
                     ref.sequencer, head.get("ContentLength"))


def current(s3: Any, ref: ObjectRef) -> dict[str, Any] | None:
    """HEAD of the key as it is now (its current version), or None when there is no object under it."""
    try:
        return dict(s3.head_object(Bucket=ref.bucket, Key=ref.key))
    except Exception as exc:
        if isinstance(exc, ClientError) and _code(exc) in _GONE:
            return None
        if isinstance(exc, ClientError) and _code(exc) in {"403", "AccessDenied", "Forbidden"}:
            raise ConfigurationError(f"HEAD {ref.key} was refused (403): the function needs s3:ListBucket on "
                                     f"{ref.bucket} to tell a deleted object (404) from a forbidden one") from exc
        raise translate(exc, "HEAD") from exc


def require_current(s3: Any, ref: ObjectRef) -> None:
    """StaleObject unless the event's version is the key's current one (replace_file: only the newest version of
    a key may own its rows; an older version's late event must not bring them back)."""
    head = current(s3, ref)
    if head is None:
        raise StaleObject("the object no longer exists")
    if ref.version_id and (head.get("VersionId") or None) != ref.version_id:
        raise StaleObject("a newer version of this key was uploaded after this event; its own event loads it")


def stream(s3: Any, ref: ObjectRef, max_bytes: int) -> Iterator[bytes]:
    """The object's bytes in chunks; raises StaleObject, TransientError or FileRejected (too large)."""
    if ref.size is not None and ref.size > max_bytes:
        raise _too_large(ref.size, max_bytes)
    params: dict[str, Any] = {"Bucket": ref.bucket, "Key": ref.key}
    if ref.version_id:
        params["VersionId"] = ref.version_id
    elif ref.etag:
        params["IfMatch"] = f'"{ref.etag.strip(chr(34))}"'
    try:
        response = s3.get_object(**params)
    except Exception as exc:
        raise translate(exc, "GET") from exc
    length = int(response.get("ContentLength") or 0)
    body = response["Body"]
    if length > max_bytes:
        body.close()
        raise _too_large(length, max_bytes)
    return _chunks(body)


def _chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    except Exception as exc:  # any failure mid-stream (reset, truncation, timeout) is worth a retry
        translated = translate(exc, "read")
        if translated is exc:
            translated = TransientError(f"S3 read failed: {type(exc).__name__}")
        raise translated from exc
    finally:
        body.close()


def _too_large(size: int, limit: int) -> FileRejected:
    # not final: the verdict rests on a setting, and a redelivery after raising it is judged again
    return FileRejected([RowError(None, None, str(size), f"object size at most {limit:,} bytes (MAX_OBJECT_BYTES)")],
                        final=False)
