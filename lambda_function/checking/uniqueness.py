"""Uniqueness across a whole file, in memory proportional to 24 bytes a row (not to the text).

Each value becomes a 64-bit sort key plus a 64-bit check word (the column type decides: integers,
scaled decimals, days, instants, floats and UUIDs are exact; text is two independent keyed 64-bit hashes
of its bytes, so a false duplicate would need a 128-bit collision). Keys stay sorted so each block is
checked with a binary search.
"""

from __future__ import annotations

import os

import numpy as np

from .fields import Fields
from .rules import ColumnRule, Parsed, swar

_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xC2B2AE3D27D4EB4F)
_M1, _M2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)
# Per-process keys: which texts collide cannot be worked out in advance from the code.
_KEYS = np.frombuffer(os.urandom(8 * 18), dtype=np.uint64)
SHORT = 64  # bytes hashed together in one vectorised pass; longer values in a pass of their own


def _finish(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * _M1
    h = h ^ (h >> np.uint64(33))
    h = h * _M2
    return h ^ (h >> np.uint64(33))


def _hash_bytes(fields: Fields, casefold: bool) -> tuple[np.ndarray, np.ndarray]:
    """Two keyed hashes of each field's bytes (ASCII letters lowered first with casefold)."""
    length = fields.lengths.astype(np.uint64)
    h1 = np.full(len(fields), _KEYS[0], dtype=np.uint64) ^ length
    h2 = np.full(len(fields), _KEYS[1], dtype=np.uint64) ^ (length * _MIX)
    for k in range(-(-int(fields.lengths.max(initial=0)) // 8)):
        w = fields.word(k)
        if casefold:
            w = w | (swar.between(w, 65, 90) << np.uint64(5))  # A-Z -> a-z
        # only the words a field has: its hash must not depend on the longest field hashed beside it
        live = length > np.uint64(8 * k)
        h1 = np.where(live, _finish(h1 ^ w ^ _KEYS[2 + k % 8]), h1)
        h2 = np.where(live, _finish((h2 * _MIX) ^ w ^ _KEYS[10 + k % 8]), h2)
    return _finish(h1), _finish(h2 ^ _MIX2)


def text_keys(fields: Fields, casefold: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(key, check) of text: the same words for the same text (lower-cased as Python's str.lower() with casefold).

    Fields whose text is not their bytes (a doubled quote), or that need Unicode case folding (not ASCII),
    are hashed from their text, encoded as UTF-8 through the very same function."""
    n = len(fields)
    k1, k2 = np.zeros(n, dtype=np.uint64), np.zeros(n, dtype=np.uint64)
    slow = np.zeros(n, dtype=bool) if fields.escaped is None else fields.escaped.copy()
    if casefold and not fields.src.ascii:
        for k in range(-(-int(fields.lengths.max(initial=0)) // 8)):
            slow |= (fields.word(k) & swar.HIGH_BITS) != 0
    fast = ~slow
    for group in (fast & (fields.lengths <= SHORT), fast & (fields.lengths > SHORT)):
        idx = np.flatnonzero(group)
        if len(idx):
            k1[idx], k2[idx] = _hash_bytes(fields.take(idx), casefold)
    idx = np.flatnonzero(slow)
    if len(idx):
        texts = [t.lower() if casefold else t for t in fields.texts(idx)]
        k1[idx], k2[idx] = hash_texts(texts, casefold=False)
    return k1, k2


def hash_texts(texts: list[str], casefold: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """text_keys of plain strings (UTF-8): for values outside the fast path, and for tools."""
    return text_keys(Fields.of_texts(texts), casefold)


def column_keys(rule: ColumnRule, fields: Fields, parsed: Parsed | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(key, check) words for values that passed their rule; `parsed` is what the rule already computed
    for exactly these values, so a block's UUIDs or integers are parsed once, not again here."""
    return rule.keys(fields, parsed if parsed is not None else rule.type.parse(fields))


def combined_keys(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """One (key, check) pair for a composite key: each column's words mixed in turn (128 bits in all)."""
    key, check = parts[0][0].copy(), parts[0][1].copy()
    for k, c in parts[1:]:
        key = (key * _MIX) ^ k
        check = (check * _MIX2) ^ (c + _MIX)
    return key, check


def _value_order(keys: np.ndarray, checks: np.ndarray) -> np.ndarray:
    """Rows sorted by (key, check), equal values in their (ascending) row order: by the key alone unless two
    different values share a 64-bit key (then by both, which costs twice as much)."""
    order = np.argsort(keys, kind="stable")
    sorted_keys, sorted_checks = keys[order], checks[order]
    if ((sorted_keys[1:] == sorted_keys[:-1]) & (sorted_checks[1:] != sorted_checks[:-1])).any():
        return np.lexsort((checks, keys))
    return order


class UniqueTracker:
    """Remembers every key seen so far and reports (row, first_row) for each repeat.

    Keys live in a few sorted runs, oldest first (equal keys keep their arrival order inside a run).
    A new block becomes a run and runs of similar size are merged, as in a binary counter: each key
    is copied O(log n) times over the whole file instead of once per block into one ever larger array.
    """

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (keys, checks, rows), key-sorted

    def add(self, keys: np.ndarray, checks: np.ndarray, rows: np.ndarray) -> list[tuple[int, int]]:
        """(row, first_row) once for every row whose value was seen before (in this block or earlier)."""
        order = _value_order(keys, checks)
        keys, checks, rows = keys[order], checks[order], rows[order]
        n = len(keys)
        starts = np.ones(n, dtype=bool)
        starts[1:] = (keys[1:] != keys[:-1]) | (checks[1:] != checks[:-1])
        run_first = rows[np.flatnonzero(starts)][np.cumsum(starts) - 1]  # earliest row of each value here
        earlier = np.full(n, -1, dtype=np.int64)  # earliest row of the value in earlier blocks
        for run_keys, run_checks, run_rows in self._runs:  # oldest run first: its hit is the first row
            if not len(run_keys):
                continue
            lo = np.minimum(np.searchsorted(run_keys, keys, side="left"), len(run_keys) - 1)
            todo = np.flatnonzero((run_keys[lo] == keys) & (earlier < 0))
            if not len(todo):
                continue
            hi = np.searchsorted(run_keys, keys[todo], side="right")  # only for the keys found
            single = hi - lo[todo] == 1  # the usual case, vectorised
            match = todo[single][run_checks[lo[todo[single]]] == checks[todo[single]]]
            earlier[match] = run_rows[lo[match]]
            for i, end in zip(todo[~single], hi[~single], strict=True):  # equal 64-bit keys: rare
                hits = np.flatnonzero(run_checks[lo[i]:end] == checks[i])
                if len(hits):
                    earlier[i] = run_rows[lo[i] + hits[0]]
        repeat = (earlier >= 0) | ~starts
        first = np.where(earlier >= 0, earlier, run_first)
        self._runs.append((keys, checks, rows))
        self._merge_similar_runs()
        idx = np.flatnonzero(repeat)
        return sorted(zip(rows[idx].tolist(), first[idx].tolist(), strict=True))

    def _merge_similar_runs(self) -> None:
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= 2 * len(self._runs[-1][0]):
            newer, older = self._runs.pop(), self._runs.pop()
            at = np.searchsorted(older[0], newer[0], side="right")  # after equal older keys: arrival order
            self._runs.append((np.insert(older[0], at, newer[0]), np.insert(older[1], at, newer[1]),
                               np.insert(older[2], at, newer[2])))

    def first_row_of(self, keys: np.ndarray, checks: np.ndarray) -> int | None:
        """The earliest row holding this single value, or None."""
        rows = []
        for run_keys, run_checks, run_rows in self._runs:
            lo, hi = np.searchsorted(run_keys, keys[0], "left"), np.searchsorted(run_keys, keys[0], "right")
            rows += [int(run_rows[i]) for i in range(lo, hi) if run_checks[i] == checks[0]]
        return min(rows) if rows else None
