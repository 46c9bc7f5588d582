"""Sets of code points as sorted, disjoint (low, high) ranges, and Python's regex categories.

The categories are what Python's `re` matches for a str pattern: `\\d` is str.isdecimal, `\\s`
str.isspace, `\\w` str.isalnum or '_' (numpy's string functions use the same Unicode database, and a
test holds them to Python's for every code point); with re.ASCII they are the ASCII classes.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import numpy as np

from .unicode_ranges import RANGES, UNIDATA_VERSION

CharSet = list[tuple[int, int]]
MAX_CODE = 0x10FFFF


def normalise(chars: CharSet) -> CharSet:
    """Sorted, merged ranges."""
    out: CharSet = []
    for low, high in sorted(chars):
        if out and low <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


def complement(chars: CharSet) -> CharSet:
    out: CharSet = []
    at = 0
    for low, high in normalise(chars):
        if low > at:
            out.append((at, low - 1))
        at = high + 1
    if at <= MAX_CODE:
        out.append((at, MAX_CODE))
    return out


_ASCII = {"DIGIT": [(48, 57)], "SPACE": [(9, 13), (32, 32)], "WORD": [(48, 57), (65, 90), (95, 95), (97, 122)]}


@cache
def _unicode(kind: str) -> tuple[tuple[int, int], ...]:
    if unicodedata.unidata_version == UNIDATA_VERSION:
        return RANGES[kind]
    return computed(kind)


def computed(kind: str) -> tuple[tuple[int, int], ...]:
    """The category from the running Python's Unicode database (numpy's string functions use it too)."""
    points = np.arange(MAX_CODE + 1, dtype=np.uint32)
    chars = points.view("<U1")
    if kind == "DIGIT":
        mask = np.char.isdecimal(chars)
    elif kind == "SPACE":
        mask = np.char.isspace(chars)
    else:
        mask = np.char.isalnum(chars) | (points == 95)
    edges = np.flatnonzero(np.diff(np.concatenate(([False], mask, [False])).astype(np.int8)))
    return tuple((int(a), int(b) - 1) for a, b in zip(edges[0::2], edges[1::2], strict=True))


def category(name: str, ascii_only: bool) -> CharSet:
    """CATEGORY_DIGIT, CATEGORY_NOT_SPACE, ... as code point ranges."""
    kind = name.removeprefix("CATEGORY_")
    negate = kind.startswith("NOT_")
    kind = kind.removeprefix("NOT_")
    if kind not in _ASCII:
        raise ValueError(name)
    chars = list(_ASCII[kind]) if ascii_only else list(_unicode(kind))
    return complement(chars) if negate else chars
