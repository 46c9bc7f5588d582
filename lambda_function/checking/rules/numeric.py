"""smallint, integer, bigint, numeric(p,s), real and double precision: plain decimal text PostgreSQL reads exactly.

Accepted: an optional leading `+` or `-`, ASCII digits, leading zeros (read as decimal, never octal).
numeric adds one `.` (`.5` and `5.` included) and never more digits than (p,s) holds, so nothing is
rounded. real/double also take an exponent and must be finite, not overflow and not underflow to 0
(PostgreSQL refuses both). No blanks, `_`, hex, NaN or Infinity anywhere.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from ...contract.pgtypes import INTEGER_RANGES, PgType
from .base import Clock, Parsed, TypeRule, text_keys
from .vector import DOT, MINUS, PLUS, ZERO, Values, ascii_matrix, fullmatch, is_digit

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
SIGNED_DIGITS = "digits only, optional leading + or -"


class IntegerRule(TypeRule):
    def __init__(self, pg: PgType) -> None:
        self.pg = pg
        self.low, self.high = INTEGER_RANGES[pg.base]
        self.summary = f"whole number that fits {pg.base}"

    def parse(self, values: Values) -> Parsed:
        parsed = self._fast(values)
        if parsed is None:
            ok = fullmatch(_INTEGER, values)
            numbers = [int(v) if good else 0 for v, good in zip(values, ok, strict=True)]
            fits = np.fromiter((self.low <= n <= self.high for n in numbers), dtype=bool, count=len(values))
            ok &= fits
            ints = np.array([n if f else 0 for n, f in zip(numbers, fits, strict=True)], dtype=np.int64)
            parsed = Parsed(ok, extra={"int": ints})
        u = parsed.extra["int"].view(np.uint64)
        parsed.keys = (u, u)
        return parsed

    def _fast(self, values: Values) -> Parsed | None:
        """Every value 1-32 ASCII characters, digits after an optional sign: one bulk int() in C."""
        c = ascii_matrix(values, 33)
        if c is None or not len(values) or c[:, 32].any():
            return None
        body, first = c[:, 1:], c[:, 0]
        if not (np.all(is_digit(body) | (body == 0)) and np.all(is_digit(first) | (first == PLUS) | (first == MINUS))):
            return None
        try:
            ints = values.astype(np.int64)  # raises past int64, and on a lone sign
        except (OverflowError, ValueError):
            return None
        ok = (ints >= self.low) & (ints <= self.high)
        return Parsed(ok, extra={"int": ints})

    def explain(self, value: str) -> str:
        if not _INTEGER.fullmatch(value):
            return f"whole number ({SIGNED_DIGITS})"
        return f"fits {self.pg.base} ({self.low} to {self.high})"

    def value(self, text: str) -> int:
        return int(text)

    def ordinal(self, values: Values, parsed: Parsed) -> np.ndarray:
        return parsed.extra["int"]

    def bound_ordinal(self, bound: Any, clock: Clock) -> Any:
        return bound


def _decimal_shape(c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(well formed, significant integer digits, fraction digits) of [+-]digits[.digits] in a byte matrix."""
    width = c.shape[1]
    first = c[:, 0]
    signed = (first == PLUS) | (first == MINUS)
    digit, dot = is_digit(c), c == DOT
    pos = np.arange(width)
    allowed = digit | dot | (c == 0) | ((pos == 0)[None, :] & signed[:, None])
    length = np.count_nonzero(c, axis=1)
    has_dot = dot.any(axis=1)
    dot_at = np.where(has_dot, dot.argmax(axis=1), length)
    good = np.all(allowed, axis=1) & (np.count_nonzero(dot, axis=1) <= 1) & digit.any(axis=1)
    start = signed.astype(np.int64)
    active = np.ones(len(c), dtype=bool)
    leading = np.zeros(len(c), dtype=np.int64)
    for j in range(width):  # leading zeros of the integer part do not count against the precision
        inside = (j >= start) & (j < dot_at)
        zero = c[:, j] == ZERO
        active &= ~inside | zero
        leading += active & inside & zero
    return good, dot_at - start - leading, np.where(has_dot, length - dot_at - 1, 0)


class NumericRule(TypeRule):
    def __init__(self, pg: PgType) -> None:
        self.pg = pg
        self.scale = pg.scale or 0
        self.int_digits = (pg.precision or 0) - self.scale
        self.summary = f"decimal number that fits {pg}"
        # sign, dot and digits; longer values (many leading zeros, huge precisions) take the exact path
        self._width = min((pg.precision or 0) + 3, 40)

    def parse(self, values: Values) -> Parsed:
        c = ascii_matrix(values, self._width + 1) if len(values) else None
        if c is None:
            return Parsed(np.fromiter((self.explain_or_none(v) is None for v in values), dtype=bool,
                                      count=len(values)))
        good, int_digits, frac_digits = _decimal_shape(c[:, : self._width])
        ok = (c[:, self._width] == 0) & good & (int_digits <= self.int_digits) & (frac_digits <= self.scale)
        rest = np.flatnonzero(~ok)
        for i in rest:  # longer (leading zeros) or malformed: the exact rule decides
            ok[i] = self.explain_or_none(values[i]) is None
        return Parsed(ok)

    def explain_or_none(self, value: str) -> str | None:
        if not _DECIMAL.fullmatch(value):
            return "decimal number (digits, optional sign and one '.', no exponent)"
        whole, _, fraction = value.lstrip("+-").partition(".")
        if len(whole.lstrip("0")) > self.int_digits:
            return f"at most {self.int_digits} integer digits ({self.pg})"
        if len(fraction) > self.scale:
            return f"at most {self.scale} fraction digits ({self.pg})"
        return None

    def explain(self, value: str) -> str:
        return self.explain_or_none(value) or self.summary

    def value(self, text: str) -> Decimal:
        return Decimal(text)

    def keys(self, values: Values, parsed: Parsed, casefold: bool = False) -> tuple[np.ndarray, np.ndarray]:
        canonical = np.array([str(Decimal(v).normalize() + 0) for v in values], dtype=object)
        return text_keys(canonical)

    def ordinal(self, values: Values, parsed: Parsed) -> np.ndarray:
        return values.astype(np.float64)

    def bound_ordinal(self, bound: Any, clock: Clock) -> Any:
        return bound

    def _compare(self, values: Values, parsed: Parsed, bound: Decimal, lower: bool) -> np.ndarray:
        approx = self.ordinal(values, parsed)
        limit = float(bound)
        ok = approx >= limit if lower else approx <= limit
        near = np.flatnonzero(np.abs(approx - limit) <= 1e-9 * max(1.0, abs(limit)))
        for i in near:  # floats cannot decide this close to the bound: exact decimals do
            exact = Decimal(values[i])
            ok[i] = exact >= bound if lower else exact <= bound
        return ok

    def at_least(self, values: Values, parsed: Parsed, bound: Any, clock: Clock) -> np.ndarray:
        return self._compare(values, parsed, bound, lower=True)

    def at_most(self, values: Values, parsed: Parsed, bound: Any, clock: Clock) -> np.ndarray:
        return self._compare(values, parsed, bound, lower=False)


# real: round-to-nearest overflows at 2**128 - 2**103 and rounds to zero at or below 2**-150.
_REAL_OVERFLOW = Fraction(2**128 - 2**103)
_REAL_ZERO = Fraction(1, 2**150)


class FloatRule(TypeRule):
    def __init__(self, pg: PgType) -> None:
        self.pg = pg
        self.real = pg.base == "real"
        self.summary = "finite decimal number"

    def parse(self, values: Values) -> Parsed:
        c = ascii_matrix(values, 33) if len(values) else None
        if c is None:
            return Parsed(self._exact(values))
        ok = _plain_decimal(c)
        rest = np.flatnonzero(~ok)
        if len(rest):  # exponents and anything unusual: bulk float conversion, else the exact rule
            ok[rest] = self._bulk(values[rest])
        return Parsed(ok)

    def _bulk(self, values: Values) -> np.ndarray:
        # Only [0-9.+-eE] and float() accepts every value <=> every value matches _FLOAT (float() also takes
        # blanks, "_", "nan", "inf" and non-ASCII digits: none of them passes the character check).
        c = ascii_matrix(values, 33)
        if c is not None and not c[:, 32].any() and np.all(
                is_digit(c) | (c == DOT) | (c == PLUS) | (c == MINUS) | ((c | 32) == 101) | (c == 0)):
            try:
                parsed = np.array(list(map(float, values)), dtype=np.float64)
            except ValueError:
                pass
            else:
                return self._in_range(values, parsed)
        return self._exact(values)

    def _exact(self, values: Values) -> np.ndarray:
        out = fullmatch(_FLOAT, values)
        idx = np.flatnonzero(out)
        if len(idx):
            parsed = np.array([float(v) for v in values[idx]], dtype=np.float64)
            out[idx] = self._in_range(values[idx], parsed)
        return out

    def _in_range(self, values: Values, parsed: np.ndarray) -> np.ndarray:
        """Finite, no overflow, and not a non-zero literal that rounds to zero (PostgreSQL refuses those)."""
        ok = np.isfinite(parsed)
        if self.real:
            size = np.abs(parsed)
            edge = np.flatnonzero(ok & ((size > 3.4e38) | ((size < 1e-44) & (size > 0)) | (parsed == 0)))
            for i in edge:  # only near float32's limits: decide on the exact decimal value
                exact = abs(Fraction(values[i]))
                ok[i] = exact < _REAL_OVERFLOW and (exact == 0 or exact > _REAL_ZERO)
            return ok
        zero = np.flatnonzero(parsed == 0.0)
        for i in zero:
            ok[i] = not _mantissa_nonzero(values[i])
        return ok

    def explain(self, value: str) -> str:
        if not _FLOAT.fullmatch(value):
            lowered = value.strip().lower().lstrip("+-")
            if lowered in {"nan", "inf", "infinity"}:
                return "finite number (no NaN, no ±infinity)"
            return "decimal number (e.g. 3.14, -2e-5)"
        return f"finite number within {self.pg.base} range"

    def value(self, text: str) -> float:
        return _nearest_float32(text) if self.real else float(text)

    def _as_floats(self, values: Values) -> np.ndarray:
        numbers = np.array(list(map(float, values)), dtype=np.float64)
        if not self.real:
            return numbers
        # real via double: a double rounding can differ from strtof's by one step for literals within 2**-53 of
        # a tie between two floats (bounds and uniqueness only, never the load); at the range's ends it could
        # even overflow, so values there are rounded exactly.
        with np.errstate(over="ignore"):
            singles = numbers.astype(np.float32).astype(np.float64)
        for i in np.flatnonzero(~np.isfinite(singles) | ((singles == 0) & (numbers != 0))):
            singles[i] = _nearest_float32(values[i])
        return singles

    def keys(self, values: Values, parsed: Parsed, casefold: bool = False) -> tuple[np.ndarray, np.ndarray]:
        bits = (self._as_floats(values) + 0.0).view(np.uint64)  # + 0.0: -0 and 0 are one value
        return bits, bits

    def ordinal(self, values: Values, parsed: Parsed) -> np.ndarray:
        return self._as_floats(values)

    def bound_ordinal(self, bound: Any, clock: Clock) -> Any:
        return float(bound)


def _plain_decimal(c: np.ndarray) -> np.ndarray:
    """Sound, not complete: [+-]? digits with at most one '.', at least one digit, at most 32 characters.

    Such a literal matches _FLOAT, is never out of range (|x| < 1e32, below float32's 3.4e38) and is
    never a non-zero that rounds to 0 (|x| >= 1e-31), so no float conversion is needed.
    """
    first, body = c[:, 0], c[:, 1:]
    digit = is_digit(c)
    return ((c[:, 32] == 0) & np.all(is_digit(body) | (body == DOT) | (body == 0), axis=1) & digit.any(axis=1)
            & ((first == PLUS) | (first == MINUS) | (first == DOT) | digit[:, 0])
            & (np.count_nonzero(c == DOT, axis=1) <= 1))


def _mantissa_nonzero(v: str) -> bool:
    return any(ch in "123456789" for ch in re.split("[eE]", v, maxsplit=1)[0])


def _nearest_float32(text: str) -> float:
    """The float32 nearest to the decimal text (ties to even), computed exactly: what strtof returns."""
    exact = Fraction(text)
    if exact == 0:
        return -0.0 if text.lstrip().startswith("-") else 0.0
    with np.errstate(over="ignore"):
        candidate = float(np.float32(float(exact)))  # within one float32 step of the answer
    if math.isinf(candidate):
        candidate = math.copysign(float(np.finfo(np.float32).max), candidate)
    steps = [float(np.nextafter(np.float32(candidate), np.float32(d))) for d in (-math.inf, math.inf)]
    steps = [f for f in steps if math.isfinite(f)]
    best = min([candidate, *steps], key=lambda f: (abs(Fraction(f) - exact), int(np.float32(f).view(np.uint32)) & 1))
    return best
