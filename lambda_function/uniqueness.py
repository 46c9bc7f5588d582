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


def column_keys(column: ColumnSpec, values: np.ndarray,
                parsed: tuple[np.ndarray, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(key, check) words for a column's values (only called on values that passed their rule).

    `parsed` is what the column's rule already computed for these values (Rule.parse), so a block's
    UUIDs or integers are parsed once, not once for the rule and again here.
    """
    if column.kind == "positive_bigint":
        (v,) = parsed if parsed is not None else bigint_values(values)[1:]
        u = v.view(np.uint64)
        return u, u
    if column.kind == "uuid":
        hi, lo = parsed if parsed is not None else uuid_values(values)[1:]
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
        hi = np.searchsorted(self._keys, keys, side="right")
        held = np.flatnonzero(hi > 0)
        held = held[self._keys[hi[held] - 1] == keys[held]]  # key already seen: its run ends at hi
        for i in held:
            lo = int(np.searchsorted(self._keys, keys[i], side="left"))
            hits = np.flatnonzero(self._checks[lo:hi[i]] == checks[i])
            if len(hits):
                repeats.append((int(rows[i]), int(self._rows[lo + hits[0]])))
        # Insert after equal keys already held (earlier rows first): one new array per field, no
        # concatenated copy plus merge order, so the peak stays near 24 bytes a row.
        self._keys = np.insert(self._keys, hi, keys)
        self._checks = np.insert(self._checks, hi, checks)
        self._rows = np.insert(self._rows, hi, rows)
        return sorted(set(repeats))

    def first_row_of(self, keys: np.ndarray, checks: np.ndarray) -> int | None:
        """The earliest row holding this single value, or None."""
        lo, hi = np.searchsorted(self._keys, keys[0], "left"), np.searchsorted(self._keys, keys[0], "right")
        rows = [int(self._rows[i]) for i in range(lo, hi) if self._checks[i] == checks[0]]
        return min(rows) if rows else None
