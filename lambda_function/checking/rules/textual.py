"""text, varchar(n), char(n), boolean and uuid.

Text loads as written: any character the file's encoding defines, without NUL (the structure checks
refuse NUL). varchar(n) holds at most n characters and char(n) exactly n, so PostgreSQL neither
truncates (it silently cuts trailing spaces past n) nor pads. boolean accepts the column's spellings in
any case (default `true`/`false`), each one PostgreSQL's boolean input reads as that value; uuid the
canonical 8-4-4-4-12 hex form in any case.
"""

from __future__ import annotations

import uuid as uuid_module
from typing import Any

import numpy as np

from ...contract.pgtypes import PgType
from ..fields import Fields
from . import swar
from .base import Parsed, TypeRule

# What PostgreSQL's boolean input reads as true and as false (any case); a contract may choose among them.
TRUE_SPELLINGS = ("true", "t", "yes", "y", "on", "1")
FALSE_SPELLINGS = ("false", "f", "no", "n", "off", "0")


class TextRule(TypeRule):
    """Every text is a value; varchar/char lengths are constraints (see constraints.TypeLength)."""

    def __init__(self, pg: PgType) -> None:
        self.pg = pg
        self.summary = "" if pg.base == "text" else str(pg)

    def parse(self, fields: Fields) -> Parsed:
        return Parsed(np.ones(len(fields), dtype=bool))


def _spelling_words(spelling: str) -> tuple[np.uint64, np.uint64]:
    """(the spelling in lower case as a word, the bits that make an ASCII letter lower case at its letters)."""
    word = int.from_bytes(spelling.lower().encode("ascii"), "little")
    case = int.from_bytes(bytes(0x20 if c.isalpha() else 0 for c in spelling), "little")
    return np.uint64(word), np.uint64(case)


class BooleanRule(TypeRule):
    def __init__(self, true_values: tuple[str, ...] = ("true",), false_values: tuple[str, ...] = ("false",)) -> None:
        self.true_values, self.false_values = true_values, false_values
        words = [*true_values, *false_values]
        shown = " or ".join(["/".join(true_values), "/".join(false_values)])
        self.summary = f"{shown} (any case)"
        self._spellings = [(len(s), *_spelling_words(s), s in true_values) for s in words]
        self._lookup = {s.lower(): s in true_values for s in words}

    def parse(self, fields: Fields) -> Parsed:
        length = fields.lengths
        word = fields.word(0)
        ok = np.zeros(len(fields), dtype=bool)
        value = np.zeros(len(fields), dtype=np.int64)
        for size, lower, case, truth in self._spellings:
            hit = (length == size) & ((word | case) == lower)
            ok |= hit
            if truth:
                value[hit] = 1
        return Parsed(ok, value)

    def value(self, text: str) -> bool:
        return self._lookup[text.lower()]


class UuidRule(TypeRule):
    summary = "UUID (8-4-4-4-12 hex digits)"
    need_values = False  # set by rule_for when uniqueness asks for the 128 bits

    def parse(self, fields: Fields) -> Parsed:
        if not self.need_values:
            return Parsed(uuid_words(fields, bits=False)[0])
        ok, hi, lo = uuid_words(fields)
        return Parsed(ok, keys=(hi, lo))

    def keys(self, fields: Fields, parsed: Parsed, casefold: bool = False) -> tuple[np.ndarray, np.ndarray]:
        if parsed.keys is None:  # parsed without its bits: never the text's hash (case does not matter)
            _, hi, lo = uuid_words(fields)
            return hi, lo
        return parsed.keys

    def value(self, text: str) -> Any:
        return uuid_module.UUID(text)


# Hyphens at 8, 13, 18 and 23: bytes 0 and 5 of the second word, 2 and 7 of the third.
_HYPHENS = (0, swar.at(0) | swar.at(5), swar.at(2) | swar.at(7), 0, 0)
_LAST = swar.at(0) | swar.at(1) | swar.at(2) | swar.at(3)
_NIBBLES = np.uint64(0x0F0F0F0F0F0F0F0F)


def _packed(x: np.ndarray, hyphens: int | np.uint64) -> np.ndarray:
    """The hex digits of a word as nibbles, byte i's at nibble i (hyphen bytes give 0): 32 bits."""
    drop = np.uint64(int(hyphens)) * np.uint64(0xFF)
    nibble = ((x & _NIBBLES) + ((x >> np.uint64(6)) & np.uint64(0x0101010101010101)) * np.uint64(9)) & ~drop
    y = (nibble | (nibble >> np.uint64(4))) & np.uint64(0x00FF00FF00FF00FF)
    y = (y | (y >> np.uint64(8))) & np.uint64(0x0000FFFF0000FFFF)
    return (y | (y >> np.uint64(16))) & np.uint64(0xFFFFFFFF)


def uuid_words(fields: Fields, bits: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ok, high, low): canonical 8-4-4-4-12 hex UUIDs in any case, as 128 bits (equal exactly for equal UUIDs);
    without `bits`, only ok (high and low are empty)."""
    ok = (fields.lengths == 36).copy()
    if fields.escaped is not None:
        ok &= ~fields.escaped
    parts = []
    for k in range(5):
        w = fields.word(k)
        hyphens = _HYPHENS[k]
        want = (_LAST if k == 4 else swar.FLAGS) & ~np.uint64(hyphens)
        ok &= (swar.hex_digits(w) & want) == want
        if hyphens:
            ok &= (swar.equal(w, 45) & np.uint64(hyphens)) == np.uint64(hyphens)
        if bits:
            parts.append(_packed(w, hyphens))
    if not bits:
        return ok, np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.uint64)
    p0, p1, p2, p3, p4 = parts
    # the last group's four digits fill the four nibbles the hyphens left empty in the middle words
    p1 = p1 | (p4 & np.uint64(0xF)) | (((p4 >> np.uint64(4)) & np.uint64(0xF)) << np.uint64(20))
    p2 = p2 | (((p4 >> np.uint64(8)) & np.uint64(0xF)) << np.uint64(8)) | (((p4 >> np.uint64(12)) & np.uint64(0xF))
                                                                        << np.uint64(28))
    return ok, (p0 << np.uint64(32)) | p1, (p2 << np.uint64(32)) | p3
