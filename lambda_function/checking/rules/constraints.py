"""Constraints a contract puts on values its type accepted: bounds, lengths, pattern, enum, email format."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ...contract.pgtypes import PgType
from .base import Clock, Constraint, Parsed, TypeRule
from .vector import Values, codepoints, fullmatch, lengths, member_of

_EMAIL = re.compile(r"[^@\s]+@(?:[^@\s.]+\.)+[^\W\d_]{2,}")
EMAIL_MAX = 254
ENUM_SHOWN = 10


class Bound(Constraint):
    """minimum / maximum, compared in the type's own domain (exact for integers, decimals, days, instants)."""

    def __init__(self, type_rule: TypeRule, bound: Any, lower: bool, clock: Clock, temporal: bool) -> None:
        self.type, self.bound, self.lower, self.clock = type_rule, bound, lower, clock
        shown = type_rule.bound_text(bound)
        if temporal:
            self.message = f"not earlier than {shown}" if lower else f"not later than {shown}"
        else:
            self.message = f"≥ {shown}" if lower else f"≤ {shown}"

    def check(self, values: Values, parsed: Parsed) -> np.ndarray:
        compare = self.type.at_least if self.lower else self.type.at_most
        return compare(values, parsed, self.bound, self.clock)


class Length(Constraint):
    """min_length / max_length in characters (after trimming whitespace with trim: true)."""

    def __init__(self, low: int | None, high: int | None, trim: bool) -> None:
        self.low, self.high, self.trim = low, high, trim
        if low is not None and high is not None:
            words = f"{low}–{high} characters"
        elif low is not None:
            words = f"at least {low} character{'s' if low != 1 else ''}"
        else:
            words = f"at most {high} characters"
        self.message = words + (" after trimming" if trim else "")

    def check(self, values: Values, parsed: Parsed) -> np.ndarray:
        n = lengths(values, strip=self.trim)
        ok = np.ones(len(values), dtype=bool)
        if self.low is not None:
            ok &= n >= self.low
        if self.high is not None:
            ok &= n <= self.high
        return ok


class TypeLength(Constraint):
    """varchar(n): at most n characters; char(n): exactly n (PostgreSQL would cut or pad otherwise)."""

    def __init__(self, pg: PgType) -> None:
        self.exact = pg.base == "char"
        self.n = pg.length or 0
        self.message = f"exactly {self.n} characters ({pg})" if self.exact else f"at most {self.n} characters ({pg})"

    def check(self, values: Values, parsed: Parsed) -> np.ndarray:
        n = lengths(values)
        return np.asarray(n == self.n) if self.exact else np.asarray(n <= self.n)


_ONE_CLASS = re.compile(r"\[([A-Za-z0-9_. -]+)\](?:\{([0-9]+)(?:(,)([0-9]*))?\}|([+*?]))?")


def _one_class(pattern: str) -> tuple[list[tuple[int, int]], int, int | None] | None:
    """(ranges, min, max) when the pattern is one plain character class with a quantifier, e.g. [A-Z]{2}."""
    m = _ONE_CLASS.fullmatch(pattern)
    if m is None:
        return None
    body, low, comma, high, symbol = m.groups()
    ranges, i = [], 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            ranges.append((ord(body[i]), ord(body[i + 2])))
            i += 3
        else:
            ranges.append((ord(body[i]), ord(body[i])))
            i += 1
    if any(a > b for a, b in ranges):
        return None
    if low is not None:
        least = int(low)
        return ranges, least, (None if high == "" else int(high)) if comma else least
    return ranges, {"+": 1, "*": 0, "?": 0, None: 1}[symbol], {"?": 1, None: 1}.get(symbol)


class Pattern(Constraint):
    """A Python regular expression the whole value must match; one plain character class runs vectorised."""

    def __init__(self, pattern: str, message: str | None) -> None:
        self.regex = re.compile(pattern)
        self.message = message or f"matches the pattern {pattern}"
        self._class = _one_class(pattern)

    def check(self, values: Values, parsed: Parsed) -> np.ndarray:
        if self._class is None or not len(values):
            return fullmatch(self.regex, values)
        ranges, least, most = self._class
        n = lengths(values)
        width = (most if most is not None else int(n.max())) + 1
        cp = codepoints(values, width)[:, : width - 1]
        allowed = cp == 0
        for lo, hi in ranges:
            allowed |= (cp >= lo) & (cp <= hi)
        ok = np.all(allowed, axis=1) & (n >= least)
        return ok & (n <= most) if most is not None else ok


class Enum(Constraint):
    def __init__(self, allowed: tuple[str, ...]) -> None:
        self.allowed = frozenset(allowed)
        shown = ", ".join(allowed[:ENUM_SHOWN])
        more = f", … ({len(allowed)} values)" if len(allowed) > ENUM_SHOWN else ""
        self.message = f"one of: {shown}{more}"

    def check(self, values: Values, parsed: Parsed) -> np.ndarray:
        return member_of(values, self.allowed)


class Email(Constraint):
    message = "plausible email address (local@domain.tld)"

    def check(self, values: Values, parsed: Parsed) -> np.ndarray:
        return fullmatch(_EMAIL, values) & (lengths(values) <= EMAIL_MAX)
