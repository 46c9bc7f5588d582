"""One object being ingested, and what every step needs to know about it and the invocation it runs in."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from .config import Settings
from .contract import Contract
from .deadline import Deadline
from .errors import FileRejected
from .extract import ObjectRef
from .outcome import Outcome, Status, message_body


@dataclass
class Clients:
    """What the pipeline talks to; passed in so the same code runs against moto, LocalStack or AWS."""

    s3: Any
    sns: Any
    engine: Engine


@dataclass
class Ingestion:
    """One object being ingested, and the invocation it runs in: what every step below needs."""

    ref: ObjectRef
    contract: Contract | None
    settings: Settings
    clients: Clients
    deadline: Deadline
    request_id: str
    started: float = field(default_factory=time.monotonic)

    @property
    def quarantine_bucket(self) -> str:
        """Where FAILED copies, reports and rejected records go (QUARANTINE_BUCKET, else the object's own)."""
        return self.settings.quarantine_bucket or self.ref.bucket

    def outcome(self, status: Status, **details: Any) -> Outcome:
        table, mode = (self.contract.table, self.contract.mode) if self.contract else (None, None)
        return Outcome(status, self.ref.bucket, self.ref.key, table, mode, version_id=self.ref.version_id,
                       etag=self.ref.etag, request_id=self.request_id, **details)

    def body(self, outcome: Outcome) -> dict[str, Any]:
        outcome.duration_ms = int((time.monotonic() - self.started) * 1000)
        return message_body(outcome, max_errors=self.settings.max_errors_in_message,
                            redact=self.settings.redact_values)

    def failed(self, error: FileRejected) -> Outcome:
        return self.outcome(Status.FAILED, errors=error.errors, rows_rejected=error.rows_rejected,
                            error_count=error.error_count)
