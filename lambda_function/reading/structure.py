"""Structural checks of a record-aligned block, without parsing values.

They reject everything on which a CSV reader and PostgreSQL could read the same bytes differently:
stray quotes, bare or mixed line endings, blank lines, ragged rows, NUL bytes, bytes the encoding does
not define (invalid UTF-8). Each error is located at its record (and column when known). Some problems
concern one record only (its field count, its encoding): with row-level rejects that record can be set
aside; the others put the record boundaries themselves in doubt and fail the whole file.

Everything works on the offsets the block's scan already found (line feeds, delimiters, quotes, CRs),
so a clean block costs a few operations on those few offsets, not a pass over every byte.
"""

from __future__ import annotations

import numpy as np

from ..errors import RowError
from .blocks import CR, LF, NUL, QUOTE, Block, Header

NO_NUL = "no NUL characters"
FIELD_COUNT = "fields per record"  # part of "7 fields per record, found 6"
CAP = 50  # errors of one kind listed per block when the file fails anyway
SPARSE_NON_ASCII = 16  # valid_utf8: at most one byte in 16 non-ASCII is sparse


def valid_text_rule(header: Header) -> str:
    return "valid UTF-8 text" if header.encoding.is_utf8 else f"characters {header.encoding.name} defines"


def is_record_level(error: RowError) -> bool:
    """A problem of one record that leaves every record boundary certain (so the record can be set aside)."""
    return error.row is not None and (error.rule == NO_NUL or error.rule.startswith(("valid UTF-8", "characters "))
                                      or FIELD_COUNT in error.rule)


def field_counts(block: Block) -> np.ndarray:
    """Fields in each record: delimiters before its end, differenced (one search per record)."""
    return np.diff(np.searchsorted(block.scan.separators, block.record_ends), prepend=0) + 1


def _every_record_has(block: Block, starts: np.ndarray, expected: int) -> bool:
    """As many delimiters as records times (fields - 1), each record's first and last of them inside it: then
    every record has exactly `expected` fields (a cheaper answer than counting per record)."""
    seps = block.scan.separators
    per = expected - 1
    if len(seps) != block.rows * per:
        return False
    if per == 0:
        return True
    grid = seps.reshape(block.rows, per)
    return bool((grid[:, 0] >= starts).all() and (grid[:, -1] < block.record_ends).all())


def structure_errors(block: Block, header: Header, cap: int | None = CAP) -> list[RowError]:
    """Everything structurally wrong in a block, each error at its record (and column when known).

    `cap=None` lists every error (row-level rejects must find every bad record, not only the first ones).
    """
    data, scan = block.data, block.scan
    n = len(data)
    errors: list[tuple[int, str]] = []  # (byte offset, rule)

    if b"\x00" in data:
        errors.extend((int(p), NO_NUL) for p in np.flatnonzero(np.frombuffer(data, np.uint8) == NUL)[:cap])

    if scan.quotes is not None and scan.opening is not None:
        quotes, opening = scan.quotes, scan.opening
        arr = np.frombuffer(data, dtype=np.uint8)
        prev = np.where(quotes > 0, arr[np.maximum(quotes - 1, 0)], LF)
        nxt = np.where(quotes < n - 1, arr[np.minimum(quotes + 1, n - 1)], LF)
        sep = header.separator
        bad_open = opening & (prev != sep) & (prev != LF) & (prev != QUOTE)
        bad_close = ~opening & (nxt != sep) & (nxt != LF) & (nxt != CR) & (nxt != QUOTE)
        rule = 'quotes only around a whole field ("a,b"), inner quotes doubled'
        errors.extend((int(p), rule) for p in quotes[bad_open | bad_close][:cap])

    ends = block.record_ends
    lfs = ends[ends < n]
    if len(scan.crs) or header.crlf:
        arr = np.frombuffer(data, dtype=np.uint8)
        crs = scan.crs
        after_cr = np.where(crs < n - 1, arr[np.minimum(crs + 1, n - 1)], LF)
        if header.crlf:
            bad = list(crs[after_cr != LF])
            bad += list(lfs[(lfs == 0) | (arr[np.maximum(lfs - 1, 0)] != CR)])
            rule = "line endings all CRLF, as in the header line"
        else:
            bad, rule = list(crs), "line endings all LF, as in the header line"
        errors.extend((int(p), rule) for p in sorted(bad)[:cap])

    starts = block.record_starts()
    content_len = ends - starts - (1 if header.crlf else 0)
    for i in np.flatnonzero(content_len <= 0)[:cap]:
        errors.append((int(starts[i]), "no blank lines between records"))

    expected = len(header.names)
    if not _every_record_has(block, starts, expected):
        fields = field_counts(block)
        for i in np.flatnonzero((fields != expected) & (content_len > 0))[:cap]:
            errors.append((int(starts[i]), f"{expected} {FIELD_COUNT}, found {int(fields[i])}"))

    most = 1 if cap is not None else None
    bad_text = _invalid_utf8(data, ends, most) if header.encoding.is_utf8 else _undefined(data, ends, header, most)
    errors.extend((pos, valid_text_rule(header)) for pos in bad_text)
    return [_locate(block, header, pos, rule) for pos, rule in sorted(errors)]


def _invalid_utf8(data: bytes, ends: np.ndarray, most: int | None) -> list[int]:
    """Offsets of the first invalid UTF-8 byte of each bad record (of the first `most` bad records)."""
    if data.isascii() or valid_utf8(data):
        return []
    try:
        data.decode("utf-8")
        return []
    except UnicodeDecodeError as exc:
        first = exc.start  # every record before this one is valid: decode the rest one record at a time
    found: list[int] = []
    starts = np.concatenate(([0], ends[:-1] + 1))
    for record in range(int(np.searchsorted(ends, first)), len(ends)):
        if most is not None and len(found) >= most:
            break
        start = int(starts[record])
        try:
            data[start:int(ends[record]) + 1].decode("utf-8")
        except UnicodeDecodeError as exc:
            found.append(start + exc.start)
    return found


def valid_utf8(data: bytes) -> bool:
    """Whether `data` is UTF-8, decoding only its non-ASCII stretches when they are few (a decode of mostly
    ASCII text costs 0.9 ns a byte, this 0.5). An ASCII byte never belongs to a multi-byte sequence, so the
    stretches, each followed by one ASCII byte, are valid exactly when the whole is."""
    arr = np.frombuffer(data, dtype=np.uint8)
    high = np.flatnonzero(arr >= 0x80)
    if len(high) * SPARSE_NON_ASCII > len(arr):  # mostly non-ASCII text: one decode is cheaper
        try:
            data.decode("utf-8")
            return True
        except UnicodeDecodeError:
            return False
    new_stretch = np.zeros(len(high), dtype=np.int64)
    new_stretch[1:] = np.diff(high) > 1
    stretches = np.full(len(high) + int(new_stretch.sum()) + 1, LF, dtype=np.uint8)
    stretches[np.arange(len(high)) + np.cumsum(new_stretch)] = arr[high]
    try:
        stretches.tobytes().decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _undefined(data: bytes, ends: np.ndarray, header: Header, most: int | None) -> list[int]:
    """Offsets of the first byte a single-byte encoding does not define (0x81 in windows-1252) in each record."""
    undefined = header.encoding.undefined
    if not undefined or not any(bytes([b]) in data for b in undefined):
        return []
    hits = np.flatnonzero(np.isin(np.frombuffer(data, dtype=np.uint8), np.frombuffer(undefined, dtype=np.uint8)))
    records = np.searchsorted(ends, hits)
    first = hits[np.flatnonzero(np.diff(records, prepend=-1) != 0)]  # the first hit of each record
    return first[:most].tolist()


def _locate(block: Block, header: Header, pos: int, rule: str) -> RowError:
    """Map a byte offset to (row, column) and quote the offending field's text."""
    idx = int(np.searchsorted(block.record_ends, pos))
    start = 0 if idx == 0 else int(block.record_ends[idx - 1]) + 1
    end = int(block.record_ends[idx]) if idx < len(block.record_ends) else len(block.data)
    data = block.data
    column: str | None = None
    lo, hi = start, end
    if not rule.startswith(("no blank", "line endings")) and FIELD_COUNT not in rule:
        seps = block.scan.separators
        seps = seps[np.searchsorted(seps, start):np.searchsorted(seps, end)]
        col_idx = int(np.searchsorted(seps, pos))
        if col_idx < len(header.names):
            column = header.names[col_idx]
            lo = int(seps[col_idx - 1]) + 1 if col_idx > 0 else start
            hi = int(seps[col_idx]) if col_idx < len(seps) else end
    value = data[lo:hi].rstrip(b"\r").decode(header.encoding.codec, errors="replace")
    return RowError(block.row_number(idx), column, value, rule)
