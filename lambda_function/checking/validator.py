"""Strict validation of a CSV file against its table contract, block by block, on the blocks' own bytes.

Each column's rule is built from the contract (rules/) and runs over the column's field offsets
(fields.py); uniqueness (unique columns and the primary key) is tracked across blocks. `CheckedCsv.blocks`
is what the loader consumes (only blocks that passed, as original bytes); `validate_stream` is the same
check for producers (harness validate) and tests: every error, no database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from ..contract.model import Column, Contract
from ..errors import FileRejected, RowError
from ..reading.blocks import Block, CsvReader, Header, Limits
from ..reading.decompress import MAX_DECOMPRESSED_BYTES, gunzip
from ..reading.header import header_errors
from ..reading.structure import CAP, is_record_level, structure_errors
from .allocator import keep_freed_memory
from .fields import BlockBytes, Fields, block_fields
from .rejects import RejectedRecords
from .rules import Clock, ColumnRule, Parsed, rule_for
from .uniqueness import UniqueTracker, column_keys, combined_keys

# The key columns' values (text) of rows that passed every other rule -> True where that key is already loaded.
KeyLookup = Callable[[dict[str, list[str]]], np.ndarray]
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


@dataclass(frozen=True)
class _UniqueGroup:
    """Columns whose values (together) must not repeat within the file, and how a repeat is reported."""

    columns: tuple[str, ...]
    rule: str
    tracker: UniqueTracker = field(default_factory=UniqueTracker)


def _unique_groups(contract: Contract, track_key: bool) -> list[_UniqueGroup]:
    """Unique columns and the primary key; the key is left out when the table's own index enforces it."""
    key = contract.primary_key
    groups = [_UniqueGroup((c.name,), "unique in the file" + (" ignoring case" if c.unique == "casefold" else ""))
              for c in contract.columns if c.unique and (track_key or (c.name,) != key or c.unique == "casefold")]
    if key and track_key and not any(g.columns == key for g in groups):
        rule = "unique in the file" if len(key) == 1 else f"primary key ({', '.join(key)}) unique in the file"
        groups.append(_UniqueGroup(key, rule))
    return groups


@dataclass
class _Checked:
    """One column of one block after its rule ran: which rows are missing, which present ones passed."""

    column: Column
    fields: Fields
    missing: np.ndarray
    ok: np.ndarray  # per row: missing-and-allowed, or present-and-valid
    parsed: Parsed | None  # for the present rows (`present` below), when any
    present: np.ndarray


class BlockValidator:
    """Validates blocks of one file; keeps cross-block state (uniqueness)."""

    def __init__(self, contract: Contract, header: Header, clock: Clock | None = None, *,
                 track_key: bool = True) -> None:
        self.contract = contract
        self.header = header
        self.encoding = contract.text_encoding
        self._marker = contract.missing.encode(self.encoding.codec)
        clock = clock or Clock.at()
        self._groups = _unique_groups(contract, track_key)
        tracked = {name for g in self._groups for name in g.columns}
        self._rules: dict[str, ColumnRule] = {
            c.name: rule_for(c, clock, self.encoding, need_values=c.name in tracked) for c in contract.columns}
        self._positions = {name: i for i, name in enumerate(header.names)}
        # Set for a second pass that must find rows whose primary key is already loaded: takes the key
        # columns' values of the rows that passed every other rule, answers which are in the table.
        self.key_lookup: KeyLookup | None = None

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
        kept = self._without_rows(block, structural)
        if kept is None:
            return structural, None
        values = self._value_errors(kept, reject=True)
        return structural + values, self._without_rows(kept, values)

    def _without_rows(self, block: Block, errors: list[RowError]) -> Block | None:
        rows = sorted({e.row for e in errors if e.row is not None})
        if not rows:
            return block
        return block.without(np.searchsorted(block.row_numbers(), rows))

    def _missing(self, column: Column, fields: Fields) -> np.ndarray:
        """Fields that read as NULL: empty ones (quoted too: COPY's FORCE_NULL), or the unquoted marker."""
        if not self._marker:
            return fields.lengths == 0
        missing = fields.lengths == len(self._marker)
        if fields.quoted is not None:
            missing &= ~fields.quoted
        for k in range(-(-len(self._marker) // 8)):
            if missing.any():
                missing &= fields.word(k) == np.uint64(int.from_bytes(self._marker[8 * k: 8 * k + 8], "little"))
        return missing

    def _check_column(self, column: Column, fields: Fields) -> _Checked:
        missing = self._missing(column, fields)
        rule = self._rules[column.name]
        if not missing.any():
            ok, parsed = rule.check(fields)
            return _Checked(column, fields, missing, ok, parsed, np.arange(len(fields)))
        ok = np.full(len(fields), not column.required, dtype=bool)
        present = np.flatnonzero(~missing)
        found: Parsed | None = None
        if len(present):
            good, found = rule.check(fields.take(present))
            ok[present] = good
        return _Checked(column, fields, missing, ok, found, present)

    def _explain(self, checked: _Checked, i: int) -> RowError | None:
        column = checked.column
        if checked.missing[i]:
            marker = self.contract.missing
            rule = f"required (a value: {marker!r} marks a missing one)" if marker else "required"
            return RowError(0, column.name, checked.fields.text(i), rule)
        text = checked.fields.text(i)
        if text == "" and self._marker and not column.type.is_text:
            why = (f"a value (an empty field is not missing here: this file marks missing values as "
                   f"{self.contract.missing!r}, dialect.missing)")
            return RowError(0, column.name, text, why)
        column_rule = self._rules[column.name]
        return RowError(0, column.name, text, column_rule.explain(text) or column_rule.summary)

    def _value_errors(self, block: Block, *, reject: bool) -> list[RowError]:
        rows = block.row_numbers()
        columns = block_fields(block, self.header, BlockBytes(block.data, self.encoding))
        checked: dict[str, _Checked] = {}
        errors: list[RowError] = []
        for column in self.contract.columns:
            position = self._positions.get(column.name)
            if position is None:
                continue  # an optional column the file does not have: NULL in every row
            result = self._check_column(column, columns[position])
            checked[column.name] = result
            for i in np.flatnonzero(~result.ok):
                error = self._explain(result, int(i))
                if error is not None:
                    errors.append(RowError(int(rows[i]), error.column, error.value, error.rule))
        errors.extend(self._uniqueness_errors(checked, rows, errors, reject))
        if self.key_lookup is not None:
            errors.extend(self._clash_errors(checked, rows, errors))
        order = self.contract.column_names
        return sorted(errors, key=lambda e: (e.row or 0, order.index(e.column) if e.column in order else -1))

    def _group_keys(self, group: _UniqueGroup, checked: dict[str, _Checked],
                    keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows kept, key, check) of a group's values in the rows `keep` marks."""
        idx = np.flatnonzero(keep)
        parts = []
        for name in group.columns:
            result = checked[name]
            rule = self._rules[name]
            at = np.searchsorted(result.present, idx)  # where each kept row sits among the present ones
            parsed = None if result.parsed is None else result.parsed.subset(at)
            parts.append(column_keys(rule, result.fields.take(idx), parsed))
        key, check = combined_keys(parts)
        return idx, key, check

    def _uniqueness_errors(self, checked: dict[str, _Checked], rows: np.ndarray, found: list[RowError],
                           reject: bool) -> list[RowError]:
        # A value that broke its rule is not also a duplicate. With row-level rejects a row with any error
        # is set aside, so it must not hide a later valid duplicate either: only loading rows are tracked.
        bad_rows = {e.row for e in found}
        bad_cells = {(e.row, e.column) for e in found}
        errors = []
        for group in self._groups:
            if any(name not in checked for name in group.columns):
                continue  # an absent optional column: every value NULL, and NULLs never clash
            keep = np.ones(len(rows), dtype=bool)
            for name in group.columns:
                keep &= ~checked[name].missing & checked[name].ok  # NULLs never clash
                if found and not reject:
                    keep &= np.array([(int(r), name) not in bad_cells for r in rows])
            if found and reject:
                keep &= np.array([int(r) not in bad_rows for r in rows])
            if not keep.any():
                continue
            idx, key, check = self._group_keys(group, checked, keep)
            single = len(group.columns) == 1
            kept_rows = rows[idx]
            for row, first in group.tracker.add(key, check, kept_rows):
                at = int(idx[np.searchsorted(kept_rows, row)])
                value = ", ".join(checked[name].fields.text(at) for name in group.columns)
                errors.append(RowError(row, group.columns[0] if single else None, value,
                                       f"{group.rule} (first at row {first})"))
        return errors

    def _clash_errors(self, checked: dict[str, _Checked], rows: np.ndarray, found: list[RowError]) -> list[RowError]:
        """Rows whose primary key is already in the table (asked of the database by `key_lookup`)."""
        lookup = self.key_lookup
        if lookup is None:
            return []
        bad_rows = {e.row for e in found}
        keep = np.array([int(r) not in bad_rows for r in rows]) if found else np.ones(len(rows), dtype=bool)
        if not keep.any():
            return []
        key = self.contract.primary_key
        idx = np.flatnonzero(keep)
        values = {name: checked[name].fields.texts(idx) for name in key}
        clashes = np.flatnonzero(lookup(values))
        rule = f"unique against rows already loaded in {self.contract.table}"
        single = len(key) == 1
        return [RowError(int(rows[idx[i]]), key[0] if single else None, ", ".join(values[n][i] for n in key),
                         rule) for i in clashes]

    def row_of(self, column: str, value: str) -> int | None:
        """The row where a value of a uniquely tracked column first appeared (to explain a database conflict)."""
        group = next((g for g in self._groups if g.columns == (column,)), None)
        if group is None:
            return None
        rule = self._rules[column]
        block = Fields.of_texts([value], self.encoding)
        ok, parsed = rule.check(block)
        if not ok[0]:
            return None
        key, check = column_keys(rule, block, parsed)
        return group.tracker.first_row_of(key, check)


class CheckedCsv:
    """One file being checked: the header first, then blocks that passed (original bytes for COPY).

    With `on_error: reject_rows` the blocks come without their bad records, which are kept in `rejected`;
    `key_lookup` (a second pass that knows the table) also sets aside rows whose key is already loaded.
    `track_key=False` leaves the primary key's uniqueness within the file to the table's own index (the
    loader's first pass: memory stays flat whatever the file's size).
    """

    def __init__(self, chunks: Iterable[bytes], contract: Contract, *, gzipped: bool = False,
                 limits: Limits | None = None, max_decompressed: int = MAX_DECOMPRESSED_BYTES,
                 today: date | None = None, now: datetime | None = None, key_lookup: KeyLookup | None = None,
                 track_key: bool = True) -> None:
        keep_freed_memory()
        if gzipped:
            chunks = gunzip(chunks, max_decompressed)
        self.contract = contract
        self.result = ValidationResult(reject_rows=contract.on_error == "reject_rows")
        self._reader = CsvReader(chunks, limits or Limits(), delimiter=contract.delimiter,
                                 encoding=contract.text_encoding)
        self._clock = Clock.at(today, now)
        self._key_lookup = key_lookup
        self._track_key = track_key
        self.validator: BlockValidator | None = None
        self.rejected: RejectedRecords | None = None

    def open(self) -> list[str]:
        """Read and check the header; returns the file's column order (COPY's column list)."""
        header = self._reader.read_header()
        problems = header_errors(header, self.contract)
        if problems:
            raise FileRejected(problems)
        self.validator = BlockValidator(self.contract, header, self._clock, track_key=self._track_key)
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
