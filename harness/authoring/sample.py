"""Reading a sample CSV for `contract infer`: its encoding, its delimiter, and each column's values.

A column keeps its distinct non-empty fields with their counts (types are proved on distinct values, so a
100,000-row sample costs what its distinct values cost), how many fields were empty, and how many fields
equal to a common null marker were quoted: COPY reads a quoted `"NA"` as the text NA, never as NULL.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from lambda_function.contract.build import PG_IDENTIFIER_BYTES

DELIMITERS = (",", ";", "|", "\t")
COMMON_MARKERS = ("NA", "N/A", "NULL", "\\N", "-", ".")  # what R, SAS, databases and instruments write
ENCODING_BYTES = 64 * 1024 * 1024  # the encoding is judged on this much of the file (a 100,000-row sample fits)
_CODECS = {"utf-8": "utf-8-sig", "windows-1252": "cp1252", "latin-1": "latin-1"}  # reading, as a contract names it
_MARKER_SET = frozenset(COMMON_MARKERS)


class InferError(ValueError):
    """The sample cannot be drafted from (missing, empty, no header, UTF-16, ...): a usage error."""


@dataclass
class ColumnSample:
    name: str
    counts: Counter[str] = field(default_factory=Counter)  # non-empty fields as read -> times
    empty: int = 0
    quoted: Counter[str] = field(default_factory=Counter)  # common markers seen quoted (text) -> times

    def marked(self, marker: str) -> int:
        """Fields equal to ``marker`` and unquoted: what COPY would read as NULL under that marker."""
        return self.counts.get(marker, 0) - self.quoted.get(marker, 0)

    def without(self, marker: str) -> Counter[str]:
        """The values left once ``marker`` (unquoted) reads as missing; a quoted one stays a value."""
        counts = Counter(self.counts)
        if marker in counts:
            left = self.quoted.get(marker, 0)
            if left:
                counts[marker] = left
            else:
                del counts[marker]
        return counts


@dataclass(frozen=True)
class Encoding:
    name: str  # as a contract writes it (dialect.encoding)
    comment: str = ""


@dataclass
class Sample:
    columns: list[ColumnSample]
    rows: int
    delimiter: str
    encoding: Encoding


def read_sample(path: Path, delimiter: str | None = None, max_rows: int = 100_000) -> Sample:
    """The first ``max_rows`` records of ``path``, column by column; InferError when it cannot be read."""
    encoding = detect_encoding(path)
    codec = _CODECS[encoding.name]
    header_line = _first_line(path, codec)
    sep = delimiter or sniff_delimiter(header_line)
    with path.open(encoding=codec, newline="") as f:
        columns, rows = _read(path, f, sep, max_rows)
    return Sample(columns, rows, sep, encoding)


def detect_encoding(path: Path) -> Encoding:
    """UTF-8 when the bytes are UTF-8; else windows-1252 (Excel on Windows); latin-1 only when windows-1252
    leaves a byte undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D)."""
    if not path.is_file():
        raise InferError(f"{path}: no such file")
    try:
        with path.open("rb") as f:
            data = f.read(ENCODING_BYTES)
            complete = not f.read(1)
    except OSError as exc:
        raise InferError(f"{path}: cannot be read ({exc.strerror})") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InferError(f"{path}: UTF-16 text (byte-order mark): save it as UTF-8 (or windows-1252)")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=complete)
        return Encoding("utf-8")
    except UnicodeDecodeError as exc:
        not_utf8 = _where(data, exc.start)
    try:
        data.decode("cp1252")
    except UnicodeDecodeError as exc:
        return Encoding("latin-1", f"guessed: not UTF-8 ({not_utf8}), not windows-1252 ({_where(data, exc.start)} "
                        "is undefined there) -> latin-1, which reads every byte: check the characters")
    return Encoding("windows-1252", f"guessed: not UTF-8 ({not_utf8}); every byte is a windows-1252 character "
                    "(as Excel on Windows saves) -> windows-1252")


def _where(data: bytes, offset: int) -> str:
    line = data.count(b"\n", 0, offset) + 1
    return f"byte 0x{data[offset]:02X} on line {line}"


def _first_line(path: Path, codec: str) -> str:
    with path.open(encoding=codec, newline="") as f:
        line = f.readline()
    if not line:
        raise InferError(f"{path}: the file is empty (a sample needs a header line)")
    if not line.strip():
        raise InferError(f"{path}: no header (the first line is blank)")
    return line


def sniff_delimiter(header_line: str) -> str:
    """The candidate that appears most often in the header line ("," when none does)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first on ties: "," wins
    return best if counts[best] else ","


class _Lines:
    """The file's lines as csv.reader takes them, keeping those of the current record (to see its quotes)."""

    def __init__(self, f: TextIO) -> None:
        self._f = f
        self.taken: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._f)
        self.taken.append(line)
        return line

    def take(self) -> str:
        raw = "".join(self.taken)
        self.taken.clear()
        return raw


def _read(path: Path, f: TextIO, sep: str, max_rows: int) -> tuple[list[ColumnSample], int]:
    lines = _Lines(f)
    records = csv.reader(lines, delimiter=sep, quotechar='"', doublequote=True, strict=False)
    try:
        header = next(records, [])
        lines.take()
        if not header or all(not name.strip() for name in header):
            raise InferError(f"{path}: no header")
        _check_header(path, header)
        width = len(header)
        kept: list[list[str]] = []
        quoted: Counter[tuple[int, str]] = Counter()
        for record in records:
            raw = lines.take()
            if len(kept) >= max_rows:
                break
            if not record:  # a blank line
                continue
            if '"' in raw and not _MARKER_SET.isdisjoint(record):
                for i, was_quoted in enumerate(quoted_fields(raw, sep)[:len(record)]):
                    if was_quoted and record[i] in _MARKER_SET:
                        quoted[(i, record[i])] += 1
            kept.append(record if len(record) == width else (record + [""] * width)[:width])
    except csv.Error as exc:
        raise InferError(f"{path}: not readable as CSV ({exc})") from None
    columns = [ColumnSample(name) for name in header]
    for column, values in zip(columns, zip(*kept, strict=True) if kept else [()] * width, strict=True):
        column.counts = Counter(values)
        column.empty = column.counts.pop("", 0)
    for (i, marker), times in quoted.items():
        columns[i].quoted[marker] = times
    return columns, len(kept)


def _check_header(path: Path, header: list[str]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(header, start=1):
        if not name.strip():
            raise InferError(f"{path}: header column {i} has no name")
        if name in seen:
            raise InferError(f"{path}: header names {name!r} twice")
        if len(name.encode()) > PG_IDENTIFIER_BYTES:
            raise InferError(f"{path}: header name {name[:20]!r}… is longer than {PG_IDENTIFIER_BYTES} bytes")
        seen.add(name)


_FIELDS: dict[str, re.Pattern[str]] = {
    sep: re.compile(rf'"(?:[^"]|"")*"?[^{re.escape(sep)}\r\n]*|[^{re.escape(sep)}\r\n]*') for sep in DELIMITERS
}


def quoted_fields(raw: str, sep: str) -> list[bool]:
    """For one record's raw text: whether each field opened with a quote."""
    flags: list[bool] = []
    pos, pattern = 0, _FIELDS[sep]
    while True:
        flags.append(raw.startswith('"', pos))
        match = pattern.match(raw, pos)
        pos = match.end() if match else len(raw)
        if pos < len(raw) and raw[pos] == sep:
            pos += 1
            continue
        return flags
