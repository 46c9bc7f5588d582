"""smallint, integer, bigint, numeric(p,s), real and double precision: plain decimal text PostgreSQL reads exactly.

Accepted: an optional leading `+` or `-`, ASCII digits, leading zeros (read as decimal, never octal).
numeric adds one `.` (`.5` and `5.` included) and never more digits than (p,s) holds, so nothing is
rounded. real/double also take an exponent and must be finite, not overflow and not underflow to 0
(PostgreSQL refuses both). No blanks, `_`, hex, NaN or Infinity anywhere.

Values for bounds and uniqueness are exact: integers as int64, numeric as an integer scaled by 10^s
(all digits, up to precision 18; beyond, exact decimals), real as the one rounding to float4 that
PostgreSQL does (never a double rounding through float8), double as float8.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

import numpy as np

from ...contract.pgtypes import INTEGER_RANGES, PgType, nearest_float32
from ..fields import Fields
from . import swar
from .base import Clock, Parsed, TypeRule, merge_exact
from .decimal_text import analyse, digit_run, significant, with_exponents

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
SIGNED_DIGITS = "digits only, optional leading + or -"


def _negate(values: np.ndarray, negative: np.ndarray) -> np.ndarray:
    """uint64 magnitudes with signs -> int64 (two's complement, so -2**63 is exact)."""
    return np.where(negative, ~values + np.uint64(1), values).view(np.int64)


class IntegerRule(TypeRule):
    def __init__(self, pg: PgType) -> None:
        self.pg = pg
        self.low, self.high = INTEGER_RANGES[pg.base]
        self.summary = f"whole number that fits {pg.base}"

    def parse(self, fields: Fields) -> Parsed:
        length = fields.lengths
        first = fields.byte(0)
        negative = first == 45
        signed = negative | (first == 43)
        count = length - signed
        fast = (count >= 1) & (count <= 19)
        if fields.escaped is not None:
            fast &= ~fields.escaped
        end = fields.start + length
        magnitude = np.zeros(len(fields), dtype=np.uint64)
        for k in range(min(3, -(-int(count.max(initial=0)) // 8))):
            keep = swar.high_bytes(np.clip(count - 8 * k, 0, 8))
            word = swar.fill(fields.src.load(np.maximum(end - 8 * (k + 1), -8)), keep, 48)
            fast &= (swar.digits(word) == swar.FLAGS) | (count <= 8 * k)
            magnitude += swar.eight_digits(word) * swar.POW10[8 * k]
        fits = np.where(negative, magnitude <= np.uint64(-self.low), magnitude <= np.uint64(self.high))
        ok = fast & fits
        values = np.where(ok, _negate(magnitude, negative), 0)
        rest = np.flatnonzero(~fast)  # empty, too long (leading zeros) or not digits: the exact rule decides
        merge_exact(ok, values, rest, fields, self._exact)
        return Parsed(ok, values)

    def _exact(self, text: str) -> tuple[bool, int]:
        if not _INTEGER.fullmatch(text):
            return False, 0
        number = int(text)
        return self.low <= number <= self.high, number

    def explain(self, value: str) -> str:
        if not _INTEGER.fullmatch(value):
            return f"whole number ({SIGNED_DIGITS})"
        return f"fits {self.pg.base} ({self.low} to {self.high})"

    def value(self, text: str) -> int:
        return int(text)

    def bound_value(self, bound: Any, clock: Clock) -> Any:
        return bound


class NumericRule(TypeRule):
    """numeric(p,s). Values are integers scaled by 10^s: exact in int64 up to precision 18."""

    def __init__(self, pg: PgType) -> None:
        self.pg = pg
        self.scale = pg.scale or 0
        self.int_digits = (pg.precision or 0) - self.scale
        self.summary = f"decimal number that fits {pg}"
        self.scaled = (pg.precision or 0) <= 18
        self.need_values = False  # set by rule_for when bounds or uniqueness need the value

    def parse(self, fields: Fields) -> Parsed:
        shape = analyse(fields, exponent=False)
        fast = shape.ok
        whole = shape.int_bytes
        ok = fast & (shape.frac_digits <= self.scale)
        long = np.flatnonzero(ok & (whole > self.int_digits))  # leading zeros may explain it: count them
        if len(long):
            counted = significant(shape, long)
            ok[long] &= counted <= self.int_digits
        values = None
        if self.scaled:  # leading zeros change no value: read at most 19 digits before the dot
            int_part = digit_run(fields, shape.dot, np.where(ok, np.minimum(whole, 19), 0))
            frac_part = digit_run(fields, shape.lengths, np.where(ok, shape.frac_digits, 0))
            shift = swar.POW10[np.minimum(np.maximum(self.scale - shape.frac_digits, 0), 19)]
            magnitude = int_part * swar.POW10[self.scale] + frac_part * shift
            values = np.where(ok, _negate(magnitude, shape.negative), 0)
        merge_exact(ok, values, np.flatnonzero(~fast), fields, self._exact)
        parsed = Parsed(ok, values)
        if not self.scaled and self.need_values:  # all digits of a wide numeric: its canonical text
            parsed.extra["exact"] = np.array([self._canonical(fields.text(int(i))) if good else ""
                                              for i, good in enumerate(ok)], dtype=object)
        return parsed

    def _exact(self, text: str) -> tuple[bool, int]:
        if self.explain_or_none(text) is not None:
            return False, 0
        return True, int(Decimal(text).scaleb(self.scale)) if self.scaled else 0

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

    @staticmethod
    def _canonical(text: str) -> str:
        with localcontext() as context:
            context.prec = 2000  # every digit of the widest numeric(1000, s): never rounded
            return str(Decimal(text).normalize(context) + 0)

    def keys(self, fields: Fields, parsed: Parsed, casefold: bool = False) -> tuple[np.ndarray, np.ndarray]:
        if self.scaled:
            return super().keys(fields, parsed)
        from ..uniqueness import hash_texts

        return hash_texts(list(parsed.extra["exact"]))

    def bound_value(self, bound: Any, clock: Clock) -> Any:
        return bound * (10 ** self.scale)  # an exact Decimal

    def at_least(self, parsed: Parsed, bound: Any, clock: Clock) -> np.ndarray:
        if not self.scaled:
            return np.array([Decimal(t) >= bound for t in parsed.extra["exact"]], dtype=bool)
        limit = min(max(math.ceil(self.bound_value(bound, clock)), -_INT64_REACH), _INT64_REACH)
        return np.asarray(parsed.values >= limit)

    def at_most(self, parsed: Parsed, bound: Any, clock: Clock) -> np.ndarray:
        if not self.scaled:
            return np.array([Decimal(t) <= bound for t in parsed.extra["exact"]], dtype=bool)
        limit = min(max(math.floor(self.bound_value(bound, clock)), -_INT64_REACH), _INT64_REACH)
        return np.asarray(parsed.values <= limit)


# real: round-to-nearest overflows at 2**128 - 2**103 and rounds to zero at or below 2**-150.
_REAL_OVERFLOW = Fraction(2**128 - 2**103)
_REAL_ZERO = Fraction(1, 2**150)
# Exponents for which any literal of at most 24 characters is finite and not a non-zero that rounds to 0.
_SAFE_EXPONENT = {True: (-20, 14), False: (-280, 280)}
# Powers of ten that float32 (up to 1e10) and float64 (up to 1e22) hold exactly: Clinger's fast path.
_POWERS: dict[Any, np.ndarray] = {np.float32: np.array([10.0**i for i in range(11)], dtype=np.float32),
           np.float64: np.array([10.0**i for i in range(23)], dtype=np.float64)}
_INT64_REACH = 2**63 - 1


class FloatRule(TypeRule):
    def __init__(self, pg: PgType) -> None:
        self.pg = pg
        self.real = pg.base == "real"
        self.summary = "finite decimal number"
        self.need_values = False  # set by rule_for when bounds or uniqueness need the value

    def parse(self, fields: Fields) -> Parsed:
        shape = with_exponents(fields)
        fast = shape.ok.copy()
        has_exp = shape.exp_at < shape.lengths
        exponent = np.zeros(len(fields), dtype=np.int64)
        if has_exp.any():
            e_sign = fields.byte(shape.exp_at + 1)
            signed = (e_sign == 43) | (e_sign == 45)
            count = np.where(has_exp, shape.lengths - shape.exp_at - 1 - signed, 0)
            fast &= count <= 4
            magnitude = digit_run(fields, shape.lengths, np.where(fast, count, 0)).astype(np.int64)
            exponent = np.where(e_sign == 45, -magnitude, magnitude)
            low, high = _SAFE_EXPONENT[self.real]
            fast &= (exponent >= low) & (exponent <= high)
        ok = fast.copy()
        values = self._values(fields, shape, exponent, fast) if self.need_values else None
        merge_exact(ok, values, np.flatnonzero(~fast), fields, self._exact)
        return Parsed(ok, values)

    def _values(self, fields: Fields, shape: Any, exponent: np.ndarray, fast: np.ndarray) -> np.ndarray:
        """float4/float8 of each value: exact where mantissa and power of ten are exact (one IEEE rounding)."""
        digits = shape.int_bytes + shape.frac_digits
        simple = fast & (digits <= 19)
        whole = digit_run(fields, shape.dot, np.where(simple, shape.int_bytes, 0))
        frac = digit_run(fields, shape.exp_at, np.where(simple, shape.frac_digits, 0))
        mantissa = whole * swar.POW10[np.where(simple, shape.frac_digits, 0)] + frac
        power = exponent - shape.frac_digits
        dtype, limit, reach = (np.float32, 2**24, 10) if self.real else (np.float64, 2**53, 22)
        exact = simple & (mantissa <= np.uint64(limit)) & (np.abs(power) <= reach)
        m = mantissa.astype(dtype)
        scale = _POWERS[dtype][np.clip(np.abs(power), 0, reach)]
        with np.errstate(over="ignore", under="ignore"):
            number = np.where(power >= 0, m * scale, m / scale).astype(dtype)
        number = np.where(shape.negative, -number, number)
        values = np.where(exact, number.astype(np.float64), 0.0)
        for i in np.flatnonzero(fast & ~exact):  # long mantissas, far exponents: rounded exactly
            values[i] = self.value(fields.text(int(i)))
        return values

    def _exact(self, text: str) -> tuple[bool, float]:
        """Finite, no overflow, and not a non-zero literal that rounds to zero (PostgreSQL refuses those)."""
        if not _FLOAT.fullmatch(text):
            return False, 0.0
        number = float(text)  # correctly rounded: decides double exactly, and real away from its limits
        if self.real:
            size = abs(number)
            if size > 3.4e38 or size < 1e-44:
                exact = abs(Fraction(text))
                if exact >= _REAL_OVERFLOW or (exact != 0 and exact <= _REAL_ZERO):
                    return False, 0.0
        elif math.isinf(number) or (number == 0 and _mantissa_nonzero(text)):
            return False, 0.0
        return True, (self.value(text) if self.need_values else 0.0)

    def explain(self, value: str) -> str:
        if not _FLOAT.fullmatch(value):
            lowered = value.strip().lower().lstrip("+-")
            if lowered in {"nan", "inf", "infinity"}:
                return "finite number (no NaN, no ±infinity)"
            return "decimal number (e.g. 3.14, -2e-5)"
        return f"finite number within {self.pg.base} range"

    def value(self, text: str) -> float:
        return nearest_float32(text) if self.real else float(text)

    def keys(self, fields: Fields, parsed: Parsed, casefold: bool = False) -> tuple[np.ndarray, np.ndarray]:
        assert parsed.values is not None  # noqa: S101 - rule_for asks for values when a column is unique
        bits = (parsed.values + 0.0).view(np.uint64)  # + 0.0: -0 and 0 are one value
        return bits, bits

    def bound_value(self, bound: Any, clock: Clock) -> Any:
        return bound  # already rounded once to the column's type (contract/build.py)


def _mantissa_nonzero(text: str) -> bool:
    return any(ch in "123456789" for ch in re.split("[eE]", text, maxsplit=1)[0])
