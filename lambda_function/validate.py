"""Strict validation of a CSV file against its table contract, block by block.

Each column's rule is built from the contract (rules/) and runs through a pandera schema on every
parsed block; uniqueness (unique columns and the primary key) is tracked across blocks.
`CheckedCsv.blocks` is what the loader consumes (only blocks that passed, as original bytes);
`validate_stream` is the same check for producers (harness validate) and tests: every error, no database.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from .contract.model import Contract
from .csvblocks import Block, CsvReader, Header, Limits, structure_errors
from .errors import FileRejected, RowError
from .rules import Clock, ColumnRule, Parsed, check_column, explain, rule_for
from .uniqueness import UniqueTracker, column_keys, combined_keys

MAX_ERRORS_KEPT = 10_000  # a full report for the producer; reading stops once this many are found
_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


@dataclass
class ValidationResult:
    """What a whole-file check found: rows seen, errors (capped at MAX_ERRORS_KEPT), rows with errors."""

    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    rows_rejected: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def truncated(self) -> bool:
        return self.error_count > len(self.errors)

    def add(self, errors: list[RowError]) -> None:
        self.error_count += len(errors)
        room = MAX_ERRORS_KEPT - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])


def header_errors(header: Header, contract: Contract) -> list[RowError]:
    """Exact header set, order free: missing, unexpected and repeated names, each its own entry."""
    expected = contract.column_names
    errors: list[RowError] = []
    seen: set[str] = set()
    for name in header.names:
        if name in seen:
            errors.append(RowError(None, name, name, "each column once in the header"))
        seen.add(name)
    for name in header.names:
        if name not in expected:
            rule = "a column of the table"
            others = [d for d in _DELIMITER_NAMES if d != contract.delimiter and d in name]
            if len(header.names) == 1 and others:
                rule = ("comma-separated header (another delimiter was used)" if contract.delimiter == "," else
                        f"{_DELIMITER_NAMES[contract.delimiter]}-separated header (another delimiter was used)")
            errors.append(RowError(None, name or None, name, rule))
    for name in expected:
        if name not in seen:
            errors.append(RowError(None, name, None, "required column present in the header"))
    return errors


@dataclass(frozen=True)
class _UniqueGroup:
    """Columns whose values (together) must not repeat within the file, and how a repeat is reported."""

    columns: tuple[str, ...]
    rule: str
    tracker: UniqueTracker = field(default_factory=UniqueTracker)


def _unique_groups(contract: Contract) -> list[_UniqueGroup]:
    groups = [_UniqueGroup((c.name,), "unique in the file" + (" ignoring case" if c.unique == "casefold" else ""))
              for c in contract.columns if c.unique]
    key = contract.primary_key
    if key and not any(g.columns == key for g in groups):  # the primary key is unique within the file too
        rule = "unique in the file" if len(key) == 1 else f"primary key ({', '.join(key)}) unique in the file"
        groups.append(_UniqueGroup(key, rule))
    return groups


class BlockValidator:
    """Validates parsed blocks of one file; keeps cross-block state (uniqueness, row counts)."""

    def __init__(self, contract: Contract, header: Header, clock: Clock | None = None) -> None:
        self.contract = contract
        self.header = header
        clock = clock or Clock.at()
        self._rules: dict[str, ColumnRule] = {c.name: rule_for(c, clock) for c in contract.columns}
        self._groups = _unique_groups(contract)
        tracked = {name for g in self._groups for name in g.columns}
        self._keep_parsed = tracked
        self._parsed: dict[str, Parsed] = {}  # this block's parse of tracked columns, reused for uniqueness
        # The block parser never yields NaN (na_filter=False, empty fields are ""), so pandera's own null
        # handling (nullable=False, ignore_na=True) would only rescan every column per block: off.
        self._schema = pa.DataFrameSchema(
            {c.name: pa.Column(checks=pa.Check(self._check_fn(c.name), name=self._rules[c.name].summary or c.pg_type,
                                               ignore_na=False),
                               nullable=True)
             for c in contract.columns},
            strict=True,
        )

    def _check_fn(self, name: str) -> Callable[[pd.Series], pd.Series]:
        column, rule = self.contract.column(name), self._rules[name]
        keep_parsed = name in self._keep_parsed

        def check(s: pd.Series) -> pd.Series:
            values = s.to_numpy(dtype=object)
            if keep_parsed and not (values == "").any():
                ok, parsed = rule.check(values)
                self._parsed[name] = parsed
            else:
                ok = check_column(column, rule, values)
            return pd.Series(ok, index=s.index)

        return check

    def validate(self, block: Block) -> list[RowError]:
        errors = structure_errors(block, self.header)
        if errors:
            return errors
        frame = pd.read_csv(
            io.BytesIO(block.data), header=None, names=self.header.names, dtype=object, sep=self.header.delimiter,
            na_filter=False, keep_default_na=False, engine="c", encoding="utf-8", index_col=False,
        )
        if len(frame) != block.rows:  # structure_errors guarantees agreement; never load on doubt
            return [RowError(block.first_row, None, None, "records readable unambiguously as CSV")]
        self._parsed.clear()
        errors = self._rule_errors(frame, block.first_row)
        errors.extend(self._uniqueness_errors(frame, block.first_row, errors))
        order = self.contract.column_names
        return sorted(errors, key=lambda e: (e.row or 0, order.index(e.column) if e.column in order else -1))

    def _rule_errors(self, frame: pd.DataFrame, first_row: int) -> list[RowError]:
        try:
            self._schema.validate(frame, lazy=True)
            return []
        except SchemaErrors as exc:
            cases = exc.failure_cases
        errors = []
        for column, index, value in zip(cases["column"], cases["index"], cases["failure_case"], strict=True):
            if column is None or pd.isna(index):
                continue
            spec_col = self.contract.column(str(column))
            rule = self._rules[spec_col.name]
            text = "" if value is None else str(value)
            errors.append(RowError(first_row + int(index), spec_col.name, text,
                                   explain(spec_col, rule, text) or rule.summary))
        return errors

    def _uniqueness_errors(self, frame: pd.DataFrame, first_row: int, found: list[RowError]) -> list[RowError]:
        bad = {(e.row, e.column) for e in found}  # a value that broke its rule is not also a duplicate
        rows = np.arange(first_row, first_row + len(frame), dtype=np.int64)
        errors = []
        for group in self._groups:
            columns = {name: frame[name].to_numpy(dtype=object) for name in group.columns}
            keep = np.ones(len(rows), dtype=bool)
            for name, values in columns.items():
                keep &= values != ""  # NULLs never clash
                if bad:
                    keep &= np.array([(int(r), name) not in bad for r in rows])
            if not keep.any():
                continue
            idx = np.flatnonzero(keep)
            parts = []
            for name, values in columns.items():
                parsed = self._parsed.get(name)
                subset = None if parsed is None else parsed.subset(idx)
                parts.append(column_keys(self._rules[name], values[idx], subset))
            keys, checks = combined_keys(parts)
            single = len(group.columns) == 1
            for row, first in group.tracker.add(keys, checks, rows[idx]):
                at = row - first_row
                value = ", ".join(str(columns[name][at]) for name in group.columns)
                errors.append(RowError(row, group.columns[0] if single else None, value,
                                       f"{group.rule} (first at row {first})"))
        return errors

    def row_of(self, column: str, value: str) -> int | None:
        """The row where a value of a uniquely tracked column first appeared (to explain a database conflict)."""
        group = next((g for g in self._groups if g.columns == (column,)), None)
        if group is None:
            return None
        rule = self._rules[column]
        block = np.array([value], dtype=object)
        ok, parsed = rule.check(block)
        if not ok[0]:
            return None
        keys, checks = column_keys(rule, block, parsed)
        return group.tracker.first_row_of(keys, checks)


MAX_GZIP_RATIO = 200  # real CSVs compress 5-50x; a bomb compresses about 1000x
RATIO_GRACE_BYTES = 64 * 1024 * 1024


def gunzip(chunks: Iterable[bytes], max_output: int, read_size: int = 1024 * 1024,
           max_ratio: int = MAX_GZIP_RATIO) -> Iterator[bytes]:
    """Stream-decompress gzip (several members allowed), capping total output and ratio (bombs)."""
    inflater = zlib.decompressobj(wbits=31)
    in_member = False
    produced = consumed = 0
    for chunk in chunks:
        consumed += len(chunk)
        data = chunk
        while data:
            in_member = True
            try:
                out = inflater.decompress(data, read_size)
            except zlib.error:
                rule = "valid gzip data (declared by the .gz suffix)"
                raise FileRejected([RowError(None, None, None, rule)]) from None
            produced += len(out)
            if produced > max_output:
                raise FileRejected([RowError(None, None, None,
                                             f"decompressed size at most {max_output:,} bytes")])
            if produced > RATIO_GRACE_BYTES and produced > max_ratio * consumed:
                raise FileRejected([RowError(None, None, None,
                                             f"compression ratio at most {max_ratio}:1 (a gzip bomb?)")])
            if out:
                yield out
            if inflater.eof:  # a member ended: the rest (if any) is the next member
                data, in_member = inflater.unused_data, False
                inflater = zlib.decompressobj(wbits=31)
            else:
                data = inflater.unconsumed_tail
    if in_member:
        raise FileRejected([RowError(None, None, None, "complete gzip data (the stream is truncated)")])


class CheckedCsv:
    """One file being checked: the header first, then blocks that passed (original bytes for COPY)."""

    def __init__(self, chunks: Iterable[bytes], contract: Contract, *, gzipped: bool = False,
                 limits: Limits | None = None, max_decompressed: int = 20 * 1024**3, today: date | None = None,
                 now: datetime | None = None) -> None:
        if gzipped:
            chunks = gunzip(chunks, max_decompressed)
        self.contract = contract
        self.result = ValidationResult()
        self._reader = CsvReader(chunks, limits or Limits(), delimiter=contract.delimiter)
        self._clock = Clock.at(today, now)
        self.validator: BlockValidator | None = None

    def open(self) -> list[str]:
        """Read and check the header; returns the file's column order (COPY's column list)."""
        header = self._reader.read_header()
        problems = header_errors(header, self.contract)
        if problems:
            raise FileRejected(problems)
        self.validator = BlockValidator(self.contract, header, self._clock)
        return header.names

    def blocks(self) -> Iterator[Block]:
        """Blocks that passed, while the file is clean; at the end raises FileRejected if anything failed."""
        if self.validator is None:
            raise RuntimeError("open() first")
        for block in self._reader.blocks():
            errors = self.validator.validate(block)
            self.result.rows += block.rows
            if errors:
                self.result.add(errors)
                self.result.rows_rejected += len({e.row for e in errors})
                if self.result.error_count >= MAX_ERRORS_KEPT:
                    break  # enough to fix the file; reading on would only cost time
            elif self.result.ok:
                yield block
        if not self.result.ok:
            raise FileRejected(self.result.errors)
        if self.result.rows == 0 and not self.contract.allow_empty:
            raise FileRejected([RowError(None, None, None, "at least one data row (the file has only a header)")])


def validate_stream(chunks: Iterable[bytes], contract: Contract, *, gzipped: bool = False,
                    limits: Limits | None = None, today: date | None = None,
                    now: datetime | None = None) -> ValidationResult:
    """Check a whole file exactly as the handler does, without a database: every error, nothing loaded."""
    checked = CheckedCsv(chunks, contract, gzipped=gzipped, limits=limits, today=today, now=now)
    try:
        checked.open()
        for _ in checked.blocks():
            pass
    except FileRejected as exc:
        if not checked.result.errors:
            checked.result.add(exc.errors)
            checked.result.rows_rejected = len({e.row for e in exc.errors if e.row is not None})
        elif exc.errors is not checked.result.errors:
            missing = [e for e in exc.errors if e not in checked.result.errors]
            checked.result.add(missing)
    return checked.result
