"""A column of a block as offsets into the block's own bytes: what every rule works on.

The block's scan already knows every delimiter and record end, so each field's [start, stop) comes from
a reshape, never from parsing values into Python strings. Rules read the bytes through `words` (eight
bytes of every field at once, as unsigned 64-bit words: a handful of numpy operations checks a whole
column), and only a failure, or a rare spelling outside a rule's fast path, is decoded into a `str`.

A quoted field's offsets exclude its quotes; a field whose content holds a doubled quote (`""`) is
`escaped`: its text is not its bytes, so rules treat it on the exact path (it is never a number, date,
uuid or boolean anyway).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..reading.blocks import LF, Block, Header
from ..reading.text_encodings import UTF8, Encoding

LOW_MASKS = np.array([0] + [(1 << (8 * i)) - 1 for i in range(1, 9)], dtype=np.uint64)  # the low i bytes
FRONT = 8  # bytes of padding before the block, so a word may start before the first byte
BYTES_PER_DECODED = 4096  # chars(): fewer fields than one per 4 KiB of block are decoded one by one
CHARS_BY_WORDS = 4  # chars(): fields of up to 32 bytes are counted in their words, longer ones by a block pass
BACK = 64  # and after it: a rule may read a word at a fixed offset (up to 40) past a short field


class BlockBytes:
    """A block's bytes as a padded buffer of aligned 64-bit words, plus what several columns share."""

    def __init__(self, data: bytes, encoding: Encoding = UTF8) -> None:
        self.data = data
        self.encoding = encoding
        self.arr = np.frombuffer(data, dtype=np.uint8)
        padded = b"\0" * FRONT + data + b"\0" * (BACK + (-len(data)) % 8)
        self.words = np.frombuffer(padded, dtype="<u8")
        self.ascii = data.isascii()
        self._continuations: np.ndarray | None = None

    def load(self, offsets: np.ndarray) -> np.ndarray:
        """The 8 bytes at each offset as a little-endian word (first byte lowest); offsets may be -8..len."""
        at = offsets + FRONT
        q = at >> 3
        r = ((at & 7) << 3).astype(np.uint64)
        lo = self.words.take(q) >> r
        hi = self.words.take(q + 1) << (np.uint64(64) - r)  # a shift by 64 is 0 in numpy
        return lo | hi

    def continuations_before(self) -> np.ndarray:
        """How many UTF-8 continuation bytes (10xxxxxx: not a character of their own) precede each offset:
        one running count over the block, the first time a column's length in characters is needed."""
        if self._continuations is None:
            counts = np.empty(len(self.arr) + 1, dtype=np.int32)
            counts[0] = 0
            counts[1:] = (self.arr & 0xC0) == 0x80
            self._continuations = np.cumsum(counts, out=counts)  # in place: a casting cumsum is 3x slower
        return self._continuations


@dataclass(slots=True)
class Fields:
    """One column's fields: [start, stop) into the block's bytes, quotes excluded."""

    src: BlockBytes
    start: np.ndarray
    stop: np.ndarray
    quoted: np.ndarray | None = None  # None: no field of this column is quoted
    escaped: np.ndarray | None = None  # None: no field holds a doubled quote
    doubled: np.ndarray | None = None  # per field: how many doubled quotes (each reads as one character)
    column: int = -1  # which column of the block (-1: fields made from plain strings)
    rows: np.ndarray | None = None  # the block rows these fields are (None: every row, in order)
    # What every word read shares: each field's aligned word index and bit shift, the aligned words read.
    _lengths: np.ndarray | None = field(default=None, repr=False, compare=False)
    _q: np.ndarray | None = field(default=None, repr=False, compare=False)
    _shift: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)
    _aligned: dict[int, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.start)

    @property
    def lengths(self) -> np.ndarray:
        if self._lengths is None:
            self._lengths = self.stop - self.start
        return self._lengths

    def take(self, idx: np.ndarray) -> Fields:
        quoted = None if self.quoted is None else self.quoted[idx]
        escaped = None if self.escaped is None else self.escaped[idx]
        doubled = None if self.doubled is None else self.doubled[idx]
        rows = idx if self.rows is None else self.rows[idx]
        return Fields(self.src, self.start[idx], self.stop[idx], quoted, escaped, doubled, self.column, rows)

    def _aligned_word(self, k: int) -> np.ndarray:
        """The aligned buffer word k words after each field's first one (read once per column and k)."""
        if self._q is None or self._aligned is None:
            at = self.start + FRONT
            self._q = at >> 3
            shift = ((at & 7) << 3).astype(np.uint64)
            self._shift = (shift, np.uint64(64) - shift)  # a shift by 64 is 0 in numpy
            self._aligned = {}
        word = self._aligned.get(k)
        if word is None:
            index = self._q + k
            if k > 7:  # past a short field's end the index may leave the buffer: the mask clears what is read
                index = np.minimum(index, len(self.src.words) - 1)
            word = self._aligned[k] = self.src.words.take(index)
        return word

    def word(self, k: int) -> np.ndarray:
        """Bytes [start+8k, start+8k+8) of each field, bytes past its end zeroed."""
        low, high = self._aligned_word(k), self._aligned_word(k + 1)
        assert self._shift is not None  # noqa: S101 - set by _aligned_word
        right, left = self._shift
        word = (low >> right) | (high << left)
        rest = self.lengths - 8 * k
        if len(rest) and rest.min() >= 8:
            return word
        return word & LOW_MASKS.take(np.minimum(np.maximum(rest, 0), 8))  # take: twice as fast as [...]

    def byte(self, j: int | np.ndarray) -> np.ndarray:
        """Byte j of each field (0 past its end)."""
        at = self.start + j
        inside = at < self.stop
        return np.where(inside, self.src.arr[np.minimum(at, len(self.src.arr) - 1)], 0).astype(np.uint8)

    def chars(self) -> np.ndarray:
        """Length of each field in characters (what PostgreSQL counts), doubled quotes counted once."""
        n = self.lengths if self.doubled is None else self.lengths - self.doubled
        if self.src.encoding.single_byte or self.src.ascii:
            return n
        if len(self) * BYTES_PER_DECODED < len(self.src.arr):  # a few fields: decoded, not a pass over the block
            return np.array([len(self.text(i)) for i in range(len(self))], dtype=np.int64)
        words = -(-int(self.lengths.max(initial=0)) // 8)
        if words <= CHARS_BY_WORDS:  # short fields: their continuation bytes counted in their own words
            for k in range(words):
                word = self.word(k).view(np.uint8)
                n = n - np.bitwise_count(((word & 0xC0) == 0x80).view(np.uint64)).astype(np.int64)
            return n
        before = self.src.continuations_before()
        return n - (before[self.stop] - before[self.start])

    def chars_within(self, low: int | None, high: int | None) -> np.ndarray:
        """low <= length in characters <= high, per field. A UTF-8 character is 1-4 bytes, so the byte length
        decides most fields; characters are counted only for the others."""
        n = self.lengths if self.doubled is None else self.lengths - self.doubled
        exact = self.src.encoding.single_byte or self.src.ascii
        fewest = n if exact else (n + 3) // 4
        ok = np.ones(len(self), dtype=bool)
        if low is not None:
            ok &= n >= low
        if high is not None:
            ok &= fewest <= high
        if exact:
            return ok
        open_ = np.zeros(len(self), dtype=bool)
        if low is not None:
            open_ |= fewest < low
        if high is not None:
            open_ |= n > high
        rows = np.flatnonzero(open_ & ok)
        if len(rows):
            chars = self.take(rows).chars()
            ok[rows] = ((chars >= low) if low is not None else True) & ((chars <= high) if high is not None else True)
        return ok

    def raw(self, i: int) -> bytes:
        return self.src.data[int(self.start[i]):int(self.stop[i])]

    def text(self, i: int) -> str:
        """Field i as PostgreSQL reads it: decoded, a doubled quote read as one."""
        text = self.raw(i).decode(self.src.encoding.codec, errors="replace")
        return text.replace('""', '"') if self.escaped is not None and self.escaped[i] else text

    def texts(self, idx: np.ndarray | None = None) -> list[str]:
        return [self.text(int(i)) for i in (range(len(self)) if idx is None else idx)]

    @classmethod
    def of_texts(cls, texts: list[str], encoding: Encoding = UTF8) -> Fields:
        """Fields over a buffer made of these values (a single value's explanation runs the block code)."""
        parts = [t.encode(encoding.codec, errors="replace") for t in texts]
        lengths = np.array([len(p) for p in parts], dtype=np.int64)
        stop = np.cumsum(lengths + 1) - 1
        start = stop - lengths
        src = BlockBytes(b"\n".join(parts) + b"\n", encoding)
        return cls(src, start, stop)


def block_fields(block: Block, header: Header, src: BlockBytes | None = None) -> list[Fields]:
    """Every column of a block whose records all have the header's number of fields (structure passed)."""
    src = src or BlockBytes(block.data, header.encoding)
    n, k = block.rows, len(header.names)
    ends = block.record_ends
    # one strided copy of every delimiter, column by column: each column's bounds are then rows of it
    seps = np.ascontiguousarray(block.scan.separators.reshape(n, k - 1).T)
    record_starts = block.record_starts()
    stops_last = ends - ((ends < len(block.data)) & header.crlf)  # a CRLF record ends before its CR
    quoted = _quoted_fields(block, record_starts, k, header.separator)
    columns = []
    for j in range(k):
        start = record_starts if j == 0 else seps[j - 1] + 1
        stop = stops_last if j == k - 1 else seps[j]
        fields = Fields(src, start, stop, column=j)
        rows = quoted[j]
        columns.append(fields if rows is None else _unquoted(fields, rows, block))
    return columns


def _quoted_fields(block: Block, record_starts: np.ndarray, k: int, separator: int) -> list[np.ndarray | None]:
    """Per column, the rows whose field starts with a quote (found from the few quotes, not from every field).

    A quote that opens a quoted stretch is at a field start unless it is the second half of a doubled
    quote inside a field: only those at a field start (after a delimiter, a line feed or the block start)
    count."""
    quotes, opening = block.scan.quotes, block.scan.opening
    out: list[np.ndarray | None] = [None] * k
    if quotes is None or opening is None:
        return out
    first = quotes[opening]
    arr = np.frombuffer(block.data, dtype=np.uint8)
    before = arr[np.maximum(first - 1, 0)]
    first = first[(first == 0) | (before == LF) | (before == separator)]
    if not len(first):
        return out
    rows = np.searchsorted(block.record_ends, first)
    seps = block.scan.separators
    columns = np.searchsorted(seps, first) - np.searchsorted(seps, record_starts[rows])
    for j in np.unique(columns):
        out[int(j)] = rows[columns == j]
    return out


def _unquoted(fields: Fields, rows: np.ndarray, block: Block) -> Fields:
    """Offsets of the content of quoted fields (their quotes excluded), and which hold doubled quotes.

    The structure checks guarantee that a field starting with a quote is quoted as a whole and that its
    closing quote is its last byte."""
    quoted = np.zeros(len(fields), dtype=bool)
    quoted[rows] = True
    start = fields.start.copy()
    stop = fields.stop.copy()
    start[rows] += 1
    stop[rows] -= 1
    quotes = block.scan.quotes
    assert quotes is not None  # noqa: S101 - there are quoted fields
    inner = np.searchsorted(quotes, stop[rows]) - np.searchsorted(quotes, start[rows])
    if not inner.any():
        return Fields(fields.src, start, stop, quoted, column=fields.column)
    doubled = np.zeros(len(quoted), dtype=np.int64)
    doubled[rows] = inner // 2
    return Fields(fields.src, start, stop, quoted, doubled > 0, doubled, column=fields.column)
