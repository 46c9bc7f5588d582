"""The column rules of DESIGN, as vectorised checks plus a scalar explanation for failing values.

`check(values)` runs on a whole block (a numpy object array of str) and must be fast: it is on the
hot path for every row. `explain(value)` runs only on values that failed, to name the exact rule.
Both must agree: explain() returns None exactly when check() would accept the value.

Everything a check accepts must be read identically by PostgreSQL from the same text, because the
original bytes go to COPY (see DESIGN, "fast path"); the checks are therefore stricter than
PostgreSQL's own input functions (no surrounding blanks, no alternative spellings).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import product

import numpy as np

from .tables import ColumnSpec

Values = np.ndarray  # 1-D object array of str

BIGINT_MAX = 9_223_372_036_854_775_807
_EMAIL = re.compile(r"[^@\s]+@(?:[^@\s.]+\.)+[^\W\d_]{2,}")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-2][0-9]:[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-](?:0[0-9]|1[0-5])(?::?[0-5][0-9])?)"
)
_BOOLEANS = frozenset("".join(p) for word in ("true", "false") for p in product(*((c, c.upper()) for c in word)))
_UUID_HYPHENS = [8, 13, 18, 23]
_UUID_HEX_COLS = [i for i in range(36) if i not in _UUID_HYPHENS]
_TS_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def today_utc() -> date:
    return datetime.now(UTC).date()


# -- vectorised helpers ----------------------------------------------------------------------

def _codepoints(values: Values, width: int) -> np.ndarray:
    """(n, width) code points; a string longer than width-1 shows a non-zero last column."""
    return values.astype(f"<U{width}").view(np.uint32).reshape(len(values), width)


def _digits(cp: np.ndarray, cols: list[int]) -> np.ndarray:
    sub = cp[:, cols].astype(np.int64) - 48
    return np.all((sub >= 0) & (sub <= 9), axis=1)


def _number(cp: np.ndarray, start: int, stop: int) -> np.ndarray:
    out = np.zeros(len(cp), dtype=np.int64)
    for i in range(start, stop):
        out = out * 10 + (cp[:, i].astype(np.int64) - 48)
    return out


def _calendar_ok(cp: np.ndarray) -> np.ndarray:
    """YYYY-MM-DD at positions 0..9 is a real date (year 1..9999)."""
    shape = _digits(cp, [0, 1, 2, 3, 5, 6, 8, 9]) & (cp[:, 4] == 45) & (cp[:, 7] == 45)
    y, m, d = _number(cp, 0, 4), _number(cp, 5, 7), _number(cp, 8, 10)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    m_ok = (m >= 1) & (m <= 12)
    dim = _DAYS_IN_MONTH[np.where(m_ok, m, 0)] + ((m == 2) & leap)
    return shape & (y >= 1) & m_ok & (d >= 1) & (d <= dim)


def _date_number(cp: np.ndarray) -> np.ndarray:
    return _number(cp, 0, 4) * 10_000 + _number(cp, 5, 7) * 100 + _number(cp, 8, 10)


def _fullmatch(pattern: re.Pattern[str], values: Values) -> np.ndarray:
    match = pattern.fullmatch
    return np.fromiter((match(v) is not None for v in values), dtype=bool, count=len(values))


def _lengths(values: Values, *, strip: bool = False) -> np.ndarray:
    if strip:
        return np.fromiter((len(v.strip()) for v in values), dtype=np.int64, count=len(values))
    return np.fromiter(map(len, values), dtype=np.int64, count=len(values))


def _is_digit(c: np.ndarray) -> np.ndarray:
    return (c >= 48) & (c <= 57)


def _ascii_matrix(values: Values, width: int) -> np.ndarray | None:
    """(n, width) bytes, zero-padded (a longer value is cut: callers look at column width-1); None if not ASCII."""
    try:
        return values.astype(f"S{width}").view(np.uint8).reshape(len(values), width)
    except UnicodeEncodeError:
        return None


def bigint_values(values: Values) -> tuple[np.ndarray, np.ndarray]:
    """(ok, value) for whole numbers 1..BIGINT_MAX written as plain digits (leading zeros allowed)."""
    # Fast path: every value 1-32 ASCII digits -> one bulk int conversion (it raises past int64).
    c = _ascii_matrix(values, 33)
    if c is not None and len(values) and not c[:, 32].any() and c[:, 0].all() and np.all(_is_digit(c) | (c == 0)):
        try:
            value = values.astype(np.int64)  # int() per value, in C
        except (OverflowError, ValueError):
            pass
        else:
            return value >= 1, value
    return _bigint_values_exact(values)


def _bigint_values_exact(values: Values) -> tuple[np.ndarray, np.ndarray]:
    width = 33
    cp = _codepoints(values, width)
    present = cp != 0
    n_chars = present.sum(axis=1)
    is_digit = (cp >= 48) & (cp <= 57)
    shape_ok = (cp[:, -1] == 0) & (n_chars > 0) & np.all(is_digit | ~present, axis=1)
    nonzero = is_digit & (cp != 48)
    first_sig = np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), n_chars)
    sig_len = n_chars - first_sig
    fits = shape_ok & (sig_len <= 19)
    value = np.zeros(len(values), dtype=np.uint64)
    digits = np.where(is_digit & fits[:, None], cp.astype(np.int64) - 48, 0).astype(np.uint64)
    for i in range(width - 1):
        step = present[:, i] & fits
        value = np.where(step, value * np.uint64(10) + digits[:, i], value)
    ok = fits & (value >= 1) & (value <= np.uint64(BIGINT_MAX))
    return ok, value.astype(np.int64)


def uuid_values(values: Values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ok, high, low): canonical 8-4-4-4-12 hex UUIDs in any case, as two 64-bit halves."""
    c = _ascii_matrix(values, 37)
    if c is None:  # a non-ASCII value is never a UUID; the exact path says which
        return _uuid_values_exact(values)
    h = c[:, _UUID_HEX_COLS]
    digit, lower = _is_digit(h), (h | 32) - 97  # letters a-f -> 0..5 (uint8 wraps the rest high)
    ok = (c[:, 36] == 0) & np.all(c[:, _UUID_HYPHENS] == 45, axis=1) & np.all(digit | (lower <= 5), axis=1)
    nibble = (h & 15) + 9 * (h >> 6)  # '0'-'9' -> 0-9, 'a'-'f' and 'A'-'F' -> 10-15 (valid hex only)
    # two nibbles per byte, then the 16 bytes read as two big-endian 64-bit words (garbage where not ok)
    packed = np.ascontiguousarray((nibble[:, 0::2] << 4) | (nibble[:, 1::2] & 15))
    halves = packed.view(">u8").astype(np.uint64)
    return ok, np.ascontiguousarray(halves[:, 0]), np.ascontiguousarray(halves[:, 1])


def _uuid_values_exact(values: Values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cp = _codepoints(values, 37)
    hyphens = [8, 13, 18, 23]
    hex_cols = [i for i in range(36) if i not in hyphens]
    h = cp[:, hex_cols].astype(np.int64)
    lower = h | 0x20
    digit = (h >= 48) & (h <= 57)
    letter = (lower >= 97) & (lower <= 102)
    ok = (cp[:, 36] == 0) & np.all(cp[:, hyphens] == 45, axis=1) & np.all(digit | letter, axis=1)
    nibble = np.where(digit, h - 48, lower - 87).astype(np.uint64)
    hi = np.zeros(len(values), dtype=np.uint64)
    lo = np.zeros(len(values), dtype=np.uint64)
    for i in range(16):
        hi = (hi << np.uint64(4)) | nibble[:, i]
        lo = (lo << np.uint64(4)) | nibble[:, 16 + i]
    return ok, hi, lo


# -- one Rule per column kind ----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Rule:
    """A column's rule: `check` on whole blocks (non-empty values only), `explain` on one bad value."""

    summary: str
    check: Callable[[Values], np.ndarray]
    explain_nonempty: Callable[[str], str | None]
    # (ok, parsed parts) for kinds whose parsed form is also the uniqueness key (bigint, UUID halves)
    parse: Callable[[Values], tuple[np.ndarray, tuple[np.ndarray, ...]]] | None = None


def _bigint_explain(v: str) -> str | None:
    if not v.isascii() or not v.isdigit() or len(v) > 32:
        return "whole number ≥ 1 (digits only, at most 32)"
    n = int(v)
    if n < 1:
        return "whole number ≥ 1 (digits only)"
    return "fits bigint (≤ 9223372036854775807)" if n > BIGINT_MAX else None


def _email_check(values: Values) -> np.ndarray:
    return _fullmatch(_EMAIL, values) & (_lengths(values) <= 254)


def _past_date_check(values: Values, today: date) -> np.ndarray:
    cp = _codepoints(values, 11)
    ok = (cp[:, 10] == 0) & _calendar_ok(cp)
    limit = today.year * 10_000 + today.month * 100 + today.day
    return ok & (_date_number(cp) <= limit)


def _past_date_explain(v: str, today: date) -> str | None:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", v):
        return "date as YYYY-MM-DD"
    try:
        d = date.fromisoformat(v)
    except ValueError:
        return "a real calendar date (YYYY-MM-DD)"
    return "not later than today (UTC)" if d > today else None


def _timestamp_check(values: Values) -> np.ndarray:
    ok = _timestamp_common(values)
    if ok is None:
        return _timestamp_check_exact(values)
    rest = np.flatnonzero(~ok)
    if len(rest):  # other spellings (no seconds, ±hh, ±hhmm) and bad values: the exact rule decides
        ok[rest] = _timestamp_check_exact(values[rest])
    return ok


def _timestamp_common(values: Values) -> np.ndarray | None:
    """Sound, not complete: True only for YYYY-MM-DD[T ]HH:MM:SS[.f{1,6}](Z|±hh:mm) that the exact rule accepts."""
    c = _ascii_matrix(values, 33)
    if c is None:
        return None
    d = _is_digit(c)
    length = np.count_nonzero(c, axis=1)
    ok = (d[:, _TS_DIGITS].all(axis=1) & (c[:, 4] == 45) & (c[:, 7] == 45) & ((c[:, 10] == 84) | (c[:, 10] == 32))
          & (c[:, 13] == 58) & (c[:, 16] == 58) & (c[:, 11] <= 50) & (c[:, 14] <= 53) & (c[:, 17] <= 53))
    dot = c[:, 19] == 46
    fraction, run = np.zeros(len(c), dtype=np.int64), np.ones(len(c), dtype=bool)
    for i in range(20, 27):  # digits right after the dot (7 = too many)
        run &= d[:, i]
        fraction += run
    ok &= ~dot | ((fraction >= 1) & (fraction <= 6))
    zone_at = np.where(dot, 20 + fraction, 19)
    z = np.take_along_axis(c, np.minimum(zone_at[:, None] + np.arange(6), 32), axis=1)
    utc = (z[:, 0] == 90) & (length == zone_at + 1)
    offset = (((z[:, 0] == 43) | (z[:, 0] == 45)) & (length == zone_at + 6) & (z[:, 3] == 58)
              & ((z[:, 1] == 48) & _is_digit(z[:, 2]) | (z[:, 1] == 49) & (z[:, 2] >= 48) & (z[:, 2] <= 53))
              & (z[:, 4] >= 48) & (z[:, 4] <= 53) & _is_digit(z[:, 5]))
    return ok & (utc | offset) & _calendar_ok(c) & (_number(c, 11, 13) <= 23)


def _timestamp_check_exact(values: Values) -> np.ndarray:
    shape = _fullmatch(_TIMESTAMP, values)
    cp = _codepoints(values, 14)
    hour = _number(cp, 11, 13)
    return shape & _calendar_ok(cp) & (hour <= 23)


def _timestamp_explain(v: str) -> str | None:
    rule = "ISO 8601 timestamp with offset or Z (e.g. 2024-05-01T12:30:00Z, at most 6 fraction digits)"
    if not _TIMESTAMP.fullmatch(v):
        return rule
    try:
        date.fromisoformat(v[:10])
    except ValueError:
        return "a real calendar date and time"
    return "a real calendar date and time" if int(v[11:13]) > 23 else None


def _double_check(values: Values) -> np.ndarray:
    c = _ascii_matrix(values, 33)
    if c is None or not len(values):
        return _double_check_exact(values)
    ok = _plain_decimal(c)
    rest = np.flatnonzero(~ok)
    if len(rest):  # exponents and anything unusual: bulk float conversion, else the exact rule
        ok[rest] = _double_check_bulk(values[rest])
    return ok


def _plain_decimal(c: np.ndarray) -> np.ndarray:
    """Sound, not complete: [+-]? then digits with at most one '.', at least one digit, at most 32 characters.

    Such a literal matches _NUMBER, is never out of double range (|x| < 1e32) and is never a non-zero
    that underflows to 0 (|x| >= 1e-31), so no float conversion is needed.
    """
    first, body = c[:, 0], c[:, 1:]
    digit = _is_digit(c)
    return ((c[:, 32] == 0) & np.all(_is_digit(body) | (body == 46) | (body == 0), axis=1) & digit.any(axis=1)
            & ((first == 43) | (first == 45) | (first == 46) | digit[:, 0]) & (np.count_nonzero(c == 46, axis=1) <= 1))


def _double_check_bulk(values: Values) -> np.ndarray:
    # Only [0-9.+-eE] and float() accepts every value <=> every value matches _NUMBER (float() also takes
    # blanks, "_", "nan", "inf" and non-ASCII digits: none of them passes the character check).
    c = _ascii_matrix(values, 33)
    number_chars = c is not None and np.all(_is_digit(c) | (c == 46) | (c == 43) | (c == 45) | ((c | 32) == 101)
                                            | (c == 0))
    if c is not None and len(values) and not c[:, 32].any() and number_chars:
        try:
            parsed = np.array(list(map(float, values)), dtype=np.float64)
        except ValueError:
            pass
        else:
            return _finite_nonunderflow(values, np.arange(len(values)), parsed)
    return _double_check_exact(values)


def _double_check_exact(values: Values) -> np.ndarray:
    shape = _fullmatch(_NUMBER, values)
    out = shape.copy()
    idx = np.flatnonzero(shape)
    if len(idx):
        parsed = np.array([float(v) for v in values[idx]], dtype=np.float64)
        out[idx] = _finite_nonunderflow(values, idx, parsed)
    return out


def _finite_nonunderflow(values: Values, idx: np.ndarray, parsed: np.ndarray) -> np.ndarray:
    """For values[idx] parsed as numbers: finite, and not a non-zero literal that underflows to 0."""
    bad = ~np.isfinite(parsed)
    zero = np.flatnonzero(parsed == 0.0)
    if len(zero):  # PostgreSQL refuses a non-zero literal that underflows to 0
        underflow = np.array([_mantissa_nonzero(values[idx[z]]) for z in zero], dtype=bool)
        bad[zero] |= underflow
    return ~bad


def _mantissa_nonzero(v: str) -> bool:
    return any(c in "123456789" for c in re.split("[eE]", v, maxsplit=1)[0])


def _double_explain(v: str) -> str | None:
    if not _NUMBER.fullmatch(v):
        lowered = v.strip().lower().lstrip("+-")
        if lowered in {"nan", "inf", "infinity"}:
            return "finite number (no NaN, no ±infinity)"
        return "decimal number (e.g. 3.14, -2e-5)"
    x = float(v)
    if not math.isfinite(x) or (x == 0.0 and _mantissa_nonzero(v)):
        return "finite number within double precision range"
    return None


def _ok_and_parts(result: tuple[np.ndarray, ...]) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    return result[0], result[1:]


def rule_for(column: ColumnSpec, today: date) -> Rule:
    """The Rule of one column; `today` is fixed per invocation so a file straddling midnight is judged once."""
    kind = column.kind
    if kind == "positive_bigint":
        return Rule("whole number ≥ 1 that fits bigint", lambda v: bigint_values(v)[0], _bigint_explain,
                    parse=lambda v: _ok_and_parts(bigint_values(v)))
    if kind == "uuid":
        return Rule("UUID (8-4-4-4-12 hex digits)", lambda v: uuid_values(v)[0],
                    lambda v: None if uuid_values(np.array([v], dtype=object))[0][0]
                    else "UUID (8-4-4-4-12 hex digits)",
                    parse=lambda v: _ok_and_parts(uuid_values(v)))
    if kind == "email":
        rule = "plausible email address (local@domain.tld)"
        return Rule(rule, _email_check, lambda v: None if _email_check(np.array([v], dtype=object))[0] else rule)
    if kind in ("name_text", "short_text"):
        strip = kind == "name_text"
        lo, hi = column.min_chars, column.max_chars or 10**9
        rule = f"{lo}–{hi} characters" + (" after trimming" if strip else "")
        return Rule(rule, lambda v: (lambda n: (n >= lo) & (n <= hi))(_lengths(v, strip=strip)),
                    lambda v: None if lo <= len(v.strip() if strip else v) <= hi else rule)
    if kind == "country_code":
        rule = "two upper-case ASCII letters"

        def country(v: Values) -> np.ndarray:
            cp = _codepoints(v, 3)
            return (cp[:, 2] == 0) & np.all((cp[:, :2] >= 65) & (cp[:, :2] <= 90), axis=1)

        return Rule(rule, country, lambda v: None if country(np.array([v], dtype=object))[0] else rule)
    if kind == "past_date":
        return Rule("date YYYY-MM-DD not later than today (UTC)", lambda v: _past_date_check(v, today),
                    lambda v: _past_date_explain(v, today))
    if kind == "boolean":
        rule = "true or false (any case)"
        return Rule(rule, lambda v: np.fromiter((x in _BOOLEANS for x in v), dtype=bool, count=len(v)),
                    lambda v: None if v in _BOOLEANS else rule)
    if kind == "finite_double":
        return Rule("finite decimal number", _double_check, _double_explain)
    if kind == "timestamptz":
        return Rule("ISO 8601 timestamp with offset or Z", _timestamp_check, _timestamp_explain)
    raise ValueError(f"unknown column kind {kind!r}")


def explain(column: ColumnSpec, rule: Rule, value: str) -> str | None:
    """The rule a single value breaks, or None when it is valid."""
    if value == "":
        return "required" if column.required else None
    return rule.explain_nonempty(value)


def check_column(column: ColumnSpec, rule: Rule, values: Values) -> np.ndarray:
    """Vectorised: True where the value is valid (empty values valid only for optional columns)."""
    empty = values == ""
    if not empty.any():
        return rule.check(values)
    ok = np.full(len(values), not column.required, dtype=bool)
    filled = np.flatnonzero(~empty)
    if len(filled):
        ok[filled] = rule.check(values[filled])
    return ok
