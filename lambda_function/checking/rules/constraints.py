"""Constraints a contract puts on values its type accepted: bounds, lengths, pattern, enum, email format.

Lengths are counted in characters as PostgreSQL counts them; `trim` strips what Python's str.strip()
strips (Unicode whitespace, NBSP and U+3000 included). `pattern` and `format: email` run as a DFA over
the column's bytes (regex_dfa); `enum` compares the text as written, for every type.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ...contract.pgtypes import PgType
from ...reading.text_encodings import UTF8, Encoding
from ..fields import Fields
from .base import Clock, Constraint, Parsed, TypeRule
from .regex_dfa import compile_pattern
from .whitespace import stripped_within

EMAIL_PATTERN = r"[^@\s]+@(?:[^@\s.]+\.)+[^\W\d_]{2,}"
EMAIL_MAX = 254
ENUM_SHOWN = 10


class Bound(Constraint):
    """minimum / maximum, compared in the type's own domain (exact for integers, decimals, floats, days, instants)."""

    def __init__(self, type_rule: TypeRule, bound: Any, lower: bool, clock: Clock, temporal: bool) -> None:
        self.type, self.bound, self.lower, self.clock = type_rule, bound, lower, clock
        shown = type_rule.bound_text(bound)
        if temporal:
            self.message = f"not earlier than {shown}" if lower else f"not later than {shown}"
        else:
            self.message = f"≥ {shown}" if lower else f"≤ {shown}"

    def check(self, fields: Fields, parsed: Parsed) -> np.ndarray:
        compare = self.type.at_least if self.lower else self.type.at_most
        return compare(parsed, self.bound, self.clock)


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

    def check(self, fields: Fields, parsed: Parsed) -> np.ndarray:
        if self.trim:
            return stripped_within(fields, self.low, self.high)
        return fields.chars_within(self.low, self.high)


class TypeLength(Constraint):
    """varchar(n): at most n characters; char(n): exactly n (PostgreSQL would cut or pad otherwise)."""

    def __init__(self, pg: PgType) -> None:
        self.exact = pg.base == "char"
        self.n = pg.length or 0
        self.message = f"exactly {self.n} characters ({pg})" if self.exact else f"at most {self.n} characters ({pg})"

    def check(self, fields: Fields, parsed: Parsed) -> np.ndarray:
        return fields.chars_within(self.n if self.exact else None, self.n)


class Pattern(Constraint):
    """A Python regular expression the whole value must match: a DFA over the bytes, else `re` per value."""

    def __init__(self, pattern: str, message: str | None, encoding: Encoding = UTF8) -> None:
        self.regex = re.compile(pattern)
        self.message = message or f"matches the pattern {pattern}"
        self.dfa = compile_pattern(pattern, encoding)

    def check(self, fields: Fields, parsed: Parsed) -> np.ndarray:
        if self.dfa is None:
            return np.fromiter((self.regex.fullmatch(t) is not None for t in fields.texts()), dtype=bool,
                               count=len(fields))
        ok = self.dfa.fullmatch(fields)
        if fields.escaped is not None:  # a doubled quote: the text is not the bytes
            for i in np.flatnonzero(fields.escaped):
                ok[i] = self.regex.fullmatch(fields.text(int(i))) is not None
        return ok


class Email(Pattern):
    def __init__(self, encoding: Encoding = UTF8) -> None:
        super().__init__(EMAIL_PATTERN, "plausible email address (local@domain.tld)", encoding)

    def check(self, fields: Fields, parsed: Parsed) -> np.ndarray:
        return super().check(fields, parsed) & fields.chars_within(None, EMAIL_MAX)


class Enum(Constraint):
    """The text as written (quotes removed) is one of the listed values: compared byte for byte."""

    def __init__(self, allowed: tuple[str, ...], encoding: Encoding = UTF8) -> None:
        self.allowed = frozenset(allowed)
        shown = ", ".join(allowed[:ENUM_SHOWN])
        more = f", … ({len(allowed)} values)" if len(allowed) > ENUM_SHOWN else ""
        self.message = f"one of: {shown}{more}"
        encoded = []
        for value in allowed:
            try:
                encoded.append(value.encode(encoding.codec))
            except UnicodeEncodeError:
                continue  # a value the file's encoding cannot spell never matches
        self._encoded = encoded

    def check(self, fields: Fields, parsed: Parsed) -> np.ndarray:
        length = fields.lengths
        ok = np.zeros(len(fields), dtype=bool)
        words: dict[int, np.ndarray] = {}
        for value in self._encoded:
            hit = length == len(value)
            for k in range(-(-len(value) // 8)):
                if not hit.any():
                    break
                if k not in words:
                    words[k] = fields.word(k)
                want = np.uint64(int.from_bytes(value[8 * k: 8 * k + 8], "little"))
                hit &= words[k] == want
            ok |= hit
        if fields.escaped is not None:
            for i in np.flatnonzero(fields.escaped):
                ok[i] = fields.text(int(i)) in self.allowed
        return ok
