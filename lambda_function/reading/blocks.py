"""Cut a CSV byte stream into record-aligned blocks and check its structure, without parsing values.

A quote-aware split (quote parity, as PostgreSQL's COPY reads CSV) keeps a quoted newline inside its
record, so each block's original bytes can go to COPY unchanged. The structural checks here reject
everything on which pandas and PostgreSQL could read the same bytes differently: stray quotes,
bare or mixed line endings, blank lines, ragged rows, NUL bytes, invalid UTF-8.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ..errors import FileRejected, RowError

QUOTE, LF, CR, NUL = 34, 10, 13, 0
QUOTE_BYTE = b'"'
BOM = b"\xef\xbb\xbf"


BLOCK_BYTES = 4 * 1024 * 1024  # BLOCK_BYTES's default: one place for the handler, validate and the CLI
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

    @property
    def separator(self) -> int:
        """The delimiter as a byte value (every allowed delimiter is one ASCII character)."""
        return ord(self.delimiter)


@dataclass(slots=True)
class Block:
    """Whole records: `data` is the original bytes, `first_row` the 1-based number of its first record."""

    data: bytes
    first_row: int
    rows: int
    record_ends: np.ndarray  # offset of each record's terminating LF (or len(data) for the last one)
    outside: np.ndarray | None = None  # per byte: outside quotes? (None: the block has no quotes at all)
    numbers: np.ndarray | None = None  # each record's row number when they are not first_row, first_row+1, ...

    def row_numbers(self) -> np.ndarray:
        if self.numbers is not None:
            return self.numbers
        return np.arange(self.first_row, self.first_row + self.rows, dtype=np.int64)

    def row_number(self, index: int) -> int:
        return int(self.numbers[index]) if self.numbers is not None else self.first_row + index

    def _spans(self) -> tuple[np.ndarray, np.ndarray]:
        """Each record's [start, stop) in `data`, its line terminator included."""
        starts = np.concatenate(([0], self.record_ends[:-1] + 1))
        return starts, np.minimum(self.record_ends + 1, len(self.data))

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
        block = _make_block(data, int(self.row_numbers()[keep[0]]))
        block.numbers = self.row_numbers()[keep]
        return block


def _outside_quotes(arr: np.ndarray) -> np.ndarray:
    """True where a byte lies outside quotes (the block starts outside quotes).

    Same as "even number of quotes up to and including this byte", built as alternating runs between
    quote positions: quotes are sparse, and np.repeat is ~15x faster than a cumsum over every byte.
    """
    quotes = np.flatnonzero(arr == QUOTE)
    runs = np.diff(quotes, prepend=0, append=len(arr))
    outside = np.zeros(len(runs), dtype=bool)
    outside[0::2] = True
    return np.repeat(outside, runs)


class CsvReader:
    """Reads the header, then yields record-aligned blocks; raises FileRejected on structural failure."""

    def __init__(self, chunks: Iterable[bytes], limits: Limits | None = None, delimiter: str = ",") -> None:
        self._chunks = iter(chunks)
        self._delimiter = delimiter
        self._limits = limits or Limits()
        self._buf = b""  # immutable: numpy views of it never block a resize
        self._eof = False
        self._rows_done = 0
        self.header: Header | None = None

    def _fill(self, want: int) -> None:
        parts, have = [self._buf], len(self._buf)
        while not self._eof and have < want:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._eof = True
            else:
                parts.append(chunk)
                have += len(chunk)
        if len(parts) > 1:
            self._buf = b"".join(parts)

    def read_header(self) -> Header:
        self._fill(len(BOM))
        bom = self._buf.startswith(BOM)
        if bom:
            self._buf = self._buf[len(BOM):]
        self._fill(_SNIFF_BYTES)
        if not self._buf:
            raise FileRejected([RowError(None, None, None, "file is empty")])
        foreign = _foreign_format(self._buf[:_SNIFF_BYTES])
        if foreign:
            raise FileRejected([RowError(None, None, None, f"file is not UTF-8 CSV: {foreign}")])
        end = self._find_record_end(0)
        while end < 0 and not self._eof and len(self._buf) <= self._limits.max_record_bytes:
            self._fill(len(self._buf) + 64 * 1024)
            end = self._find_record_end(0)
        if end < 0 and not self._eof:
            raise FileRejected([RowError(None, None, None,
                                         f"header line longer than {self._limits.max_record_bytes:,} bytes")])
        raw = self._buf[: end if end >= 0 else len(self._buf)]
        self._buf = self._buf[end + 1 if end >= 0 else len(self._buf):]
        crlf = raw.endswith(b"\r")
        line = (BOM if bom else b"") + raw + b"\n"  # the header line as written (for the rejected-rows file)
        if crlf:
            raw = raw[:-1]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FileRejected([RowError(None, None, None, "header is not valid UTF-8")]) from None
        if "\0" in text:  # UTF-16 or UTF-32 without a byte-order mark
            raise FileRejected([RowError(None, None, None, "header contains NUL bytes (UTF-16? save it as UTF-8)")])
        try:
            names = next(csv.reader(io.StringIO(text), strict=True, delimiter=self._delimiter), [])
        except csv.Error as exc:
            raise FileRejected([RowError(None, None, text[:200], f"a CSV header line ({exc})")]) from None
        self.header = Header(names, crlf, self._delimiter, line)
        return self.header

    def _find_record_end(self, start: int) -> int:
        arr = np.frombuffer(self._buf, dtype=np.uint8)[start:]
        ends = np.flatnonzero((arr == LF) & _outside_quotes(arr))
        return int(ends[0]) + start if len(ends) else -1

    def blocks(self) -> Iterator[Block]:
        if self.header is None:
            raise RuntimeError("read_header() first")
        limits = self._limits
        while True:
            self._fill(limits.block_bytes)
            if not self._buf:
                return
            buf = self._buf
            if QUOTE_BYTE in buf:
                outside: np.ndarray | None = _outside_quotes(np.frombuffer(buf, dtype=np.uint8))
                open_quote = not outside[-1]  # type: ignore[index]
                newlines = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == LF)
                last_end = int(newlines[outside[newlines]][-1]) if outside[newlines].any() else -1  # type: ignore[index]
            else:
                outside, open_quote, last_end = None, False, buf.rfind(b"\n")
            if self._eof:
                if open_quote:
                    rows_before = len(_make_block(buf[: last_end + 1], 0).record_ends) if last_end >= 0 else 0
                    raise FileRejected([RowError(self._rows_done + rows_before + 1, None, None,
                                                 "quoted field is never closed")])
                cut = len(buf)
            elif last_end < 0:
                if len(buf) > limits.max_record_bytes:
                    self._reject_long_record(open_quote)
                self._fill(len(buf) + limits.block_bytes)
                continue
            else:
                cut = len(_strip_trailing_blank_lines(buf[: last_end + 1]))
                if cut == 0:  # only blank lines so far: they may be the file's tail, so wait for more
                    self._fill(len(buf) + limits.block_bytes)
                    continue
            data, self._buf = buf[:cut], buf[cut:]
            if self._eof and not self._buf:
                stripped = _strip_trailing_blank_lines(data)
                if not stripped:
                    return
                if len(stripped) != len(data):
                    data, outside = stripped, None if outside is None else outside[: len(stripped)]
            block = _make_block(data, self._rows_done + 1, None if outside is None else outside[: len(data)])
            self._check_record_lengths(block)
            self._rows_done += block.rows
            yield block

    def _reject_long_record(self, open_quote: bool) -> None:
        limit = self._limits.max_record_bytes
        rule = (f"quoted field not closed within {limit:,} bytes" if open_quote
                else f"record longer than {limit:,} bytes")
        raise FileRejected([RowError(self._rows_done + 1, None, None, rule)])

    def _check_record_lengths(self, block: Block) -> None:
        starts = np.concatenate(([0], block.record_ends[:-1] + 1))
        too_long = np.flatnonzero(block.record_ends - starts > self._limits.max_record_bytes)
        if len(too_long):
            raise FileRejected([RowError(block.first_row + int(too_long[0]), None, None,
                                         f"record longer than {self._limits.max_record_bytes:,} bytes")])


_FOREIGN_STARTS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "it starts with a UTF-32 byte-order mark; save it as UTF-8"),
    (b"\x00\x00\xfe\xff", "it starts with a UTF-32 byte-order mark; save it as UTF-8"),
    (b"\xff\xfe", "it starts with a UTF-16 byte-order mark; save it as UTF-8"),
    (b"\xfe\xff", "it starts with a UTF-16 byte-order mark; save it as UTF-8"),
    (b"\x1f\x8b", "it is gzip-compressed; name the object with a .gz suffix"),
)


_SNIFF_BYTES = max(len(start) for start, _ in _FOREIGN_STARTS)


def _foreign_format(head: bytes) -> str | None:
    """Why the first bytes cannot begin a UTF-8 CSV, for a message that says what to do."""
    return next((why for start, why in _FOREIGN_STARTS if head.startswith(start)), None)


def _strip_trailing_blank_lines(data: bytes) -> bytes:
    """Editors often leave an empty last line; COPY would read it as a short row, so drop it."""
    stripped = data.rstrip(b"\r\n")
    if len(stripped) == len(data) or not stripped:
        return stripped
    return stripped + (b"\r\n" if data[len(stripped):].startswith(b"\r\n") else b"\n")


def _make_block(data: bytes, first_row: int, outside: np.ndarray | None = None) -> Block:
    arr = np.frombuffer(data, dtype=np.uint8)
    if outside is None and QUOTE_BYTE in data:
        outside = _outside_quotes(arr)
    newlines = np.flatnonzero(arr == LF)
    ends = newlines if outside is None else newlines[outside[newlines]]
    if len(ends) == 0 or ends[-1] != len(data) - 1:
        ends = np.append(ends, len(data))  # last record without a terminator
    return Block(data=data, first_row=first_row, rows=len(ends), record_ends=ends, outside=outside)
