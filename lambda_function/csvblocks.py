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

from .errors import FileRejected, RowError

QUOTE, COMMA, LF, CR, NUL = 34, 44, 10, 13, 0
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps that keep memory and time bounded whatever the file holds."""

    block_bytes: int = 4 * 1024 * 1024
    max_record_bytes: int = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Header:
    names: list[str]
    crlf: bool


@dataclass(slots=True)
class Block:
    """Whole records: `data` is the original bytes, `first_row` the 1-based number of its first record."""

    data: bytes
    first_row: int
    rows: int
    record_ends: np.ndarray  # offset of each record's terminating LF (or len(data) for the last one)


def _outside_quotes(arr: np.ndarray) -> np.ndarray:
    """True where a byte lies outside quotes (the block starts outside quotes)."""
    parity = np.cumsum(arr == QUOTE, dtype=np.uint8) & 1
    return parity == 0


class CsvReader:
    """Reads the header, then yields record-aligned blocks; raises FileRejected on structural failure."""

    def __init__(self, chunks: Iterable[bytes], limits: Limits | None = None) -> None:
        self._chunks = iter(chunks)
        self._limits = limits or Limits()
        self._buf = bytearray()
        self._eof = False
        self._rows_done = 0
        self.header: Header | None = None

    def _fill(self, want: int) -> None:
        while not self._eof and len(self._buf) < want:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._eof = True
            else:
                self._buf += chunk

    def read_header(self) -> Header:
        self._fill(len(BOM))
        if self._buf.startswith(BOM):
            del self._buf[: len(BOM)]
        self._fill(1)
        if not self._buf:
            raise FileRejected([RowError(None, None, None, "file is empty")])
        end = self._find_record_end(0)
        while end < 0 and not self._eof and len(self._buf) <= self._limits.max_record_bytes:
            self._fill(len(self._buf) + 64 * 1024)
            end = self._find_record_end(0)
        if end < 0 and not self._eof:
            raise FileRejected([RowError(None, None, None,
                                         f"header line longer than {self._limits.max_record_bytes:,} bytes")])
        raw = bytes(self._buf[: end if end >= 0 else len(self._buf)])
        del self._buf[: end + 1 if end >= 0 else len(self._buf)]
        crlf = raw.endswith(b"\r")
        if crlf:
            raw = raw[:-1]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FileRejected([RowError(None, None, None, "header is not valid UTF-8")]) from None
        names = next(csv.reader(io.StringIO(text), strict=True), [])
        self.header = Header(names, crlf)
        return self.header

    def _find_record_end(self, start: int) -> int:
        arr = np.frombuffer(bytes(self._buf[start:]), dtype=np.uint8)  # a copy: the buffer will shrink
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
            arr = np.frombuffer(self._buf, dtype=np.uint8)
            outside = _outside_quotes(arr)
            ends = np.flatnonzero((arr == LF) & outside)
            open_quote, n_ends, last_end = not outside[-1], len(ends), int(ends[-1]) if len(ends) else -1
            del arr, outside, ends  # release the buffer export so the bytearray can shrink
            if self._eof:
                if open_quote:
                    raise FileRejected([RowError(self._rows_done + n_ends + 1, None, None,
                                                 "quoted field is never closed")])
                cut = len(self._buf)
            elif n_ends == 0:
                if len(self._buf) > limits.max_record_bytes:
                    self._reject_long_record(open_quote)
                self._fill(len(self._buf) + limits.block_bytes)
                continue
            else:
                cut = last_end + 1
            data = bytes(self._buf[:cut])
            del self._buf[:cut]
            if self._eof and not self._buf:
                data = _strip_trailing_blank_lines(data)
                if not data:
                    return
            block = _make_block(data, self._rows_done + 1)
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


def _strip_trailing_blank_lines(data: bytes) -> bytes:
    """Editors often leave an empty last line; COPY would read it as a short row, so drop it."""
    stripped = data.rstrip(b"\r\n")
    if len(stripped) == len(data):
        return data
    return stripped + (b"\r\n" if data[len(stripped):].startswith(b"\r\n") else b"\n")


def _make_block(data: bytes, first_row: int) -> Block:
    arr = np.frombuffer(data, dtype=np.uint8)
    outside = _outside_quotes(arr)
    ends = np.flatnonzero((arr == LF) & outside)
    if len(ends) == 0 or ends[-1] != len(data) - 1:
        ends = np.append(ends, len(data))  # last record without a terminator
    return Block(data=data, first_row=first_row, rows=len(ends), record_ends=ends)


def structure_errors(block: Block, header: Header) -> list[RowError]:
    """Everything structurally wrong in a block, each error at its record (and column when known)."""
    data = block.data
    arr = np.frombuffer(data, dtype=np.uint8)
    outside = _outside_quotes(arr)
    errors: list[tuple[int, str]] = []  # (byte offset, rule)

    for pos in np.flatnonzero(arr == NUL)[:50]:
        errors.append((int(pos), "no NUL characters"))

    is_quote = arr == QUOTE
    prev = np.concatenate(([LF], arr[:-1]))
    nxt = np.concatenate((arr[1:], [LF]))
    opening = is_quote & ~outside  # parity odd just after this quote
    closing = is_quote & outside
    bad_open = opening & (prev != COMMA) & (prev != LF) & (prev != QUOTE)
    bad_close = closing & (nxt != COMMA) & (nxt != LF) & (nxt != CR) & (nxt != QUOTE)
    for pos in np.flatnonzero(bad_open | bad_close)[:50]:
        errors.append((int(pos), "quotes only around a whole field (\"a,b\"), inner quotes doubled"))

    cr_out = (arr == CR) & outside
    lf_out = (arr == LF) & outside
    if header.crlf:
        bad_eol = (cr_out & (nxt != LF)) | (lf_out & (prev != CR))
        rule = "line endings all CRLF, as in the header line"
    else:
        bad_eol = cr_out
        rule = "line endings all LF, as in the header line"
    for pos in np.flatnonzero(bad_eol)[:50]:
        errors.append((int(pos), rule))

    ends = block.record_ends
    starts = np.concatenate(([0], ends[:-1] + 1))
    content_len = ends - starts - (1 if header.crlf else 0)
    for i in np.flatnonzero(content_len <= 0)[:50]:
        errors.append((int(starts[i]), "no blank lines between records"))

    comma_pos = np.flatnonzero((arr == COMMA) & outside)
    fields = np.bincount(np.searchsorted(ends, comma_pos), minlength=len(ends))[: len(ends)] + 1
    expected = len(header.names)
    for i in np.flatnonzero((fields != expected) & (content_len > 0))[:50]:
        errors.append((int(starts[i]), f"{expected} fields per record, found {int(fields[i])}"))

    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.append((exc.start, "valid UTF-8 text"))

    return [_locate(block, header, outside, pos, rule) for pos, rule in sorted(errors)]


def _locate(block: Block, header: Header, outside: np.ndarray, pos: int, rule: str) -> RowError:
    """Map a byte offset to (row, column) and quote the offending field's text."""
    idx = int(np.searchsorted(block.record_ends, pos))
    start = 0 if idx == 0 else int(block.record_ends[idx - 1]) + 1
    end = int(block.record_ends[idx]) if idx < len(block.record_ends) else len(block.data)
    data = block.data
    column: str | None = None
    lo, hi = start, end
    if not rule.startswith(("no blank", "line endings")) and "fields per record" not in rule:
        arr = np.frombuffer(data, dtype=np.uint8)
        commas = np.flatnonzero((arr[start:end] == COMMA) & outside[start:end]) + start
        col_idx = int(np.searchsorted(commas, pos))
        if col_idx < len(header.names):
            column = header.names[col_idx]
            lo = int(commas[col_idx - 1]) + 1 if col_idx > 0 else start
            hi = int(commas[col_idx]) if col_idx < len(commas) else end
    value = data[lo:hi].rstrip(b"\r").decode("utf-8", errors="replace")
    return RowError(block.first_row + idx, column, value, rule)
