"""Cut a CSV byte stream into record-aligned blocks, without parsing values.

A quote-aware split (quote parity, as PostgreSQL's COPY reads CSV) keeps a quoted newline inside its
record, so each block's original bytes can go to COPY unchanged. One scan per block finds every byte
that matters for structure (line feeds, delimiters, quotes, carriage returns) and keeps their offsets:
the structure checks, the field offsets the value checks work on, and the rejected-records cut all use
them, so no later step looks at every byte again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ..errors import FileRejected, RowError
from .text_encodings import UTF8, Encoding

QUOTE, LF, CR, NUL = 34, 10, 13, 0
BOM = b"\xef\xbb\xbf"
_NONE = np.zeros(0, dtype=np.int64)

BLOCK_BYTES = 4 * 1024 * 1024  # BLOCK_BYTES's default: one place for the handler, validate and the CLI
# Each numpy operation costs a few microseconds whatever its length: a block of long records grows (up to
# GROWTH x BLOCK_BYTES) until it holds about TARGET_ROWS records, so those costs stay small per record.
TARGET_ROWS = 16_384
GROWTH = 4
MAX_RECORD_BYTES = 1024 * 1024  # MAX_RECORD_BYTES's default


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps that keep memory and time bounded whatever the file holds."""

    block_bytes: int = BLOCK_BYTES
    max_record_bytes: int = MAX_RECORD_BYTES


@dataclass(frozen=True, slots=True)
class Header:
    names: list[str]
    crlf: bool
    delimiter: str = ","
    line: bytes = b""  # as written: byte-order mark and line terminator included
    encoding: Encoding = UTF8

    @property
    def separator(self) -> int:
        """The delimiter as a byte value (every allowed delimiter is one ASCII character)."""
        return ord(self.delimiter)


@dataclass(frozen=True, slots=True)
class Scan:
    """Offsets of the structural bytes of some data, quote parity applied (a scan starts outside quotes)."""

    line_ends: np.ndarray  # LF outside quotes
    separators: np.ndarray  # delimiters outside quotes
    quotes: np.ndarray | None  # every quote (None: the data has none)
    opening: np.ndarray | None  # per quote: does it open a quoted stretch (odd parity just after it)
    crs: np.ndarray  # CR outside quotes
    open_at_end: bool  # the data ends inside quotes

    @classmethod
    def of(cls, data: bytes, separator: int, start: int = 0, stop: int | None = None) -> Scan:
        """The scan of data[start:stop] (offsets relative to start), without copying it."""
        stop = len(data) if stop is None else stop
        arr = np.frombuffer(data, dtype=np.uint8, count=stop - start, offset=start)
        has_quotes, has_cr = data.find(b'"', start, stop) >= 0, data.find(b"\r", start, stop) >= 0
        special = (arr == LF) | (arr == separator)
        if has_quotes:
            special |= arr == QUOTE
        if has_cr:
            special |= arr == CR
        pos = np.flatnonzero(special)
        kind = arr[pos]
        if not has_quotes:
            lf = kind == LF
            crs = pos[kind == CR] if has_cr else _NONE
            return cls(pos[lf], pos[kind == separator], None, None, crs, False)
        is_quote = kind == QUOTE
        odd = (np.cumsum(is_quote, dtype=np.int32) & 1).astype(bool)  # parity just after each byte
        outside = ~odd
        crs = pos[(kind == CR) & outside] if has_cr else _NONE
        quote_at = np.flatnonzero(is_quote)  # few: index them rather than mask every special
        return cls(pos[(kind == LF) & outside], pos[(kind == separator) & outside], pos[quote_at], odd[quote_at],
                   crs, bool(odd[-1]))

    def until(self, stop: int) -> Scan:
        """The same scan restricted to offsets below `stop` (a block cut from the scanned buffer)."""
        def cut(a: np.ndarray) -> np.ndarray:
            return a[: int(np.searchsorted(a, stop))]

        quotes = None if self.quotes is None else cut(self.quotes)
        opening = None if self.opening is None or quotes is None else self.opening[: len(quotes)]
        if quotes is not None and not len(quotes):
            quotes = opening = None
        return Scan(cut(self.line_ends), cut(self.separators), quotes, opening, cut(self.crs), False)


@dataclass(slots=True)
class Block:
    """Whole records: `data` is the original bytes, `first_row` the 1-based number of its first record."""

    data: bytes
    first_row: int
    rows: int
    record_ends: np.ndarray  # offset of each record's terminating LF (or len(data) for the last one)
    scan: Scan
    separator: int = 44  # the delimiter's byte
    numbers: np.ndarray | None = None  # each record's row number when they are not first_row, first_row+1, ...

    @classmethod
    def of(cls, data: bytes, first_row: int, separator: int, scan: Scan | None = None) -> Block:
        scan = scan or Scan.of(data, separator)
        ends = scan.line_ends
        if len(ends) == 0 or ends[-1] != len(data) - 1:
            ends = np.append(ends, len(data))  # last record without a terminator
        return cls(data, first_row, len(ends), ends, scan, separator)

    def row_numbers(self) -> np.ndarray:
        if self.numbers is not None:
            return self.numbers
        return np.arange(self.first_row, self.first_row + self.rows, dtype=np.int64)

    def row_number(self, index: int) -> int:
        return int(self.numbers[index]) if self.numbers is not None else self.first_row + index

    def record_starts(self) -> np.ndarray:
        starts = np.empty(self.rows, dtype=np.int64)
        starts[0] = 0
        starts[1:] = self.record_ends[:-1] + 1
        return starts

    def _spans(self) -> tuple[np.ndarray, np.ndarray]:
        """Each record's [start, stop) in `data`, its line terminator included."""
        return self.record_starts(), np.minimum(self.record_ends + 1, len(self.data))

    def records(self, indices: np.ndarray) -> bytes:
        """The original bytes of these records (in order), terminators included."""
        starts, stops = self._spans()
        return b"".join(self.data[starts[i]:stops[i]] for i in indices)

    def without(self, indices: np.ndarray) -> Block | None:
        """The same block with these records cut out (None when none is left): what COPY still gets."""
        drop = np.zeros(self.rows, dtype=bool)
        drop[indices] = True
        if not drop.any():
            return self
        if drop.all():
            return None
        keep = np.flatnonzero(~drop)
        starts, stops = self._spans()
        breaks = np.flatnonzero(np.diff(keep) != 1)  # runs of consecutive kept records: one slice each
        firsts, lasts = np.concatenate(([keep[0]], keep[breaks + 1])), np.concatenate((keep[breaks], [keep[-1]]))
        data = b"".join(self.data[starts[a]:stops[b]] for a, b in zip(firsts, lasts, strict=True))
        block = Block.of(data, int(self.row_numbers()[keep[0]]), self.separator)
        block.numbers = self.row_numbers()[keep]
        return block


class CsvReader:
    """Reads the header, then yields record-aligned blocks; raises FileRejected on structural failure.

    The bytes not yet cut into blocks are `_buf[_pos:]`: a block is the one copy made of them, and the
    buffer is compacted only when more chunks arrive, so a large chunk is never copied once per block.
    """

    def __init__(self, chunks: Iterable[bytes], limits: Limits | None = None, delimiter: str = ",",
                 encoding: Encoding = UTF8) -> None:
        self._chunks = iter(chunks)
        self._delimiter = delimiter
        self._separator = ord(delimiter)
        self._encoding = encoding
        self._limits = limits or Limits()
        self._buf = b""  # immutable: numpy views of it never block a resize
        self._pos = 0
        self._eof = False
        self._rows_done = 0
        self._block_bytes = self._limits.block_bytes
        self.header: Header | None = None

    @property
    def _available(self) -> int:
        return len(self._buf) - self._pos

    def _fill(self, want: int) -> None:
        """Read chunks until `want` bytes are available (or the stream ends)."""
        if self._eof or self._available >= want:
            return
        parts, have = [self._buf[self._pos:]], self._available
        while not self._eof and have < want:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._eof = True
            else:
                parts.append(chunk)
                have += len(chunk)
        self._buf, self._pos = b"".join(parts), 0

    def read_header(self) -> Header:
        self._fill(len(BOM))
        bom = self._encoding.is_utf8 and self._buf.startswith(BOM, self._pos)
        if bom:
            self._pos += len(BOM)
        self._fill(_SNIFF_BYTES)
        if not self._available:
            raise FileRejected([RowError(None, None, None, "file is empty")])
        foreign = _foreign_format(self._buf[self._pos:self._pos + _SNIFF_BYTES])
        if foreign:
            raise FileRejected([RowError(None, None, None, f"file is not {self._encoding.name} CSV: {foreign}")])
        end = self._find_record_end()
        while end < 0 and not self._eof and self._available <= self._limits.max_record_bytes:
            self._fill(self._available + 64 * 1024)
            end = self._find_record_end()
        if end < 0 and not self._eof:
            raise FileRejected([RowError(None, None, None,
                                         f"header line longer than {self._limits.max_record_bytes:,} bytes")])
        size = end if end >= 0 else self._available
        raw = self._buf[self._pos:self._pos + size]
        self._pos += size + 1 if end >= 0 else size
        crlf = raw.endswith(b"\r")
        line = (BOM if bom else b"") + raw + b"\n"  # the header line as written (for the rejected-rows file)
        if crlf:
            raw = raw[:-1]
        try:
            text = raw.decode(self._encoding.codec)
        except UnicodeDecodeError:
            what = "UTF-8" if self._encoding.is_utf8 else f"{self._encoding.name} text"
            raise FileRejected([RowError(None, None, None, f"header is not valid {what}")]) from None
        if "\0" in text:  # UTF-16 or UTF-32 without a byte-order mark
            raise FileRejected([RowError(None, None, None, "header contains NUL bytes (UTF-16? save it as UTF-8)")])
        try:
            names = next(csv.reader(io.StringIO(text), strict=True, delimiter=self._delimiter), [])
        except csv.Error as exc:
            raise FileRejected([RowError(None, None, text[:200], f"a CSV header line ({exc})")]) from None
        self.header = Header(names, crlf, self._delimiter, line, self._encoding)
        return self.header

    def _find_record_end(self) -> int:
        """Offset (from _pos) of the first record end, looking at a growing window of what is buffered."""
        window = 64 * 1024
        while True:
            stop = min(self._pos + window, len(self._buf))
            ends = Scan.of(self._buf, self._separator, self._pos, stop).line_ends
            if len(ends):
                return int(ends[0])
            if stop == len(self._buf):
                return -1
            window *= 2

    def blocks(self) -> Iterator[Block]:
        if self.header is None:
            raise RuntimeError("read_header() first")
        limits = self._limits
        while True:
            self._fill(self._block_bytes)
            if not self._available:
                return
            # Scan at most a block's worth (parity from a record start holds for any prefix), so a large
            # chunk is cut into blocks of the configured size, each scanned once.
            window = self._block_bytes
            while True:
                stop = min(self._pos + window, len(self._buf))
                scan = Scan.of(self._buf, self._separator, self._pos, stop)
                whole = stop == len(self._buf)
                last_end = int(scan.line_ends[-1]) if len(scan.line_ends) else -1
                # blank lines at the end may be the file's tail: they wait for the next look
                cut = _content_end(self._buf, self._pos, self._pos + last_end + 1) if last_end >= 0 else 0
                if cut or whole:
                    break
                window *= 2
            if whole and self._eof:
                if scan.open_at_end:
                    rows_before = len(scan.until(last_end + 1).line_ends)
                    raise FileRejected([RowError(self._rows_done + rows_before + 1, None, None,
                                                 "quoted field is never closed")])
                cut = _content_end(self._buf, self._pos, len(self._buf))
                if not cut:
                    return
            elif whole and not cut:  # no complete record yet: read on (within the record size limit)
                if last_end < 0 and self._available > limits.max_record_bytes:
                    self._reject_long_record(scan.open_at_end)
                self._fill(self._available + self._block_bytes)
                continue
            data = self._buf[self._pos:self._pos + cut]
            self._pos += cut
            block = Block.of(data, self._rows_done + 1, self._separator, scan.until(cut))
            self._check_record_lengths(block)
            self._rows_done += block.rows
            self._grow(block)
            yield block

    def _grow(self, block: Block) -> None:
        """Long records: the next blocks hold more bytes, up to GROWTH times the configured size."""
        if block.rows < TARGET_ROWS and len(block.data) >= self._block_bytes // 2:
            wanted = len(block.data) * TARGET_ROWS // max(block.rows, 1)
            self._block_bytes = min(max(self._block_bytes, wanted), GROWTH * self._limits.block_bytes)

    def _reject_long_record(self, open_quote: bool) -> None:
        limit = self._limits.max_record_bytes
        rule = (f"quoted field not closed within {limit:,} bytes" if open_quote
                else f"record longer than {limit:,} bytes")
        raise FileRejected([RowError(self._rows_done + 1, None, None, rule)], final=False)  # rests on a setting

    def _check_record_lengths(self, block: Block) -> None:
        too_long = np.flatnonzero(block.record_ends - block.record_starts() > self._limits.max_record_bytes)
        if len(too_long):
            raise FileRejected([RowError(block.first_row + int(too_long[0]), None, None,
                                         f"record longer than {self._limits.max_record_bytes:,} bytes")],
                                final=False)


_FOREIGN_STARTS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "it starts with a UTF-32 byte-order mark; save it as UTF-8"),
    (b"\x00\x00\xfe\xff", "it starts with a UTF-32 byte-order mark; save it as UTF-8"),
    (b"\xff\xfe", "it starts with a UTF-16 byte-order mark; save it as UTF-8"),
    (b"\xfe\xff", "it starts with a UTF-16 byte-order mark; save it as UTF-8"),
    (b"\x1f\x8b", "it is gzip-compressed; name the object with a .gz suffix"),
)


_SNIFF_BYTES = max(len(start) for start, _ in _FOREIGN_STARTS)


def _foreign_format(head: bytes) -> str | None:
    """Why the first bytes cannot begin a text CSV, for a message that says what to do."""
    return next((why for start, why in _FOREIGN_STARTS if head.startswith(start)), None)


def _content_end(buf: bytes, start: int, end: int) -> int:
    """Length of buf[start:end] without trailing blank lines (one line terminator kept, as written).

    Editors often leave an empty last line; COPY would read it as a short row, so it is dropped."""
    i = end
    while i > start and buf[i - 1] in (10, 13):
        i -= 1
    if i in (end, start):
        return i - start
    return i - start + (2 if buf[i:i + 2] == b"\r\n" else 1)
