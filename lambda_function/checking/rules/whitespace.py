"""`trim: true` lengths: characters left after stripping what Python's str.strip() strips, read from the bytes.

Whitespace is str.isspace(): the ASCII blanks and controls 0x09-0x0D and 0x1C-0x1F, and in Unicode
U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000 (from the running Python's
Unicode database). Each end is peeled one whitespace character at a time, over the fields that still
start (or end) with one: three byte lookups per field and step, usually a single step.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ...reading.text_encodings import Encoding
from ..fields import Fields
from .unicode_sets import category


@cache
def whitespace(encoding: Encoding) -> tuple[bytes, ...]:
    """Every whitespace character as the encoding spells it (one byte each, or UTF-8 sequences)."""
    spelled = []
    for low, high in category("CATEGORY_SPACE", ascii_only=False):
        for code in range(low, high + 1):
            try:
                spelled.append(chr(code).encode(encoding.codec))
            except UnicodeEncodeError:
                continue
    return tuple(spelled)


@cache
def _tables(encoding: Encoding) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(one-byte table, two-byte table over b0*256+b1, sorted three-byte keys) of the whitespace spellings."""
    one = np.zeros(256, dtype=bool)
    two = np.zeros(65536, dtype=bool)
    three = []
    for space in whitespace(encoding):
        if len(space) == 1:
            one[space[0]] = True
        elif len(space) == 2:
            two[space[0] * 256 + space[1]] = True
        else:
            three.append((space[0] << 16) | (space[1] << 8) | space[2])
    return one, two, np.array(sorted(three), dtype=np.int64)


def _spaces_at(arr: np.ndarray, first: np.ndarray, left: np.ndarray, tables: tuple[np.ndarray, ...],
               from_end: bool) -> np.ndarray:
    """Bytes of the whitespace character starting at `first` (or ending just before it, from the end): 0 if none."""
    one, two, three = tables
    top = len(arr) - 1
    if from_end:
        b2, b1, b0 = (arr[np.clip(first - k, 0, top)].astype(np.int64) for k in (1, 2, 3))
        size = np.where((left >= 1) & one[b2], 1, 0)
        size = np.where((size == 0) & (left >= 2) & two[b1 * 256 + b2], 2, size)
        key = (b0 << 16) | (b1 << 8) | b2
    else:
        b0, b1, b2 = (arr[np.clip(first + k, 0, top)].astype(np.int64) for k in (0, 1, 2))
        size = np.where((left >= 1) & one[b0], 1, 0)
        size = np.where((size == 0) & (left >= 2) & two[b0 * 256 + b1], 2, size)
        key = (b0 << 16) | (b1 << 8) | b2
    if len(three):
        at = np.minimum(np.searchsorted(three, key), len(three) - 1)
        size = np.where((size == 0) & (left >= 3) & (three[at] == key), 3, size)
    return size


def stripped(fields: Fields) -> Fields:
    """The same fields without the whitespace at either end (what str.strip() removes)."""
    tables = _tables(fields.src.encoding)
    arr = fields.src.arr
    begin, end = fields.start.copy(), fields.stop.copy()
    for from_end in (False, True):
        active = np.flatnonzero(end > begin)
        while len(active):
            size = _spaces_at(arr, end[active] if from_end else begin[active], end[active] - begin[active],
                              tables, from_end)
            found = size > 0
            active, size = active[found], size[found]
            if from_end:
                end[active] -= size
            else:
                begin[active] += size
            active = active[end[active] > begin[active]]
    return Fields(fields.src, begin, end, fields.quoted, fields.escaped, fields.doubled, fields.column, fields.rows)


def stripped_chars(fields: Fields) -> np.ndarray:
    out = stripped(fields).chars()
    if fields.escaped is not None:  # a doubled quote: measured on the text
        for i in np.flatnonzero(fields.escaped):
            out[i] = len(fields.text(int(i)).strip())
    return out


def stripped_within(fields: Fields, low: int | None, high: int | None) -> np.ndarray:
    """low <= characters left after stripping <= high (counted only where the byte length leaves it open)."""
    ok = stripped(fields).chars_within(low, high)
    if fields.escaped is not None:
        for i in np.flatnonzero(fields.escaped):
            n = len(fields.text(int(i)).strip())
            ok[i] = (low is None or n >= low) and (high is None or n <= high)
    return ok
