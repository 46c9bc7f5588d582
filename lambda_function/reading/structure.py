"""Structural checks of a record-aligned block, without parsing values.

They reject everything on which pandas and PostgreSQL could read the same bytes differently: stray
quotes, bare or mixed line endings, blank lines, ragged rows, NUL bytes, invalid UTF-8. Each error is
located at its record (and column when known). Some problems concern one record only (its field
count, its encoding): with row-level rejects that record can be set aside; the others put the
record boundaries themselves in doubt and fail the whole file.
"""

from __future__ import annotations

import numpy as np

from ..errors import RowError
from .blocks import CR, LF, NUL, QUOTE, Block, Header


def _positions(arr: np.ndarray, byte: int, outside: np.ndarray | None) -> np.ndarray:
    """Offsets of `byte` outside quotes (sparse: the block is scanned once per byte value)."""
    pos = np.flatnonzero(arr == byte)
    return pos if outside is None else pos[outside[pos]]


NO_NUL = "no NUL characters"
VALID_UTF8 = "valid UTF-8 text"
FIELD_COUNT = "fields per record"  # part of "7 fields per record, found 6"
CAP = 50  # errors of one kind listed per block when the file fails anyway


def is_record_level(error: RowError) -> bool:
    """A problem of one record that leaves every record boundary certain (so the record can be set aside)."""
    return error.row is not None and (error.rule in (NO_NUL, VALID_UTF8) or FIELD_COUNT in error.rule)


def structure_errors(block: Block, header: Header, cap: int | None = CAP) -> list[RowError]:
    """Everything structurally wrong in a block, each error at its record (and column when known).

    Works on the positions of the few interesting bytes (quotes, CR, delimiters), not on whole-block
    masks, so a clean block costs a handful of vectorised scans. `cap=None` lists every error (row-level
    rejects must find every bad record, not only the first ones).
    """
    data = block.data
    arr = np.frombuffer(data, dtype=np.uint8)
    outside = block.outside
    n = len(arr)
    errors: list[tuple[int, str]] = []  # (byte offset, rule)

    if b"\x00" in data:
        errors.extend((int(p), NO_NUL) for p in np.flatnonzero(arr == NUL)[:cap])

    if outside is not None:
        quotes = np.flatnonzero(arr == QUOTE)
        prev = np.where(quotes > 0, arr[np.maximum(quotes - 1, 0)], LF)
        nxt = np.where(quotes < n - 1, arr[np.minimum(quotes + 1, n - 1)], LF)
        opening = ~outside[quotes]  # parity odd just after this quote
        sep = header.separator
        bad_open = opening & (prev != sep) & (prev != LF) & (prev != QUOTE)
        bad_close = ~opening & (nxt != sep) & (nxt != LF) & (nxt != CR) & (nxt != QUOTE)
        rule = 'quotes only around a whole field ("a,b"), inner quotes doubled'
        errors.extend((int(p), rule) for p in quotes[bad_open | bad_close][:cap])

    ends = block.record_ends
    if b"\r" in data:
        crs = _positions(arr, CR, outside)
        after_cr = np.where(crs < n - 1, arr[np.minimum(crs + 1, n - 1)], LF)
        if header.crlf:
            bad = list(crs[after_cr != LF])
            lfs = ends[ends < n]
            bad += list(lfs[(lfs == 0) | (arr[np.maximum(lfs - 1, 0)] != CR)])
            rule = "line endings all CRLF, as in the header line"
        else:
            bad, rule = list(crs), "line endings all LF, as in the header line"
        errors.extend((int(p), rule) for p in sorted(bad)[:cap])
    elif header.crlf and len(ends) and (ends[0] < n):
        rule = "line endings all CRLF, as in the header line"
        errors.extend((int(p), rule) for p in ends[ends < n][:cap])

    starts = np.concatenate(([0], ends[:-1] + 1))
    content_len = ends - starts - (1 if header.crlf else 0)
    for i in np.flatnonzero(content_len <= 0)[:cap]:
        errors.append((int(starts[i]), "no blank lines between records"))

    sep_pos = _positions(arr, header.separator, outside)
    # delimiters before each record end, differenced: one search per record, not one per delimiter
    fields = np.diff(np.searchsorted(sep_pos, ends), prepend=0) + 1
    expected = len(header.names)
    for i in np.flatnonzero((fields != expected) & (content_len > 0))[:cap]:
        errors.append((int(starts[i]), f"{expected} {FIELD_COUNT}, found {int(fields[i])}"))

    errors.extend((pos, VALID_UTF8) for pos in _invalid_utf8(data, ends, 1 if cap is not None else None))
    return [_locate(block, header, pos, rule) for pos, rule in sorted(errors)]


def _invalid_utf8(data: bytes, ends: np.ndarray, most: int | None) -> list[int]:
    """Offsets of the first invalid UTF-8 byte of each bad record (of the first `most` bad records)."""
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


def _locate(block: Block, header: Header, pos: int, rule: str) -> RowError:
    """Map a byte offset to (row, column) and quote the offending field's text."""
    idx = int(np.searchsorted(block.record_ends, pos))
    start = 0 if idx == 0 else int(block.record_ends[idx - 1]) + 1
    end = int(block.record_ends[idx]) if idx < len(block.record_ends) else len(block.data)
    data = block.data
    column: str | None = None
    lo, hi = start, end
    if not rule.startswith(("no blank", "line endings")) and "fields per record" not in rule:
        arr = np.frombuffer(data, dtype=np.uint8)
        inside = None if block.outside is None else block.outside[start:end]
        seps = _positions(arr[start:end], header.separator, inside) + start
        col_idx = int(np.searchsorted(seps, pos))
        if col_idx < len(header.names):
            column = header.names[col_idx]
            lo = int(seps[col_idx - 1]) + 1 if col_idx > 0 else start
            hi = int(seps[col_idx]) if col_idx < len(seps) else end
    value = data[lo:hi].rstrip(b"\r").decode("utf-8", errors="replace")
    return RowError(block.row_number(idx), column, value, rule)
