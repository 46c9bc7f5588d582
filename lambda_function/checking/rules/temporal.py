"""date, timestamp and timestamptz: ISO 8601 text that PostgreSQL reads as exactly that day or instant.

date: YYYY-MM-DD, a real day, years 0001-9999. timestamp: the date, `T` or a space, HH:MM with optional
:SS and 1-6 fraction digits (PostgreSQL keeps microseconds; a 7th digit would be rounded), no offset.
timestamptz: the same with `Z` or an offset ±hh, ±hhmm or ±hh:mm up to ±15:59. Hours 00-23, seconds
00-59 (PostgreSQL would roll 24:00 and :60 over into the next day or minute, not load them as written).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import numpy as np

from .base import Clock, Parsed, TypeRule
from .vector import (
    Values,
    ascii_matrix,
    calendar_ok,
    codepoints,
    date_number,
    days_from_civil,
    fullmatch,
    is_digit,
    number,
)

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_OFFSET = r"(Z|[+-](?:0[0-9]|1[0-5])(?::?[0-5][0-9])?)"
_CLOCK = r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-2][0-9]):([0-5][0-9])(?::([0-5][0-9])(?:\.([0-9]{1,6}))?)?"
_TIMESTAMPTZ = re.compile(_CLOCK + _OFFSET)
_TIMESTAMP = re.compile(_CLOCK)
_TS_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = 1_000_000
MINUS_DIGIT = ord("-") - 48  # zone characters are read as digit values (byte - 48)


class DateRule(TypeRule):
    summary = "date YYYY-MM-DD"

    def parse(self, values: Values) -> Parsed:
        cp = codepoints(values, 11)
        ok = (cp[:, 10] == 0) & calendar_ok(cp)
        day = np.where(ok, date_number(cp), 0)
        u = day.view(np.uint64)
        return Parsed(ok, keys=(u, u), extra={"day": day})

    def explain(self, value: str) -> str:
        if not _DATE.fullmatch(value):
            return "date as YYYY-MM-DD"
        return "a real calendar date (YYYY-MM-DD)"

    def value(self, text: str) -> date:
        return date.fromisoformat(text)

    def ordinal(self, values: Values, parsed: Parsed) -> np.ndarray:
        return parsed.extra["day"]

    def bound_ordinal(self, bound: Any, clock: Clock) -> Any:
        day = clock.today if bound == "today" else bound
        return day.year * 10_000 + day.month * 100 + day.day

    def bound_text(self, bound: Any) -> str:
        return "today (UTC)" if bound == "today" else bound.isoformat()


class TimestampRule(TypeRule):
    def __init__(self, zoned: bool) -> None:
        self.zoned = zoned
        self._pattern = _TIMESTAMPTZ if zoned else _TIMESTAMP
        self.summary = "ISO 8601 timestamp with offset or Z" if zoned else "ISO 8601 timestamp without offset"

    def parse(self, values: Values) -> Parsed:
        c = ascii_matrix(values, 33)
        if c is None:
            return Parsed(self._exact(values), extra={"common": np.zeros(len(values), dtype=bool)})
        ok, zone_at, offset = self._common(c)
        shaped = ok.copy()
        rest = np.flatnonzero(~ok)
        if len(rest):  # other spellings (no seconds, ±hh, ±hhmm) and bad values: the exact rule decides
            ok[rest] = self._exact(values[rest])
        # what the instant needs, kept for bounds and uniqueness (computed only if a column has them)
        return Parsed(ok, extra={"common": shaped, "c": c, "zone_at": zone_at, "offset": offset})

    def _common(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sound, not complete: YYYY-MM-DD[T ]HH:MM:SS[.f{1,6}] then Z/±hh:mm (zoned) or the end.

        Returns (ok, where the zone starts, whether it is a numeric offset)."""
        d = is_digit(c)
        length = np.count_nonzero(c, axis=1)
        ok = (d[:, _TS_DIGITS].all(axis=1) & (c[:, 4] == 45) & (c[:, 7] == 45) & ((c[:, 10] == 84) | (c[:, 10] == 32))
              & (c[:, 13] == 58) & (c[:, 16] == 58) & (c[:, 11] <= 50) & (c[:, 14] <= 53) & (c[:, 17] <= 53))
        dot = c[:, 19] == 46
        fraction, run = np.zeros(len(c), dtype=np.int64), dot.copy()
        for i in range(20, 27):  # digits right after the dot (7 = too many)
            run &= d[:, i]
            fraction += run
        ok &= ~dot | ((fraction >= 1) & (fraction <= 6))
        zone_at = np.where(dot, 20 + fraction, 19)
        if self.zoned:
            z = np.take_along_axis(c, np.minimum(zone_at[:, None] + np.arange(6), 32), axis=1)
            utc = (z[:, 0] == 90) & (length == zone_at + 1)
            offset = (((z[:, 0] == 43) | (z[:, 0] == 45)) & (length == zone_at + 6) & (z[:, 3] == 58)
                      & ((z[:, 1] == 48) & is_digit(z[:, 2]) | (z[:, 1] == 49) & (z[:, 2] >= 48) & (z[:, 2] <= 53))
                      & (z[:, 4] >= 48) & (z[:, 4] <= 53) & is_digit(z[:, 5]))
            ok &= utc | offset
        else:
            ok &= length == zone_at
            offset = np.zeros(len(c), dtype=bool)
        return ok & calendar_ok(c) & (number(c, 11, 13) <= 23), zone_at, offset

    @staticmethod
    def _common_micros(c: np.ndarray, zone_at: np.ndarray, offset: np.ndarray) -> np.ndarray:
        """Microseconds since 1970-01-01 UTC of values in the common shape (garbage elsewhere)."""
        frac_us = np.zeros(len(c), dtype=np.int64)
        for i in range(20, 26):  # up to six digits after the dot, zero-padded to microseconds
            digit = np.where(i < zone_at, c[:, i].astype(np.int64) - 48, 0)
            frac_us = frac_us * 10 + digit
        days = days_from_civil(number(c, 0, 4), number(c, 5, 7), number(c, 8, 10))
        seconds = ((days * 24 + number(c, 11, 13)) * 60 + number(c, 14, 16)) * 60 + number(c, 17, 19)
        z = np.take_along_axis(c, np.minimum(zone_at[:, None] + np.arange(6), 32), axis=1).astype(np.int64) - 48
        minutes = (z[:, 1] * 10 + z[:, 2]) * 60 + z[:, 4] * 10 + z[:, 5]
        sign = np.where(z[:, 0] == MINUS_DIGIT, -1, 1)
        return seconds * US + frac_us - np.where(offset, sign * minutes * 60 * US, 0)

    def _exact(self, values: Values) -> np.ndarray:
        shape = fullmatch(self._pattern, values)
        cp = codepoints(values, 14)
        return shape & calendar_ok(cp) & (number(cp, 11, 13) <= 23)

    def explain(self, value: str) -> str:
        if not self.zoned and _TIMESTAMPTZ.fullmatch(value):
            return "timestamp without an offset (the column is timestamp, not timestamptz)"
        if not self._pattern.fullmatch(value):
            example = "2024-05-01T12:30:00Z" if self.zoned else "2024-05-01T12:30:00"
            return f"{self.summary} (e.g. {example}, at most 6 fraction digits)"
        return "a real calendar date and time"

    def value(self, text: str) -> datetime:
        m = self._pattern.fullmatch(text)
        if m is None:
            raise ValueError(text)
        y, mo, d, h, mi, s, frac = m.groups()[:7]
        moment = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), int((frac or "0").ljust(6, "0")))
        if not self.zoned:
            return moment
        zone = m.group(8)
        if zone == "Z":
            return moment.replace(tzinfo=UTC)
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        return moment.replace(tzinfo=timezone(offset if zone[0] == "+" else -offset))

    def _micros(self, moment: datetime) -> int:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return (moment - _EPOCH) // timedelta(microseconds=1)

    def ordinal(self, values: Values, parsed: Parsed) -> np.ndarray:
        common, extra = parsed.extra["common"], parsed.extra
        micros = (self._common_micros(extra["c"], extra["zone_at"], extra["offset"]) if "c" in extra
                  else np.zeros(len(values), dtype=np.int64))
        for i in np.flatnonzero(~common):
            micros[i] = self._micros(self.value(values[i]))
        return micros

    def keys(self, values: Values, parsed: Parsed, casefold: bool = False) -> tuple[np.ndarray, np.ndarray]:
        u = self.ordinal(values, parsed).view(np.uint64)
        return u, u

    def bound_ordinal(self, bound: Any, clock: Clock) -> Any:
        return self._micros(clock.now if bound == "now" else bound)

    def bound_text(self, bound: Any) -> str:
        return "now (UTC)" if bound == "now" else bound.isoformat()
