"""Strict validation of a CSV file against its table contract, block by block.

Each column's rule is built from the contract (rules/) and runs through a pandera schema on every
parsed block; uniqueness (unique columns and the primary key) is tracked across blocks.
`CheckedCsv.blocks` is what the loader consumes (only blocks that passed, as original bytes);
`validate_stream` is the same check for producers (harness validate) and tests: every error, no database.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from ..contract.model import Contract
from ..errors import FileRejected, RowError
from ..reading.blocks import Block, CsvReader, Header, Limits
from ..reading.decompress import MAX_DECOMPRESSED_BYTES, gunzip
from ..reading.header import header_errors
from ..reading.structure import CAP, is_record_level, structure_errors
from .rejects import RejectedRecords
from .rules import Clock, ColumnRule, Parsed, check_column, explain, rule_for
from .uniqueness import UniqueTracker, column_keys, combined_keys

# The key columns' values of rows that passed every other rule -> True where that key is already loaded.
KeyLookup = Callable[[dict[str, np.ndarray]], np.ndarray]
MAX_ERRORS_KEPT = 10_000  # a full report for the producer; reading stops once this many are found
@dataclass
class ValidationResult:
    """What a whole-file check found: rows seen, errors (capped at MAX_ERRORS_KEPT), rows with errors."""

    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    rows_rejected: int = 0
    reject_rows: bool = False  # the contract sets on_error: reject_rows
    failed: bool = False  # nothing would load (set when the whole file was refused)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def status(self) -> str:
        """OK (every row loads), PARTIAL (rows load, some records set aside) or FAILED (nothing loads)."""
        if self.failed or (not self.ok and not self.reject_rows):
            return "FAILED"
        return "PARTIAL" if self.rows_rejected else "OK"

    @property
    def truncated(self) -> bool:
        return self.error_count > len(self.errors)

    def add(self, errors: list[RowError]) -> None:
        self.error_count += len(errors)
        room = MAX_ERRORS_KEPT - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])


def _without_rows(block: Block, errors: list[RowError]) -> Block | None:
    rows = sorted({e.row for e in errors if e.row is not None})
    return block.without(np.searchsorted(block.row_numbers(), rows)) if rows else block


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
        # Set for a second pass that must find rows whose primary key is already loaded: takes the key
        # columns' values of the rows that passed every other rule, answers which are in the table.
        self.key_lookup: KeyLookup | None = None
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
        """Every error in the block (the file fails: structural errors hide the value rules of that block)."""
        errors = structure_errors(block, self.header)
        return errors or self._value_errors(block, reject=False)

    def screen(self, block: Block) -> tuple[list[RowError], Block | None]:
        """Row-level rejects: (errors of the records set aside, the block without them, or None if none is left).

        Raises FileRejected when a problem puts the record boundaries in doubt: then nothing can be kept.
        """
        structural = structure_errors(block, self.header, cap=None)
        whole = [e for e in structural if not is_record_level(e)]
        if whole:
            raise FileRejected(whole[:CAP])
        kept = _without_rows(block, structural)
        if kept is None:
            return structural, None
        values = self._value_errors(kept, reject=True)
        return structural + values, _without_rows(kept, values)

    def _value_errors(self, block: Block, *, reject: bool) -> list[RowError]:
        frame = pd.read_csv(
            io.BytesIO(block.data), header=None, names=self.header.names, dtype=object, sep=self.header.delimiter,
            na_filter=False, keep_default_na=False, engine="c", encoding="utf-8", index_col=False,
        )
        if len(frame) != block.rows:  # structure_errors guarantees agreement; never load on doubt
            return [RowError(block.first_row, None, None, "records readable unambiguously as CSV")]
        self._parsed.clear()
        rows = block.row_numbers()
        errors = self._rule_errors(frame, rows)
        errors.extend(self._uniqueness_errors(frame, rows, errors, reject))
        if self.key_lookup is not None:
            errors.extend(self._clash_errors(frame, rows, errors))
        order = self.contract.column_names
        return sorted(errors, key=lambda e: (e.row or 0, order.index(e.column) if e.column in order else -1))

    def _rule_errors(self, frame: pd.DataFrame, rows: np.ndarray) -> list[RowError]:
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
            errors.append(RowError(int(rows[int(index)]), spec_col.name, text,
                                   explain(spec_col, rule, text) or rule.summary))
        return errors

    def _uniqueness_errors(self, frame: pd.DataFrame, rows: np.ndarray, found: list[RowError],
                           reject: bool) -> list[RowError]:
        # A value that broke its rule is not also a duplicate. With row-level rejects a row with any error
        # is set aside, so it must not hide a later valid duplicate either: only loading rows are tracked.
        bad_rows = {e.row for e in found}
        bad_cells = {(e.row, e.column) for e in found}
        errors = []
        for group in self._groups:
            columns = {name: frame[name].to_numpy(dtype=object) for name in group.columns}
            keep = np.ones(len(rows), dtype=bool)
            for name, values in columns.items():
                keep &= values != ""  # NULLs never clash
                if found and not reject:
                    keep &= np.array([(int(r), name) not in bad_cells for r in rows])
            if found and reject:
                keep &= np.array([int(r) not in bad_rows for r in rows])
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
            at_of = {int(r): i for i, r in enumerate(rows[idx])}
            for row, first in group.tracker.add(keys, checks, rows[idx]):
                at = idx[at_of[row]]
                value = ", ".join(str(columns[name][at]) for name in group.columns)
                errors.append(RowError(row, group.columns[0] if single else None, value,
                                       f"{group.rule} (first at row {first})"))
        return errors

    def _clash_errors(self, frame: pd.DataFrame, rows: np.ndarray, found: list[RowError]) -> list[RowError]:
        """Rows whose primary key is already in the table (asked of the database by `key_lookup`)."""
        lookup = self.key_lookup
        if lookup is None:
            return []
        bad_rows = {e.row for e in found}
        keep = np.array([int(r) not in bad_rows for r in rows]) if found else np.ones(len(rows), dtype=bool)
        if not keep.any():
            return []
        key = self.contract.primary_key
        values = {name: frame[name].to_numpy(dtype=object)[keep] for name in key}
        clashes = np.flatnonzero(lookup(values))
        rule = f"unique against rows already loaded in {self.contract.table}"
        single = len(key) == 1
        return [RowError(int(rows[keep][i]), key[0] if single else None, ", ".join(str(values[n][i]) for n in key),
                         rule) for i in clashes]

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


class CheckedCsv:
    """One file being checked: the header first, then blocks that passed (original bytes for COPY).

    With `on_error: reject_rows` the blocks come without their bad records, which are kept in `rejected`;
    `key_lookup` (a second pass that knows the table) also sets aside rows whose key is already loaded.
    """

    def __init__(self, chunks: Iterable[bytes], contract: Contract, *, gzipped: bool = False,
                 limits: Limits | None = None, max_decompressed: int = MAX_DECOMPRESSED_BYTES,
                 today: date | None = None,
                 now: datetime | None = None, key_lookup: KeyLookup | None = None) -> None:
        if gzipped:
            chunks = gunzip(chunks, max_decompressed)
        self.contract = contract
        self.result = ValidationResult(reject_rows=contract.on_error == "reject_rows")
        self._reader = CsvReader(chunks, limits or Limits(), delimiter=contract.delimiter)
        self._clock = Clock.at(today, now)
        self._key_lookup = key_lookup
        self.validator: BlockValidator | None = None
        self.rejected: RejectedRecords | None = None

    def open(self) -> list[str]:
        """Read and check the header; returns the file's column order (COPY's column list)."""
        header = self._reader.read_header()
        problems = header_errors(header, self.contract)
        if problems:
            raise FileRejected(problems)
        self.validator = BlockValidator(self.contract, header, self._clock)
        self.validator.key_lookup = self._key_lookup
        if self.result.reject_rows:
            self.rejected = RejectedRecords(header.line)
        return header.names

    def blocks(self) -> Iterator[Block]:
        """Blocks to load; raises FileRejected (at the first sign, or at the end) when the file must fail."""
        if self.validator is None:
            raise RuntimeError("open() first")
        yield from (self._screened(self.validator) if self.rejected is not None else self._strict(self.validator))
        if self.result.rows == 0 and not self.contract.allow_empty:
            raise FileRejected([RowError(None, None, None, "at least one data row (the file has only a header)")])

    def _strict(self, validator: BlockValidator) -> Iterator[Block]:
        """All or nothing: clean blocks while the file is clean; any error fails the file at the end."""
        for block in self._reader.blocks():
            errors = validator.validate(block)
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

    def _screened(self, validator: BlockValidator) -> Iterator[Block]:
        """Row-level rejects: every block without its bad records, within the contract's limits."""
        result, rejected, contract = self.result, self.rejected, self.contract
        assert rejected is not None  # noqa: S101 - blocks() chose this path because it is set
        for block in self._reader.blocks():
            result.rows += block.rows
            errors, kept = validator.screen(block)
            if errors:
                rejected.add(block, errors)
                result.add(errors)
                result.rows_rejected = rejected.count
                limit = contract.max_rejected_rows
                if limit is not None and rejected.count > limit:
                    self._over_limit(f"at most {limit:,} rejected rows (max_rejected_rows); "
                                     f"{rejected.count:,} by row {block.row_number(block.rows - 1):,}")
            if kept is not None:
                yield kept
        ratio = contract.max_rejected_ratio
        if ratio is not None and result.rows and rejected.count / result.rows > ratio:
            self._over_limit(f"at most {ratio:.2%} rejected rows (max_rejected_ratio); "
                             f"{rejected.count:,} of {result.rows:,} ({rejected.count / result.rows:.2%})")
        if result.rows and rejected.count == result.rows and not contract.allow_empty:
            self._over_limit("at least one row to load (every record was rejected)")

    def _over_limit(self, rule: str) -> None:
        errors = [RowError(None, None, None, rule), *self.result.errors]
        raise FileRejected(errors, rows_rejected=self.result.rows_rejected, error_count=self.result.error_count + 1)


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
        checked.result.failed = True
        if not checked.result.errors:
            checked.result.add(exc.errors)
            checked.result.rows_rejected = len({e.row for e in exc.errors if e.row is not None})
        elif exc.errors is not checked.result.errors:
            missing = [e for e in exc.errors if e not in checked.result.errors]
            checked.result.add(missing)
    return checked.result
