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

ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
LOW_MASKS = np.array([0] + [(1 << (8 * i)) - 1 for i in range(1, 9)], dtype=np.uint64)  # the low i bytes
FRONT = 8  # bytes of padding before the block, so a word may start before the first byte
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
        self.cells: tuple[np.ndarray, np.ndarray] | None = None  # every field's [start, stop), (rows, columns)
        self._continuations: np.ndarray | None = None

    def load(self, offsets: np.ndarray) -> np.ndarray:
        """The 8 bytes at each offset as a little-endian word (first byte lowest); offsets may be -8..len."""
        at = offsets + FRONT
        q = at >> 3
        r = ((at & 7) << 3).astype(np.uint64)
        lo = self.words[q] >> r
        hi = self.words[q + 1] << (np.uint64(64) - r)  # a shift by 64 is 0 in numpy
        return lo | hi

    def continuations(self) -> np.ndarray:
        """UTF-8 continuation bytes (10xxxxxx: not a character of their own) in every field, (rows, columns):
        one pass over the block for all columns, the first time a column's length in characters is asked."""
        if self._continuations is None:
            assert self.cells is not None  # noqa: S101 - set by block_fields
            starts, stops = self.cells
            bounds = np.empty(starts.size * 2, dtype=np.int64)
            bounds[0::2], bounds[1::2] = starts.ravel(), stops.ravel()
            mask = ((self.arr & 0xC0) == 0x80).view(np.int8)
            if len(mask) and len(bounds):
                sums = np.add.reduceat(mask, np.minimum(bounds, len(mask) - 1), dtype=np.int32)[0::2]
                sums[(stops.ravel() <= starts.ravel())] = 0  # reduceat of an empty stretch is its first byte
            else:
                sums = np.zeros(starts.size, dtype=np.int32)
            self._continuations = sums.reshape(starts.shape)
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
            word = self._aligned[k] = self.src.words[index]
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
        return word & LOW_MASKS[np.minimum(np.maximum(rest, 0), 8)]

    def word_from_end(self, k: int) -> np.ndarray:
        """The 8 bytes ending 8k bytes before each field's end, bytes before its start zeroed (right-aligned)."""
        last = self.stop - 8 * (k + 1)
        keep = np.minimum(np.maximum(self.stop - 8 * k - self.start, 0), 8).astype(np.uint64)
        mask = ALL << (np.uint64(64) - 8 * keep)
        return self.src.load(last) & mask

    def byte(self, j: int | np.ndarray) -> np.ndarray:
        """Byte j of each field (0 past its end)."""
        at = self.start + j
        inside = at < self.stop
        return np.where(inside, self.src.arr[np.minimum(at, len(self.src.arr) - 1)], 0).astype(np.uint8)

    def chars(self) -> np.ndarray:
        """Length of each field in characters (what PostgreSQL counts), doubled quotes counted once."""
        if self.src.encoding.single_byte or self.src.ascii:
            n = self.lengths
        elif self.column < 0:  # a handful of plain strings
            n = np.array([len(self.raw(i).decode("utf-8", errors="replace")) for i in range(len(self))],
                         dtype=np.int64)
        else:
            extra = self.src.continuations()[:, self.column]
            n = self.lengths - (extra if self.rows is None else extra[self.rows])
        if self.doubled is not None:
            n = n - self.doubled
        return n

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
    seps = block.scan.separators.reshape(n, k - 1)
    record_starts = block.record_starts()
    stops_last = ends - ((ends < len(block.data)) & header.crlf)  # a CRLF record ends before its CR
    quoted = _quoted_fields(block, record_starts, k, header.separator)
    starts = np.empty((n, k), dtype=np.int64)
    stops = np.empty((n, k), dtype=np.int64)
    starts[:, 0], starts[:, 1:] = record_starts, seps + 1
    stops[:, :-1], stops[:, -1] = seps, stops_last
    src.cells = (starts, stops)
    columns = []
    for j in range(k):
        fields = Fields(src, np.ascontiguousarray(starts[:, j]), np.ascontiguousarray(stops[:, j]), column=j)
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
