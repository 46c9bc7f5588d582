"""`trim: true` lengths: characters left after stripping what Python's str.strip() strips, read from the bytes.

Whitespace is str.isspace(): the ASCII blanks and controls 0x09-0x0D and 0x1C-0x1F, and in Unicode
U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000 (from the running Python's
Unicode database). Each end is peeled one whitespace character at a time, over the fields whose first
(or last) byte can belong to one: usually a single vectorised look at each end.
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
def _edge_bytes(encoding: Encoding, last: bool) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    for space in whitespace(encoding):
        table[space[-1] if last else space[0]] = True
    return table


def stripped_chars(fields: Fields) -> np.ndarray:
    chars = fields.chars()
    encoding = fields.src.encoding
    spaces = whitespace(encoding)
    arr = fields.src.arr
    top = len(arr) - 1
    begin, end = fields.start.copy(), fields.stop.copy()
    removed = np.zeros(len(fields), dtype=np.int64)
    for from_end in (False, True):
        edge = _edge_bytes(encoding, from_end)
        active = np.flatnonzero(end > begin)
        while len(active):
            at = end[active] - 1 if from_end else begin[active]
            active = active[edge[arr[np.clip(at, 0, top)]]]
            if not len(active):
                break
            left = end[active] - begin[active]
            matched = np.zeros(len(active), dtype=np.int64)
            for space in spaces:
                size = len(space)
                base = end[active] - size if from_end else begin[active]
                hit = (left >= size) & (matched == 0)
                for j, byte in enumerate(space):
                    if not hit.any():
                        break
                    hit &= arr[np.clip(base + j, 0, top)] == byte
                matched[hit] = size
            found = matched > 0
            active, matched = active[found], matched[found]
            if from_end:
                end[active] -= matched
            else:
                begin[active] += matched
            removed[active] += 1
    out = chars - removed
    if fields.escaped is not None:  # a doubled quote: measured on the text
        for i in np.flatnonzero(fields.escaped):
            out[i] = len(fields.text(int(i)).strip())
    return out
