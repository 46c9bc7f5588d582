"""What every column rule is made of: a type rule (does PostgreSQL read this text as a value of the type,
exactly?) and constraints on the value (bounds, lengths, pattern, enum, format).

Both work on a whole column of a block (fields.Fields: offsets into the block's bytes). A type rule's
`parse` is sound and complete for its type: a fast path decides the usual spellings on the bytes, and
the few values outside it (an exponent, a value longer than the fast path reads) are decided by the
exact rule on their text. Constraints run only on the values the type accepted. `explain` of one value
runs the same block code on a one-value block, so it can never disagree with the check.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from ...reading.text_encodings import UTF8, Encoding
from ..fields import Fields


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
    """What a type rule found in a column: `ok` per value, and what bounds and uniqueness need.

    `values`: the value in an ordered numeric domain where the type has one (integers, days, instants,
    scaled decimals, floats), valid where `ok`; `keys`: two 64-bit words per value, equal exactly when
    PostgreSQL reads equal values (None: the column rule derives them when asked).
    """

    ok: np.ndarray
    values: np.ndarray | None = None
    keys: tuple[np.ndarray, np.ndarray] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def subset(self, idx: np.ndarray) -> Parsed:
        keys = None if self.keys is None else (self.keys[0][idx], self.keys[1][idx])
        values = None if self.values is None else self.values[idx]
        return Parsed(self.ok[idx], values, keys, {k: v[idx] for k, v in self.extra.items()})


class TypeRule(ABC):
    """Which texts PostgreSQL reads as exactly one value of this type (stricter than its input functions)."""

    summary: str = ""

    @abstractmethod
    def parse(self, fields: Fields) -> Parsed: ...

    def accepts(self, texts: list[str]) -> np.ndarray:
        """The rule on plain strings (tools, tests): the same block code on a block made of them."""
        return self.parse(Fields.of_texts(texts)).ok

    def explain(self, value: str) -> str:
        """Why a value the type refused is refused (called only for refused values)."""
        return self.summary

    def value(self, text: str) -> Any:
        """The value PostgreSQL reads from an accepted text, as Python sees it (tests compare it with the server)."""
        return text

    def keys(self, fields: Fields, parsed: Parsed, casefold: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Uniqueness words for accepted values: equal exactly when PostgreSQL reads equal values."""
        if parsed.keys is not None:
            return parsed.keys
        if parsed.values is not None:
            words = np.ascontiguousarray(parsed.values).view(np.uint64)
            return words, words
        from ..uniqueness import text_keys  # the text hash lives with the tracker

        return text_keys(fields, casefold)

    # Bounds: `bound_value` maps a contract bound into the domain of `Parsed.values`.
    def bound_value(self, bound: Any, clock: Clock) -> Any:
        raise NotImplementedError

    def bound_text(self, bound: Any) -> str:
        return str(bound)

    def at_least(self, parsed: Parsed, bound: Any, clock: Clock) -> np.ndarray:
        assert parsed.values is not None  # noqa: S101 - every bounded type sets values
        return np.asarray(parsed.values >= self.bound_value(bound, clock))

    def at_most(self, parsed: Parsed, bound: Any, clock: Clock) -> np.ndarray:
        assert parsed.values is not None  # noqa: S101 - every bounded type sets values
        return np.asarray(parsed.values <= self.bound_value(bound, clock))


class Constraint(ABC):
    """A rule on values the type accepted; `message` names it (e.g. "≥ 1", "one of: a, b")."""

    message: str = ""

    @abstractmethod
    def check(self, fields: Fields, parsed: Parsed) -> np.ndarray: ...


class ColumnRule:
    """One column's whole rule: its type, then each constraint; missing values are the caller's business."""

    def __init__(self, type_rule: TypeRule, constraints: list[Constraint], casefold: bool = False,
                 encoding: Encoding = UTF8) -> None:
        self.type = type_rule
        self.constraints = constraints
        self.casefold = casefold
        self.encoding = encoding
        self.summary = "; ".join([type_rule.summary, *(c.message for c in constraints)]).strip("; ")

    def check(self, fields: Fields) -> tuple[np.ndarray, Parsed]:
        """(ok, parsed) for present values."""
        parsed = self.type.parse(fields)
        ok = parsed.ok
        if not self.constraints or not len(fields):
            return ok, parsed
        ok = ok.copy()
        idx = None if ok.all() else np.flatnonzero(ok)
        sub_fields, sub = (fields, parsed) if idx is None else (fields.take(idx), parsed.subset(idx))
        passed = np.ones(len(sub_fields), dtype=bool)
        for constraint in self.constraints:
            passed &= constraint.check(sub_fields, sub)
        if idx is None:
            ok = passed
        else:
            ok[idx] = passed
        return ok, parsed

    def explain(self, value: str) -> str | None:
        """The rule a present value breaks (every constraint it breaks, joined), or None when it is valid."""
        block = Fields.of_texts([value], self.encoding)
        parsed = self.type.parse(block)
        if not parsed.ok[0]:
            return self.type.explain(value) or self.type.summary
        broken = [c.message for c in self.constraints if not c.check(block, parsed)[0]]
        return "; ".join(broken) or None

    def keys(self, fields: Fields, parsed: Parsed) -> tuple[np.ndarray, np.ndarray]:
        return self.type.keys(fields, parsed, self.casefold)


def merge_exact(ok: np.ndarray, values: np.ndarray | None, rest: np.ndarray, fields: Fields,
                decide: Any) -> None:
    """Decide the values outside a fast path (`rest`) one by one: `decide(text)` -> (ok, value)."""
    for i in rest:
        good, value = decide(fields.text(int(i)))
        ok[i] = good
        if good and values is not None:
            values[i] = value
