"""date, timestamp and timestamptz: ISO 8601 text that PostgreSQL reads as exactly that day or instant.

date: YYYY-MM-DD, a real day, years 0001-9999. timestamp: the date, `T` or a space, HH:MM with optional
:SS and 1-6 fraction digits (PostgreSQL keeps microseconds; a 7th digit would be rounded), no offset.
timestamptz: the same with `Z` or an offset ±hh, ±hhmm or ±hh:mm up to ±15:59. Hours 00-23, seconds
00-59 (PostgreSQL would roll 24:00 and :60 over into the next day or minute, not load them as written).

The usual spellings (with seconds) are read from the bytes at fixed positions, eight at a time; the
others (no seconds) by the exact rule.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import numpy as np

from ..fields import Fields
from . import swar
from .base import Clock, Parsed, TypeRule, merge_exact

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_OFFSET = r"(Z|[+-](?:0[0-9]|1[0-5])(?::?[0-5][0-9])?)"
_CLOCK = r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-2][0-9]):([0-5][0-9])(?::([0-5][0-9])(?:\.([0-9]{1,6}))?)?"
_TIMESTAMPTZ = re.compile(_CLOCK + _OFFSET)
_TIMESTAMP = re.compile(_CLOCK)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = 1_000_000
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)

# Where the digits and separators of "YYYY-MM-DDTHH:MM:SS" sit in its first three words.
_W0_DIGITS = swar.at(0, 1, 2, 3, 5, 6)
_W1_DIGITS = swar.at(0, 1, 3, 4, 6, 7)


def number(word: np.ndarray, first: int, count: int | np.ndarray) -> np.ndarray:
    """The integer spelt by `count` digits starting at byte `first` of each word."""
    count = np.asarray(count, dtype=np.uint64)
    x = (word >> np.uint64(8 * first)) & swar.low_bytes(count)
    x = (x << (np.uint64(64) - np.uint64(8) * count)) | (swar.rep(48) & swar.low_bytes(np.uint64(8) - count))
    return swar.eight_digits(x).astype(np.int64)


def calendar_ok(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """A real proleptic Gregorian day, years 1-9999."""
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    m_ok = (m >= 1) & (m <= 12)
    dim = _DAYS_IN_MONTH[np.where(m_ok, m, 0)] + ((m == 2) & leap)
    return (y >= 1) & m_ok & (d >= 1) & (d <= dim)


def days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (Howard Hinnant's algorithm, vectorised)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def _literal(*pairs: tuple[int, int]) -> tuple[np.uint64, np.uint64]:
    """(mask, value) of literal bytes at positions of a word: e.g. '-' at 4 and 7 of "YYYY-MM-"."""
    mask = sum(0xFF << (8 * i) for i, _ in pairs)
    value = sum(byte << (8 * i) for i, byte in pairs)
    return np.uint64(mask), np.uint64(value)


_DASHES = _literal((4, 45), (7, 45))  # "YYYY-MM-"
_COLON5 = _literal((5, 58))  # "DDTHH:MM"
_COLON0 = _literal((0, 58))  # ":SS"
_LOW2, _LOW4 = np.uint64(0xFFFF), np.uint64(0xFFFFFFFF)


def _shaped(word: np.ndarray, digit_flags: np.uint64, literal: tuple[np.uint64, np.uint64]) -> np.ndarray:
    """Digits where `digit_flags` says, the literal bytes where `literal` says."""
    return ((swar.digits(word) & digit_flags) == digit_flags) & ((word & literal[0]) == literal[1])


def _split(word: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eight digits read as one number AABBCCCC... split into (first four, next two, last two)."""
    v = swar.eight_digits(word).astype(np.int64)
    return v // 10_000, (v // 100) % 100, v % 100


def _date_words(fields: Fields) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(shape ok, year, month, day, the second word) of "YYYY-MM-DD" at each field's start."""
    w0, w1 = fields.word(0), fields.word(1)
    ok = _shaped(w0, _W0_DIGITS, _DASHES) & ((swar.digits(w1) & swar.at(0, 1)) == swar.at(0, 1))
    # "YYYY" "MM" "DD" moved side by side into one word of eight digits: one conversion for the three
    ymd = (w0 & _LOW4) | (((w0 >> np.uint64(40)) & _LOW2) << np.uint64(32)) | ((w1 & _LOW2) << np.uint64(48))
    y, m, d = _split(ymd)
    return ok & calendar_ok(y, m, d), y, m, d, w1


class DateRule(TypeRule):
    summary = "date YYYY-MM-DD"

    def parse(self, fields: Fields) -> Parsed:
        ok, y, m, d, _ = _date_words(fields)
        ok &= fields.lengths == 10
        values = np.where(ok, y * 10_000 + m * 100 + d, 0)
        return Parsed(ok, values)

    def explain(self, value: str) -> str:
        if not _DATE.fullmatch(value):
            return "date as YYYY-MM-DD"
        return "a real calendar date (YYYY-MM-DD)"

    def value(self, text: str) -> date:
        return date.fromisoformat(text)

    def bound_value(self, bound: Any, clock: Clock) -> Any:
        day = clock.today if bound == "today" else bound
        return day.year * 10_000 + day.month * 100 + day.day

    def bound_text(self, bound: Any) -> str:
        return "today (UTC)" if bound == "today" else bound.isoformat()


class TimestampRule(TypeRule):
    def __init__(self, zoned: bool) -> None:
        self.zoned = zoned
        self._pattern = _TIMESTAMPTZ if zoned else _TIMESTAMP
        self.summary = "ISO 8601 timestamp with offset or Z" if zoned else "ISO 8601 timestamp without offset"
        self.need_values = False  # set by rule_for when bounds or uniqueness need the instant

    def parse(self, fields: Fields) -> Parsed:
        length = fields.lengths
        ok, y, mo, d, w1 = _date_words(fields)
        w2 = fields.word(2)
        tee = (w1 >> np.uint64(16)) & np.uint64(0xFF)
        ok &= _shaped(w1, _W1_DIGITS, _COLON5) & ((tee == 84) | (tee == 32)) & _shaped(w2, swar.at(1, 2), _COLON0)
        # "HH" "MM" "SS" side by side after two '0's: one conversion for the three
        hms = (swar.rep(48) & _LOW2) | (((w1 >> np.uint64(24)) & _LOW2) << np.uint64(16)) | (
            ((w1 >> np.uint64(48)) & _LOW2) << np.uint64(32)) | (((w2 >> np.uint64(8)) & _LOW2) << np.uint64(48))
        h, mi, s = _split(hms)
        ok &= (h <= 23) & (mi <= 59) & (s <= 59) & (length >= 19)
        tail = fields.src.load(fields.start + 19) & swar.low_bytes(np.minimum(np.maximum(length - 19, 0), 8))
        dot = (tail & np.uint64(0xFF)) == 46
        after = ~swar.digits(tail) & swar.FLAGS & ~swar.at(0)
        fraction = np.where(dot, swar.first(after) - 1, 0)
        ok &= ~dot | ((fraction >= 1) & (fraction <= 6))
        zone_at = np.where(dot, 20 + fraction, 19)
        zone_len = length - zone_at
        offset = np.zeros(len(fields), dtype=np.int64)
        if self.zoned:
            zone = fields.src.load(fields.start + zone_at) & swar.low_bytes(np.minimum(np.maximum(zone_len, 0), 8))
            first = (zone & np.uint64(0xFF)).astype(np.int64)
            utc = (zone_len == 1) & (first == 90)
            sign = (first == 43) | (first == 45)
            hh, mm_at = number(zone, 1, 2), np.where(zone_len == 6, 4, 3)
            mm = np.where(zone_len > 3, _two_digits_at(zone, mm_at), 0)
            digits = swar.digits(zone)
            shape = ((zone_len == 3) & ((digits & (swar.at(1) | swar.at(2))) == (swar.at(1) | swar.at(2))))
            shape |= (zone_len == 5) & ((digits & _OFFSET4) == _OFFSET4)
            shape |= (zone_len == 6) & ((digits & _OFFSET5) == _OFFSET5) & ((swar.equal(zone, 58) & swar.at(3)) != 0)
            ok &= utc | (sign & shape & (hh <= 15) & (mm <= 59))
            offset = np.where(sign & ~utc, np.where(first == 45, -1, 1) * (hh * 60 + mm), 0)
        else:
            ok &= zone_len == 0
        parsed = Parsed(ok.copy())
        if self.need_values:
            micro = number(tail, 1, np.minimum(np.maximum(fraction, 0), 6)) * swar.POW10[
                6 - np.minimum(np.maximum(fraction, 0), 6)].astype(np.int64)
            seconds = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi - offset) * 60 + s
            parsed.values = np.where(ok, seconds * US + np.where(dot, micro, 0), 0)
        no_seconds = (w2 & np.uint64(0xFF)) != 58  # HH:MM without seconds: the exact rule decides
        rest = np.flatnonzero(~ok & no_seconds & (length >= 16) & (length <= 22))
        merge_exact(parsed.ok, parsed.values, rest, fields, self._exact)
        return parsed

    def _exact(self, text: str) -> tuple[bool, int]:
        m = self._pattern.fullmatch(text)
        if m is None:
            return False, 0
        y, mo, d, h = (int(g) for g in m.groups()[:4])
        if not calendar_ok(np.array([y]), np.array([mo]), np.array([d]))[0] or h > 23:
            return False, 0
        return True, self._micros(self.value(text))

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

    def bound_value(self, bound: Any, clock: Clock) -> Any:
        return self._micros(clock.now if bound == "now" else bound)

    def bound_text(self, bound: Any) -> str:
        return "now (UTC)" if bound == "now" else bound.isoformat()


_OFFSET4 = swar.at(1) | swar.at(2) | swar.at(3) | swar.at(4)
_OFFSET5 = swar.at(1) | swar.at(2) | swar.at(4) | swar.at(5)


def _two_digits_at(word: np.ndarray, first: np.ndarray) -> np.ndarray:
    shifted = word >> (np.uint64(8) * first.astype(np.uint64))
    return number(shifted, 0, 2)
