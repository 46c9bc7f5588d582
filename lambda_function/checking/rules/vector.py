"""Whole-block numpy helpers the type rules share: character matrices, digit runs, calendar arithmetic."""

from __future__ import annotations

import re

import numpy as np

Values = np.ndarray  # 1-D object array of str

_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
PLUS, MINUS, DOT, ZERO = 43, 45, 46, 48


def one(value: str) -> Values:
    """A single value as a block, so scalar explanations run the very same code as the block checks."""
    return np.array([value], dtype=object)


def codepoints(values: Values, width: int) -> np.ndarray:
    """(n, width) code points; a string longer than width-1 shows a non-zero last column."""
    return values.astype(f"<U{width}").view(np.uint32).reshape(len(values), width)


def ascii_matrix(values: Values, width: int) -> np.ndarray | None:
    """(n, width) bytes, zero-padded (a longer value is cut: callers look at column width-1); None if not ASCII."""
    try:
        return values.astype(f"S{width}").view(np.uint8).reshape(len(values), width)
    except UnicodeEncodeError:
        return None


def is_digit(c: np.ndarray) -> np.ndarray:
    return (c >= 48) & (c <= 57)


def digits(cp: np.ndarray, cols: list[int]) -> np.ndarray:
    sub = cp[:, cols].astype(np.int64) - 48
    return np.all((sub >= 0) & (sub <= 9), axis=1)


def number(cp: np.ndarray, start: int, stop: int) -> np.ndarray:
    out = np.zeros(len(cp), dtype=np.int64)
    for i in range(start, stop):
        out = out * 10 + (cp[:, i].astype(np.int64) - 48)
    return out


def calendar_ok(cp: np.ndarray) -> np.ndarray:
    """YYYY-MM-DD at positions 0..9 is a real date (year 1..9999)."""
    shape = digits(cp, [0, 1, 2, 3, 5, 6, 8, 9]) & (cp[:, 4] == 45) & (cp[:, 7] == 45)
    y, m, d = number(cp, 0, 4), number(cp, 5, 7), number(cp, 8, 10)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    m_ok = (m >= 1) & (m <= 12)
    dim = _DAYS_IN_MONTH[np.where(m_ok, m, 0)] + ((m == 2) & leap)
    return shape & (y >= 1) & m_ok & (d >= 1) & (d <= dim)


def date_number(cp: np.ndarray) -> np.ndarray:
    """YYYYMMDD as one integer: orders like the dates themselves."""
    return number(cp, 0, 4) * 10_000 + number(cp, 5, 7) * 100 + number(cp, 8, 10)


def days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (Howard Hinnant's algorithm, vectorised)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def fullmatch(pattern: re.Pattern[str], values: Values) -> np.ndarray:
    match = pattern.fullmatch
    return np.fromiter((match(v) is not None for v in values), dtype=bool, count=len(values))


def lengths(values: Values, *, strip: bool = False) -> np.ndarray:
    if strip:
        return np.fromiter((len(v.strip()) for v in values), dtype=np.int64, count=len(values))
    return np.fromiter(map(len, values), dtype=np.int64, count=len(values))


def member_of(values: Values, allowed: frozenset[str]) -> np.ndarray:
    return np.fromiter((v in allowed for v in values), dtype=bool, count=len(values))
