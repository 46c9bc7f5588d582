"""text, varchar(n), char(n), boolean and uuid.

Text loads as written: any Unicode without NUL (the block checks refuse NUL). varchar(n) holds at most
n characters and char(n) exactly n, so PostgreSQL neither truncates (it silently cuts trailing spaces
past n) nor pads. boolean is `true`/`false` in any case; uuid the canonical 8-4-4-4-12 hex form in any case.
"""

from __future__ import annotations

import uuid as uuid_module
from itertools import product
from typing import Any

import numpy as np

from ...contract.pgtypes import PgType
from .base import Parsed, TypeRule, text_keys
from .vector import Values, ascii_matrix, codepoints, is_digit, member_of

_BOOLEANS = frozenset("".join(p) for word in ("true", "false") for p in product(*((c, c.upper()) for c in word)))
_UUID_HYPHENS = [8, 13, 18, 23]
_UUID_HEX_COLS = [i for i in range(36) if i not in _UUID_HYPHENS]
_MIX = np.uint64(0x9E3779B97F4A7C15)


class TextRule(TypeRule):
    """Every text is a value; varchar/char lengths are constraints (see constraints.TypeLength)."""

    def __init__(self, pg: PgType) -> None:
        self.pg = pg
        self.summary = "" if pg.base == "text" else str(pg)

    def parse(self, values: Values) -> Parsed:
        return Parsed(np.ones(len(values), dtype=bool))


class BooleanRule(TypeRule):
    summary = "true or false (any case)"

    def parse(self, values: Values) -> Parsed:
        return Parsed(member_of(values, _BOOLEANS))

    def value(self, text: str) -> bool:
        return text.lower() == "true"

    def keys(self, values: Values, parsed: Parsed, casefold: bool = False) -> tuple[np.ndarray, np.ndarray]:
        return text_keys(values, casefold=True)


class UuidRule(TypeRule):
    summary = "UUID (8-4-4-4-12 hex digits)"

    def parse(self, values: Values) -> Parsed:
        ok, hi, lo = uuid_values(values)
        with np.errstate(over="ignore"):
            keys = (hi ^ (lo * _MIX), lo)
        return Parsed(ok, keys=keys)

    def value(self, text: str) -> Any:
        return uuid_module.UUID(text)


def uuid_values(values: Values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ok, high, low): canonical 8-4-4-4-12 hex UUIDs in any case, as two 64-bit halves."""
    c = ascii_matrix(values, 37)
    if c is None:  # a non-ASCII value is never a UUID; the exact path says which
        return _uuid_values_exact(values)
    h = c[:, _UUID_HEX_COLS]
    digit, lower = is_digit(h), (h | 32) - 97  # letters a-f -> 0..5 (uint8 wraps the rest high)
    ok = (c[:, 36] == 0) & np.all(c[:, _UUID_HYPHENS] == 45, axis=1) & np.all(digit | (lower <= 5), axis=1)
    nibble = (h & 15) + 9 * (h >> 6)  # '0'-'9' -> 0-9, 'a'-'f' and 'A'-'F' -> 10-15 (valid hex only)
    # two nibbles per byte, then the 16 bytes read as two big-endian 64-bit words (garbage where not ok)
    packed = np.ascontiguousarray((nibble[:, 0::2] << 4) | (nibble[:, 1::2] & 15))
    halves = packed.view(">u8").astype(np.uint64)
    return ok, np.ascontiguousarray(halves[:, 0]), np.ascontiguousarray(halves[:, 1])


def _uuid_values_exact(values: Values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cp = codepoints(values, 37)
    h = cp[:, _UUID_HEX_COLS].astype(np.int64)
    lower = h | 0x20
    digit = (h >= 48) & (h <= 57)
    letter = (lower >= 97) & (lower <= 102)
    ok = (cp[:, 36] == 0) & np.all(cp[:, _UUID_HYPHENS] == 45, axis=1) & np.all(digit | letter, axis=1)
    nibble = np.where(digit, h - 48, lower - 87).astype(np.uint64)
    hi = np.zeros(len(values), dtype=np.uint64)
    lo = np.zeros(len(values), dtype=np.uint64)
    for i in range(16):
        hi = (hi << np.uint64(4)) | nibble[:, i]
        lo = (lo << np.uint64(4)) | nibble[:, 16 + i]
    return ok, hi, lo

