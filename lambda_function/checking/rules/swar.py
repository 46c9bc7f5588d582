"""Byte tests on eight bytes of every field at once.

A field's bytes arrive as little-endian 64-bit words (first byte lowest, see fields.Fields.word). The
tests look at those words as bytes (a uint8 view: numpy compares 32 bytes per instruction) and answer
with a flag word per field: 0x01 in each byte that passes. Flag words combine with masks (`at`,
`low_bytes`) and reduce with `count` and `first`, never with a per-row loop.
"""

from __future__ import annotations

import numpy as np

ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
FLAGS = np.uint64(0x0101010101010101)  # every byte flagged
HIGH_BITS = np.uint64(0x8080808080808080)  # the bit every non-ASCII byte has


def rep(byte: int) -> np.uint64:
    """The byte in every byte of a word."""
    return np.uint64(byte * 0x0101010101010101)


def low_bytes(count: np.ndarray | int) -> np.ndarray:
    """A mask of the low `count` bytes (0 to 8) of a word: the bytes a field of that length fills."""
    return ALL >> (np.uint64(64) - np.uint64(8) * np.asarray(count, dtype=np.uint64))


def high_bytes(count: np.ndarray | int) -> np.ndarray:
    """A mask of the high `count` bytes (0 to 8): the bytes a right-aligned field of that length fills."""
    return ALL << (np.uint64(64) - np.uint64(8) * np.asarray(count, dtype=np.uint64))


def flags_of(mask: np.ndarray) -> np.ndarray:
    """A byte mask (0xFF per byte) as flags (0x01 per byte)."""
    return mask & FLAGS


def _flags(test: np.ndarray) -> np.ndarray:
    return test.view(np.uint64)


def equal(x: np.ndarray, byte: int) -> np.ndarray:
    """0x01 in each byte equal to `byte`."""
    return _flags(x.view(np.uint8) == byte)


def between(x: np.ndarray, low: int, high: int) -> np.ndarray:
    """0x01 in each byte from `low` to `high` (uint8 arithmetic wraps below `low`)."""
    return _flags((x.view(np.uint8) - np.uint8(low)) <= np.uint8(high - low))


def digits(x: np.ndarray) -> np.ndarray:
    return between(x, 48, 57)


def hex_digits(x: np.ndarray) -> np.ndarray:
    """0-9, a-f, A-F (| 0x20 folds exactly A-F onto a-f; digits are tested on the byte as it is)."""
    return digits(x) | between(x | rep(0x20), 97, 102)


def count(flags: np.ndarray) -> np.ndarray:
    """How many bytes are flagged."""
    return np.bitwise_count(flags).astype(np.int64)


def first(flags: np.ndarray) -> np.ndarray:
    """Index (0-7) of the lowest flagged byte; 8 when none is."""
    lowest = flags & (~flags + np.uint64(1))
    return np.where(flags == 0, 8, np.bitwise_count(lowest - np.uint64(1)).astype(np.int64) >> 3)


def at(*indices: int) -> np.uint64:
    """The flags of these bytes."""
    return np.uint64(sum(1 << (8 * i) for i in indices))


def fill(x: np.ndarray, keep: np.ndarray, byte: int) -> np.ndarray:
    """Bytes outside the mask `keep` replaced by `byte` (e.g. '0' before a right-aligned number)."""
    return (x & keep) | (rep(byte) & ~keep)


_P1, _P2, _P3 = np.uint64(2561), np.uint64(6553601), np.uint64(42949672960001)
_M1, _M2, _M3 = np.uint64(0x0F0F0F0F0F0F0F0F), np.uint64(0x00FF00FF00FF00FF), np.uint64(0x0000FFFF0000FFFF)


def eight_digits(x: np.ndarray) -> np.ndarray:
    """The number eight ASCII digits spell, most significant in the lowest byte (digits only!)."""
    x = ((x & _M1) * _P1) >> np.uint64(8)
    x = ((x & _M2) * _P2) >> np.uint64(16)
    return ((x & _M3) * _P3) >> np.uint64(32)


POW10 = np.array([10**i for i in range(20)], dtype=np.uint64)
