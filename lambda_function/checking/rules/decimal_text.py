"""The shape of decimal text, read eight bytes at a time: sign, digits, one '.', an optional exponent.

`analyse` answers for a whole column, for fields of at most 24 bytes (longer ones are left to the exact
rules): is it `[+-]?(digits[.digits]|.digits)([eE][+-]?digits)?`, where are its dot and exponent, and
`digit_run` reads the integers its digit runs spell, so numeric, real and double need no Python object
per value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..fields import Fields
from . import swar

MAX_BYTES = 24
_ZERO = np.uint64(0)


@dataclass(slots=True)
class DecimalText:
    ok: np.ndarray  # the shape above (and within MAX_BYTES), exponent allowed only if asked
    negative: np.ndarray
    signed: np.ndarray  # a leading + or -
    dot: np.ndarray  # position of '.', else the mantissa's end
    exp_at: np.ndarray  # position of e/E, else the field's length
    lengths: np.ndarray
    words: list[tuple[np.ndarray | None, np.ndarray]]  # (rows, word): bytes 8k.., sign read as '0'

    @property
    def int_bytes(self) -> np.ndarray:
        """Integer digits as written (leading zeros included)."""
        return self.dot - self.signed

    @property
    def frac_digits(self) -> np.ndarray:
        return np.where(self.dot < self.exp_at, self.exp_at - self.dot - 1, 0)


def analyse(fields: Fields, exponent: bool) -> DecimalText:
    """The shape of every field; words past the first are read only for the fields that reach them."""
    n = len(fields)
    length = fields.lengths
    ok = (length >= 1) & (length <= MAX_BYTES)
    if fields.escaped is not None:
        ok &= ~fields.escaped
    w0 = fields.word(0)
    lead = w0 & np.uint64(0xFF)
    negative = lead == 45
    signed = negative | (lead == 43)
    w0 = np.where(signed, (w0 & ~np.uint64(0xFF)) | np.uint64(48), w0)  # the sign read as a leading '0'
    dots = np.zeros(n, dtype=np.int64)
    exps = np.zeros(n, dtype=np.int64)  # e/E bytes: one at most (`1e5e` is no number)
    digits = np.zeros(n, dtype=np.int64)  # before the exponent (the sign's '0' included)
    dot_at = np.full(n, -1, dtype=np.int64)
    exp_at = np.full(n, -1, dtype=np.int64)
    words: list[tuple[np.ndarray | None, np.ndarray]] = []  # (rows, word) per position; None: every row
    e_signs: list[np.ndarray] = []
    for k in range(3):
        rows = None if k == 0 else np.flatnonzero(ok & (length > 8 * k))
        if rows is not None and not len(rows):
            break
        w = w0 if rows is None else fields.take(rows).word(k)
        size = length if rows is None else length[rows]
        sel = slice(None) if rows is None else rows
        inside = swar.flags_of(swar.low_bytes(np.minimum(np.maximum(size - 8 * k, 0), 8)))
        digit, dot = swar.digits(w), swar.equal(w, 46)
        allowed = digit | dot
        if exponent:
            e = swar.equal(w, 101) | swar.equal(w, 69)
            sign = swar.equal(w, 43) | swar.equal(w, 45)
            allowed |= e | sign
            e_signs.append(sign)
            exp_at[sel] = _first(e, exp_at[sel], 8 * k)
            exps[sel] += swar.count(e)
            before = swar.flags_of(swar.low_bytes(np.minimum(np.maximum(
                np.where(exp_at[sel] < 0, size, exp_at[sel]) - 8 * k, 0), 8)))
            digits[sel] += swar.count(digit & before)
        else:
            digits[sel] += swar.count(digit)
        ok[sel] &= (inside & ~allowed) == _ZERO
        dots[sel] += swar.count(dot)
        dot_at[sel] = _first(dot, dot_at[sel], 8 * k)
        words.append((rows, w))
    exp_at = np.where(exp_at < 0, length, exp_at)
    dot_at = np.where(dot_at < 0, exp_at, dot_at)
    ok &= (dots <= 1) & (exps <= 1) & (dot_at <= exp_at) & (digits - signed >= 1)  # the sign's '0' is no digit
    has_exp = exp_at < length
    if exponent and any(sign.any() for sign in e_signs):
        # a sign past the first byte only right after e/E
        after = exp_at + 1
        e_sign = fields.byte(after)
        e_signed = has_exp & ((e_sign == 43) | (e_sign == 45))
        for k, ((rows, _w), sign) in enumerate(zip(words, e_signs, strict=True)):
            sel = slice(None) if rows is None else rows
            offset = after[sel] - 8 * k
            allowed = np.where(e_signed[sel] & (offset >= 0) & (offset < 8),
                               np.uint64(1) << (np.uint64(8) * np.minimum(np.maximum(offset, 0), 7).astype(np.uint64)),
                               _ZERO)
            ok[sel] &= (sign & ~allowed) == _ZERO
    else:
        e_signed = np.zeros(n, dtype=bool)
    if exponent and has_exp.any():
        ok &= ~has_exp | (length - exp_at - 1 - e_signed >= 1)  # digits after e/E and its sign
    return DecimalText(ok, negative, signed, dot_at, exp_at, length, words)


def plain_decimals(fields: Fields) -> np.ndarray:
    """`[+-]?digits[.digits]` (or `.digits`, `digits.`) of at most MAX_BYTES bytes: the usual spelling, told by
    counting. Bytes past a field's end read as 0, which is neither digit nor dot, so a field has the shape
    exactly when its digits, its dot and a leading sign add up to its length."""
    length = fields.lengths
    w = fields.word(0)
    lead = w & np.uint64(0xFF)
    counted = ((lead == 45) | (lead == 43)).astype(np.int64)
    digits = np.zeros(len(fields), dtype=np.int64)
    dots = np.zeros(len(fields), dtype=np.int64)
    for k in range(min(MAX_BYTES // 8, -(-int(length.max(initial=0)) // 8))):
        w = w if k == 0 else fields.word(k)
        digits += swar.count(swar.digits(w))
        dots += swar.count(swar.equal(w, 46))
    return (length <= MAX_BYTES) & (digits >= 1) & (dots <= 1) & (counted + digits + dots == length)


def with_exponents(fields: Fields) -> DecimalText:
    """analyse(exponent=True), done cheaply: plain decimals for every field, the exponent-aware look only for
    the few fields the plain one refuses (its per-word checks cost about twice as much)."""
    plain = analyse(fields, exponent=False)
    rows = np.flatnonzero(~plain.ok & (plain.lengths >= 1) & (plain.lengths <= MAX_BYTES))
    if not len(rows):
        return plain
    full = analyse(fields.take(rows), exponent=True)
    for name in ("ok", "negative", "signed", "dot", "exp_at"):
        getattr(plain, name)[rows] = getattr(full, name)
    plain.words = []  # mixed: only numeric (no exponents) reads the words again
    return plain


def _first(flags: np.ndarray, found: np.ndarray, base: int) -> np.ndarray:
    """Positions found so far, with the first flagged byte of this word added where none was yet."""
    return np.where((found < 0) & (flags != _ZERO), base + swar.first(flags), found)


def digit_run(fields: Fields, stop: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The integer spelt by the `count` (at most 19) digits ending at `stop` (offsets within each field)."""
    value = np.zeros(len(fields), dtype=np.uint64)
    end = fields.start + stop
    for k in range(min(3, -(-int(count.max(initial=0)) // 8))):
        keep = np.minimum(np.maximum(count - 8 * k, 0), 8)
        word = fields.src.load(np.maximum(end - 8 * (k + 1), -8))
        digits = swar.fill(word, swar.high_bytes(keep), 48)
        value += swar.eight_digits(digits) * swar.POW10[8 * k]
    return value


def significant(text: DecimalText, rows: np.ndarray) -> np.ndarray:
    """Integer digits of the given rows without their leading zeros (only where a count matters)."""
    leading = np.full(len(rows), -1, dtype=np.int64)
    dot = text.dot[rows]
    for k, (word_rows, word) in enumerate(text.words):
        if word_rows is None:
            w = word[rows]
        else:  # this word was read only for some rows: those of `rows` among them
            at = np.searchsorted(word_rows, rows)
            present = (at < len(word_rows)) & (word_rows[np.minimum(at, len(word_rows) - 1)] == rows)
            w = np.where(present, word[np.minimum(at, len(word_rows) - 1)], np.uint64(0))
        inside = swar.flags_of(swar.low_bytes(np.minimum(np.maximum(dot - 8 * k, 0), 8)))
        leading = _first(inside & ~swar.equal(w, 48), leading, 8 * k)
    leading = np.where(leading < 0, dot, leading)
    return dot - leading
