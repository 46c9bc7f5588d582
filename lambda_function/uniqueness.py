"""Uniqueness across a whole file, in memory proportional to 24 bytes a row (not to the text).

Each value becomes a 64-bit sort key plus a 64-bit check word: bigint values and UUID halves are
exact; case-folded emails are two independent 64-bit hashes (a false duplicate would need a
128-bit collision). Keys stay sorted so each block is checked with a binary search.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .rules import bigint_values, uuid_values
from .tables import ColumnSpec

_MIX = np.uint64(0x9E3779B97F4A7C15)


def column_keys(column: ColumnSpec, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(key, check) words for a column's values (only called on values that passed their rule)."""
    if column.kind == "positive_bigint":
        _, v = bigint_values(values)
        u = v.view(np.uint64)
        return u, u
    if column.kind == "uuid":
        _, hi, lo = uuid_values(values)
        with np.errstate(over="ignore"):
            return hi ^ (lo * _MIX), lo
    text = pd.Series(values, dtype=object)
    if column.unique == "casefold":
        text = text.str.lower()
    arr = text.to_numpy(dtype=object)
    return (pd.util.hash_array(arr, hash_key="ingest-unique-k1"),
            pd.util.hash_array(arr, hash_key="ingest-unique-k2"))


class UniqueTracker:
    """Remembers every key seen so far and reports (row, first_row) for each repeat."""

    def __init__(self) -> None:
        self._keys = np.empty(0, dtype=np.uint64)
        self._checks = np.empty(0, dtype=np.uint64)
        self._rows = np.empty(0, dtype=np.int64)

    def add(self, keys: np.ndarray, checks: np.ndarray, rows: np.ndarray) -> list[tuple[int, int]]:
        order = np.argsort(keys, kind="stable")
        keys, checks, rows = keys[order], checks[order], rows[order]
        repeats: list[tuple[int, int]] = []
        # within the block: equal neighbours after sorting
        same = np.flatnonzero((keys[1:] == keys[:-1]) & (checks[1:] == checks[:-1]))
        for i in same:
            j = i
            while j > 0 and keys[j - 1] == keys[i] and checks[j - 1] == checks[i]:
                j -= 1
            repeats.append((int(rows[i + 1]), int(rows[j])))
        # against earlier blocks
        lo = np.searchsorted(self._keys, keys, side="left")
        hi = np.searchsorted(self._keys, keys, side="right")
        for i in np.flatnonzero(hi > lo):
            hits = np.flatnonzero(self._checks[lo[i]:hi[i]] == checks[i])
            if len(hits):
                repeats.append((int(rows[i]), int(self._rows[lo[i] + hits[0]])))
        merged = np.concatenate((self._keys, keys))
        merge_order = np.argsort(merged, kind="stable")  # two sorted runs: timsort merges in linear time
        self._keys = merged[merge_order]
        self._checks = np.concatenate((self._checks, checks))[merge_order]
        self._rows = np.concatenate((self._rows, rows))[merge_order]
        return sorted(set(repeats))

    def first_row_of(self, keys: np.ndarray, checks: np.ndarray) -> int | None:
        """The earliest row holding this single value, or None."""
        lo, hi = np.searchsorted(self._keys, keys[0], "left"), np.searchsorted(self._keys, keys[0], "right")
        rows = [int(self._rows[i]) for i in range(lo, hi) if self._checks[i] == checks[0]]
        return min(rows) if rows else None
