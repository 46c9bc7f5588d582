"""The invocation's time budget: stop a load that cannot finish in time, roll back, report FAILED.

Being killed half-way by Lambda's timeout would leave the retry to fail the same way; a clear FAILED
that names the budget and the observed throughput tells the operator what to change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator


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
