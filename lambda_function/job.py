"""One object being ingested, the invocation it runs in, and that invocation's time budget.

Every stage below needs to know which object it works on, with which contract, settings and clients, and
how much time is left: a load that cannot finish in time stops, rolls back and reports FAILED, naming the
budget and the observed throughput (being killed half-way by Lambda's timeout would leave the retry to
fail the same way).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .config import Settings
from .contract import Contract
from .contract.fingerprint import contract_fingerprint
from .errors import FileRejected
from .outcome.message import Outcome, Status, message_body
from .reading.objects import ObjectRef

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class DeadlineExceeded(Exception):
    """The load cannot finish within the invocation's remaining time (with the safety margin)."""


class Deadline:
    def __init__(self, remaining_ms: Callable[[], int] | None, margin_ms: int) -> None:
        self._remaining = remaining_ms
        self.margin_ms = margin_ms

    def remaining_ms(self) -> float:
        return float(self._remaining()) if self._remaining else float("inf")

    def statement_budget_ms(self, margin_ms: int) -> float:
        """A server-side statement_timeout that fires before Lambda would kill us (0 = none)."""
        left = self.remaining_ms()
        return 0 if left == float("inf") else max(1000.0, left - margin_ms / 2)

    def explain(self, what: str) -> str:
        return f"cannot load within the invocation's remaining time: {what}"

    def track(self, total_bytes: int | None) -> Progress:
        return Progress(self, total_bytes)


class Progress:
    """Counts bytes read and predicts whether the rest fits in the remaining time."""

    def __init__(self, deadline: Deadline, total_bytes: int | None) -> None:
        self._deadline = deadline
        self._total = total_bytes
        self._done = 0
        self._started = time.monotonic()

    def count(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self._done += len(chunk)
            yield chunk

    def check(self) -> None:
        left = self._deadline.remaining_ms() - self._deadline.margin_ms
        elapsed = time.monotonic() - self._started
        rate = self._done / elapsed if elapsed > 0 else 0.0
        if left <= 0:
            raise DeadlineExceeded(self._deadline.explain(
                f"{self._done:,} bytes read in {elapsed:.1f} s ({rate / 1e6:.1f} MB/s), "
                f"time left below the {self._deadline.margin_ms / 1000:.0f} s margin"))
        if self._total and elapsed > 1.0 and rate > 0:
            needed_ms = (self._total - self._done) / rate * 1000
            if needed_ms > left:
                raise DeadlineExceeded(self._deadline.explain(
                    f"{self._total:,} bytes at the observed {rate / 1e6:.1f} MB/s need about "
                    f"{(elapsed * 1000 + needed_ms) / 1000:.0f} s; {left / 1000 + elapsed:.0f} s were available"))


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

    @functools.cached_property
    def fingerprint(self) -> str | None:
        """The contract's fingerprint (ledger and message: `contract`); None when the key is not whitelisted."""
        return contract_fingerprint(self.contract) if self.contract else None

    def outcome(self, status: Status, **details: Any) -> Outcome:
        table, mode = (self.contract.table, self.contract.mode) if self.contract else (None, None)
        return Outcome(status, self.ref.bucket, self.ref.key, table, mode, version_id=self.ref.version_id,
                       etag=self.ref.etag, request_id=self.request_id, contract=self.fingerprint, **details)

    def body(self, outcome: Outcome) -> dict[str, Any]:
        outcome.duration_ms = int((time.monotonic() - self.started) * 1000)
        return message_body(outcome, max_errors=self.settings.max_errors_in_message,
                            redact=self.settings.redact_values)

    def failed(self, error: FileRejected) -> Outcome:
        return self.outcome(Status.FAILED, errors=error.errors, rows_rejected=error.rows_rejected,
                            error_count=error.error_count)
