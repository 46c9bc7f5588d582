"""What every column rule is made of: a type rule (does PostgreSQL read this text as a value of the type,
exactly?) and constraints on the value (bounds, lengths, pattern, enum, format).

Both work on whole blocks (numpy object arrays of str). A type rule's `parse` is sound and complete
for its type; constraints run only on the values the type accepted. `explain` of one value runs the
same block code on a one-element block, so it can never disagree with the check.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from .vector import Values, one


def today_utc() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True, slots=True)
class Clock:
    """"today" and "now" as one invocation sees them: a file straddling midnight is judged once."""

    today: date
    now: datetime  # aware, UTC

    @classmethod
    def at(cls, today: date | None = None, now: datetime | None = None) -> Clock:
        moment = now or datetime.now(UTC)
        return cls(today or moment.date(), moment)


@dataclass(slots=True)
class Parsed:
    """What a type rule found in a block: `ok` per value, and (for some types) exact uniqueness words."""

    ok: np.ndarray
    keys: tuple[np.ndarray, np.ndarray] | None = None
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # type-specific arrays (e.g. parsed integers)

    def subset(self, idx: np.ndarray) -> Parsed:
        keys = None if self.keys is None else (self.keys[0][idx], self.keys[1][idx])
        return Parsed(self.ok[idx], keys, {k: v[idx] for k, v in self.extra.items()})


def text_keys(values: Values, casefold: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Two independent 64-bit hashes of the text (a false duplicate would need a 128-bit collision)."""
    arr = values
    if casefold:
        arr = pd.Series(values, dtype=object).str.lower().to_numpy(dtype=object)
    return (pd.util.hash_array(arr, hash_key="ingest-unique-k1"),
            pd.util.hash_array(arr, hash_key="ingest-unique-k2"))


class TypeRule(ABC):
    """Which texts PostgreSQL reads as exactly one value of this type (stricter than its input functions)."""

    summary: str = ""

    @abstractmethod
    def parse(self, values: Values) -> Parsed: ...

    def explain(self, value: str) -> str:
        """Why a value the type refused is refused (called only for refused values)."""
        return self.summary

    def value(self, text: str) -> Any:
        """The value PostgreSQL reads from an accepted text, as Python sees it (tests compare it with the server)."""
        return text

    def keys(self, values: Values, parsed: Parsed, casefold: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Uniqueness words for accepted values: equal exactly when PostgreSQL reads equal values."""
        if parsed.keys is not None:
            return parsed.keys
        return text_keys(values, casefold)

    # Bounds: `ordinal` maps accepted values into a domain where a bound compares exactly.
    def ordinal(self, values: Values, parsed: Parsed) -> np.ndarray:
        raise NotImplementedError

    def bound_ordinal(self, bound: Any, clock: Clock) -> Any:
        raise NotImplementedError

    def bound_text(self, bound: Any) -> str:
        return str(bound)

    def at_least(self, values: Values, parsed: Parsed, bound: Any, clock: Clock) -> np.ndarray:
        return np.asarray(self.ordinal(values, parsed) >= self.bound_ordinal(bound, clock))

    def at_most(self, values: Values, parsed: Parsed, bound: Any, clock: Clock) -> np.ndarray:
        return np.asarray(self.ordinal(values, parsed) <= self.bound_ordinal(bound, clock))


class Constraint(ABC):
    """A rule on values the type accepted; `message` names it (e.g. "≥ 1", "one of: a, b")."""

    message: str = ""

    @abstractmethod
    def check(self, values: Values, parsed: Parsed) -> np.ndarray: ...


class ColumnRule:
    """One column's whole rule: its type, then each constraint; empty fields are the caller's business."""

    def __init__(self, type_rule: TypeRule, constraints: list[Constraint], casefold: bool = False) -> None:
        self.type = type_rule
        self.constraints = constraints
        self.casefold = casefold
        self.summary = "; ".join([type_rule.summary, *(c.message for c in constraints)]).strip("; ")

    def check(self, values: Values) -> tuple[np.ndarray, Parsed]:
        """(ok, parsed) for non-empty values."""
        parsed = self.type.parse(values)
        ok = parsed.ok
        if not self.constraints:
            return ok, parsed
        ok = ok.copy()
        idx = None if ok.all() else np.flatnonzero(ok)
        sub_values, sub = (values, parsed) if idx is None else (values[idx], parsed.subset(idx))
        passed = np.ones(len(sub_values), dtype=bool)
        for constraint in self.constraints:
            passed &= constraint.check(sub_values, sub)
        if idx is None:
            ok = passed
        else:
            ok[idx] = passed
        return ok, parsed

    def explain(self, value: str) -> str | None:
        """The rule a non-empty value breaks (every constraint it breaks, joined), or None when it is valid."""
        block = one(value)
        parsed = self.type.parse(block)
        if not parsed.ok[0]:
            return self.type.explain(value) or self.type.summary
        broken = [c.message for c in self.constraints if not c.check(block, parsed)[0]]
        return "; ".join(broken) or None

    def keys(self, values: Values, parsed: Parsed) -> tuple[np.ndarray, np.ndarray]:
        return self.type.keys(values, parsed, self.casefold)
