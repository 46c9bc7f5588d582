"""Choosing a column's type for `contract infer`: the most specific type whose rule accepts every value.

Every choice is proved with the handler's own type rules on the sample's distinct values, so the draft
accepts the sample it came from; a guess is said in a `guessed:` comment. Numbers and dates also get the
range the sample covers (`seen 1–12`), for a person to turn into minimum/maximum.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

import numpy as np

from lambda_function.checking.rules import type_rule
from lambda_function.contract.build import FALSE_SPELLINGS, TRUE_SPELLINGS
from lambda_function.contract.model import Column
from lambda_function.contract.pgtypes import INTEGER_RANGES, MAX_NUMERIC_PRECISION, parse_type

HEADROOM = 10  # integers: the type must hold 10x the largest magnitude in the sample
DECIMAL_HEADROOM_DIGITS = 2  # numeric(p,s): integer digits beyond the sample's longest
_RANGES = tuple((kind, high) for kind, (_low, high) in INTEGER_RANGES.items())  # smallest first
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_EXPONENT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+")
# tried in this order after booleans and numbers; each must accept every value to be chosen
_SHAPED = ("date", "timestamptz", "timestamp", "uuid")
_NUMBERS = ("smallint", "integer", "bigint", "numeric", "real", "double precision")
_MOMENTS = ("date", "timestamp", "timestamptz")
# Dates a person wrote another way (2012/01/01, 01/31/2012, 31.01.2012, 2012-1-1), with or without a time.
_DATE_LIKE = re.compile(r"(?:[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4})"
                        r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?")


@dataclass(frozen=True)
class Guess:
    type: str
    comment: str = ""
    true_values: tuple[str, ...] = ()  # booleans other than true/false: the spellings seen
    false_values: tuple[str, ...] = ()
    seen: str = ""  # numbers and dates: "lowest–highest" in the sample


def accepts(type_text: str, values: list[str], column: Column | None = None) -> bool:
    """Does the handler's own rule for this type accept every value?"""
    if not values:
        return True
    return bool(type_rule(parse_type(type_text), column).accepts(values).all())


def choose_type(counts: Mapping[str, int]) -> Guess:
    """The most specific type whose rule accepts every value (``counts``: distinct value -> times); text when
    in doubt."""
    values = list(counts)
    if not values:
        return Guess("text", "guessed: no values in the sample -> text")
    guess = _boolean(values) or _number(values)
    if guess is None:
        kind = next((kind for kind in _SHAPED if accepts(kind, values)), None)
        if kind is None:
            return Guess("text", _near_miss(counts) or _date_like(values))
        comment = "guessed: no offset in the sample -> timestamp (without time zone)" if kind == "timestamp" else ""
        guess = Guess(kind, comment)
    if guess.type.split("(")[0] in _NUMBERS + _MOMENTS:
        return Guess(guess.type, guess.comment, seen=seen_range(guess.type, values))
    return guess


def _boolean(values: list[str]) -> Guess | None:
    words = {v.lower() for v in values}
    if words <= {"true", "false"}:
        return _proved("boolean", "", values)
    if not words <= {*TRUE_SPELLINGS, *FALSE_SPELLINGS}:
        return None
    trues = tuple(s for s in TRUE_SPELLINGS if s in words)
    falses = tuple(s for s in FALSE_SPELLINGS if s in words)
    if not trues or not falses:  # one spelling alone (all "1", all "Y") is more likely a count or a code
        return None
    column = Column("probe", parse_type("boolean"), true_values=trues, false_values=falses)
    if not accepts("boolean", values, column):
        return None
    comment = f"guessed: only {' and '.join(sorted(words))} in the sample -> boolean"
    if words == {"0", "1"}:
        comment += " (a count would be smallint)"
    return Guess("boolean", comment, trues, falses)


def _number(values: list[str]) -> Guess | None:
    if all(_INTEGER.fullmatch(v) for v in values):
        return _integer_type(values)
    if all(_DECIMAL.fullmatch(v) for v in values):
        return _numeric_type(values)
    if all(_DECIMAL.fullmatch(v) or _EXPONENT.fullmatch(v) for v in values):
        return _proved("double precision", "guessed: exponent notation in the sample -> double precision", values)
    return None


def _proved(kind: str, comment: str, values: list[str]) -> Guess:
    if accepts(kind, values):
        return Guess(kind, comment)
    return Guess("text", f"guessed: looks like {kind} but the handler's rule refuses a value -> text")


def _integer_type(values: list[str]) -> Guess:
    digits = [v.lstrip("+-") for v in values]
    padded = [d for d in digits if len(d) > 1 and d.startswith("0")]
    if padded:
        widths = len({len(d) for d in digits})
        shape = f"{widths} distinct widths" if widths > 1 else f"fixed width {len(digits[0])}"
        return Guess("text", f"guessed: {shape} with leading zeros (e.g. {padded[0]!r}) -> text, a code not a number")
    largest = max(abs(int(v)) for v in values)
    for kind, high in _RANGES:
        if largest * HEADROOM <= high:
            return _proved(
                kind, f"guessed: max |value| {largest:,} in the sample, x{HEADROOM} headroom -> {kind}", values
            )
    if largest <= _RANGES[-1][1]:
        return _proved("bigint", f"guessed: max |value| {largest:,} is near bigint's limit (no headroom)", values)
    precision = len(str(largest)) + DECIMAL_HEADROOM_DIGITS
    if precision > MAX_NUMERIC_PRECISION:
        return Guess("text", "guessed: whole numbers too long for numeric -> text")
    return _proved(
        f"numeric({precision},0)",
        f"guessed: whole numbers past bigint ({len(str(largest))} digits), +{DECIMAL_HEADROOM_DIGITS} digits headroom",
        values,
    )


def _numeric_type(values: list[str]) -> Guess:
    whole, frac = 0, 0
    for v in values:
        integer_part, _, fraction = v.lstrip("+-").partition(".")
        whole = max(whole, len(integer_part.lstrip("0")))
        frac = max(frac, len(fraction))
    precision = whole + DECIMAL_HEADROOM_DIGITS + frac
    if precision > MAX_NUMERIC_PRECISION:
        return Guess("text", "guessed: decimals too long for numeric -> text")
    return _proved(
        f"numeric({precision},{frac})",
        f"guessed: up to {whole} integer and {frac} fraction digits in the sample, "
        f"+{DECIMAL_HEADROOM_DIGITS} integer digits headroom",
        values,
    )


def _near_miss(counts: Mapping[str, int]) -> str:
    """Say so when most values are of one type and a few are not (e.g. 'unknown' in a number column)."""
    values = list(counts)
    times = np.fromiter(counts.values(), dtype=np.int64, count=len(values))
    total = int(times.sum())
    for kind in ("bigint", "double precision", "date", "timestamptz", "timestamp", "uuid", "boolean"):
        ok = type_rule(parse_type(kind)).accepts(values)
        good = int(times[ok].sum())
        if good * 2 > total:
            bad = values[int(np.flatnonzero(~ok)[0])]
            return f"guessed: {good} of {total} values are {kind} but not {bad[:30]!r} -> text"
    return ""


def _date_like(values: list[str]) -> str:
    """Dates written another way stay text: say so, so a person can ask for YYYY-MM-DD instead."""
    shaped = [v for v in values if _DATE_LIKE.fullmatch(v)]
    if len(shaped) * 2 <= len(values):
        return ""
    form = "YYYY-MM-DD" if all(len(v) <= 10 for v in shaped) else "YYYY-MM-DD HH:MM:SS"
    return f"guessed: {shaped[0]!r}: not {form}, kept as text"


def seen_range(kind: str, values: list[str]) -> str:
    """'lowest–highest' as written in the sample ('' when the values cannot be ordered here)."""
    try:
        if kind.split("(")[0] in _NUMBERS:
            low, high = min(values, key=Decimal), max(values, key=Decimal)
        elif kind == "date":
            low, high = min(values), max(values)
        else:
            instants = {v: datetime.fromisoformat(v) for v in values}
            low, high = min(values, key=instants.__getitem__), max(values, key=instants.__getitem__)
    except (ValueError, TypeError, InvalidOperation):
        return ""
    if low == high:
        return low
    return f"{low} to {high}" if "-" in low + high else f"{low}–{high}"  # '-5–12' or dates would misread
