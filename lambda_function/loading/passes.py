"""Validate and COPY one file inside the load's transaction: one pass, or a second when keys clash.

The first pass streams, validates and COPYs at full speed without asking the table anything. Only
when that cannot succeed because of rows already in the table (an append whose primary key clashes:
COPY raises), or when the file fails anyway and such clashes may hide among its errors, a second pass
reads the object again with a key lookup: `on_error: fail` then lists every clash beside the other
errors; `reject_rows` sets the clashing records aside and loads the rest. The first pass runs in a
savepoint, so the second starts from the table as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from ..checking.rejects import RejectedRecords
from ..checking.validator import CheckedCsv, KeyLookup, ValidationResult
from ..contract import Contract, is_gzip_key
from ..errors import FileRejected, RowError, TransientError
from ..job import Ingestion
from ..reading import objects
from ..reading.blocks import Block, Limits
from .clashes import RememberedLookup, has_rows, key_lookup
from .strategies import conflict_error, copy_blocks, loaded_key_rule


@dataclass
class Loaded:
    """What a successful pass loaded, and the records it set aside (PARTIAL when there are any)."""

    rows: int
    result: ValidationResult
    rejected: RejectedRecords | None

    def close(self) -> None:
        if self.rejected is not None:
            self.rejected.close()


class _Clash(Exception):
    """COPY met a primary key already in the table; `rejected` explains the first one."""

    def __init__(self, rejected: FileRejected) -> None:
        super().__init__(rejected.errors[0].rule)
        self.rejected = rejected


def load_file(cur: psycopg.Cursor[Any], job: Ingestion, contract: Contract, *, altered: bool = False,
              replaced: list[int] | None = None) -> Loaded:
    """Rows loaded (uncommitted) and records set aside; raises FileRejected when the file is FAILED.

    The first pass leaves the primary key's uniqueness to the table's own index (memory stays flat): a
    repeated key makes COPY fail, and the second pass, which tracks every key, says which rows repeat.
    `altered`: this load changed the table's definition (clashes.RememberedLookup says what that changes).
    `replaced`: the loads whose rows this one deleted before (replace_file): their keys are no clash.
    """
    keyed = bool(contract.primary_key)
    clashes_possible = (contract.mode in ("append", "replace_file") and keyed
                        and has_rows(cur, job.settings.db_schema, contract))
    failure: FileRejected | None = None
    clash: _Clash | None = None
    try:
        with cur.connection.transaction():  # a savepoint: a second pass starts from the table as it was
            return _one_pass(cur, job, contract, None, copy=True, track_key=not keyed)
    except FileRejected as exc:
        if not keyed:
            raise
        failure = exc  # a second look also lists repeated keys, which the first pass did not track
    except _Clash as exc:
        if not keyed:
            raise exc.rejected from None
        clash = exc
    try:
        loaded = _second_pass(cur, job, contract, failure, clashes_possible, altered, replaced or [])
        if loaded is not None:
            return loaded
    except _Clash:
        raise TransientError("another load committed rows with the same keys meanwhile; retry") from None
    except FileRejected as exc:
        exc.final = exc.final and _rests_on_the_file(exc, contract)
        raise
    if failure is not None:
        raise failure
    if clash is not None and not clashes_possible:
        raise clash.rejected  # not the key: a unique index of the table's own that no contract rule knows
    raise TransientError("rows clashing with the table were gone on a second look; retry")


def _second_pass(cur: psycopg.Cursor[Any], job: Ingestion, contract: Contract, failure: FileRejected | None,
                 clashes_possible: bool, altered: bool, replaced: list[int]) -> Loaded | None:
    """Every key tracked, and looked up in the table when it may hold them: the rows loaded (reject_rows), or
    FileRejected listing every problem; None when no problem showed up on this second look."""
    loads = failure is None and contract.on_error == "reject_rows"
    lookups: AbstractContextManager[KeyLookup | None] = nullcontext()
    if clashes_possible and altered:  # asked on this load's own connection (clashes.RememberedLookup)
        remembered = RememberedLookup(cur, job.settings.db_schema, contract)
        _one_pass(cur, job, contract, remembered.ask, copy=False, track_key=True).close()  # fail: raises here
        if not loads:
            return None
        lookups = nullcontext(remembered.answer)
    elif clashes_possible:
        lookups = key_lookup(job.clients.engine, job.settings.db_schema, contract, replaced)
    with lookups as lookup:
        if loads:
            with cur.connection.transaction():
                return _one_pass(cur, job, contract, lookup, copy=True, track_key=True)
        _one_pass(cur, job, contract, lookup, copy=False, track_key=True)  # lists every problem: it raises
    return None


def _rests_on_the_file(rejected: FileRejected, contract: Contract) -> bool:
    """Would the file fail without the keys already loaded (rows that may be deleted before a redelivery)?"""
    loaded = loaded_key_rule(contract)
    clashes = sum(e.rule == loaded for e in rejected.errors)
    if contract.on_error == "reject_rows":  # the clashes may be what took it past its limits
        return clashes == 0
    return clashes < len(rejected.errors)


def _one_pass(cur: psycopg.Cursor[Any], job: Ingestion, contract: Contract, lookup: KeyLookup | None,
              *, copy: bool, track_key: bool) -> Loaded:
    settings, ref = job.settings, job.ref
    limits = Limits(block_bytes=settings.block_bytes, max_record_bytes=settings.max_record_bytes)
    progress = job.deadline.track(ref.size)
    chunks = progress.count(objects.stream(job.clients.s3, ref, settings.max_object_bytes))
    checked = CheckedCsv(chunks, contract, gzipped=is_gzip_key(ref.key), limits=limits,
                         max_decompressed=settings.max_decompressed_bytes, key_lookup=lookup, track_key=track_key)
    try:
        columns = checked.open()
        blocks = _watched(checked.blocks(), progress)
        if copy:
            rows = copy_blocks(cur, contract, settings.db_schema, columns, blocks)
        else:
            rows = sum(block.rows for block in blocks)
        return Loaded(rows, checked.result, checked.rejected)
    except FileRejected as exc:
        if checked.rejected is not None:
            checked.rejected.close()
        result = checked.result
        raise FileRejected(exc.errors, rows_rejected=result.rows_rejected or None,
                           error_count=max(result.error_count, len(exc.errors)), final=exc.final) from None
    except pg_errors.UniqueViolation as exc:
        row_of = checked.validator.row_of if checked.validator else (lambda column, value: None)
        raise _Clash(conflict_error(exc, contract, row_of)) from None
    except (pg_errors.DataError, pg_errors.IntegrityError) as exc:
        rule = f"refused by PostgreSQL: {exc.diag.message_primary}"
        raise FileRejected([RowError(None, None, None, rule)], final=False) from None


def _watched(blocks: Iterator[Block], progress: Any) -> Iterator[Block]:
    for block in blocks:
        progress.check()
        yield block
