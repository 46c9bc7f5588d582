"""The fixtures against the handler's own validation: clean files pass, each defect fails where recorded."""

from __future__ import annotations

import pytest

import fixtures
from lambda_function.contract import Contract, load_contracts
from lambda_function.validate import validate_stream
from tests.fixtures_plugin import defect_cases


def spec_of(table: str) -> Contract:
    return load_contracts().lookup(fixtures.TABLES[table].object_name)  # type: ignore[return-value]


@pytest.mark.parametrize("table", ["users", "test"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_clean_files_pass_validation(table: str, seed: int) -> None:
    made = fixtures.generate(table, 3000, seed)
    result = validate_stream([made.data], spec_of(table))
    assert result.errors == []
    assert result.rows == 3000


def chunked(data: bytes, size: int = 65_536) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_big_clean_file_streamed_in_small_chunks_passes(tmp_path) -> None:
    written = fixtures.write(tmp_path / "users.csv", "users", 20_000, 6)
    result = validate_stream(chunked(written.path.read_bytes()), spec_of("users"))
    assert result.errors == [] and result.rows == 20_000


def test_clean_gzip_file_streamed_in_small_chunks_passes(tmp_path) -> None:
    written = fixtures.write(tmp_path / "test.csv.gz", "test", 20_000, 6, gzipped=True)
    result = validate_stream(chunked(written.path.read_bytes()), spec_of("test"), gzipped=True)
    assert result.errors == [] and result.rows == 20_000


@pytest.mark.parametrize("seed", [4, 31])
@pytest.mark.parametrize(("table", "kind"), defect_cases())
def test_every_defect_is_rejected_at_its_recorded_place(table: str, kind: str, seed: int) -> None:
    made = fixtures.generate(table, 60, seed, kind)
    defect = made.defect
    assert defect is not None
    errors = validate_stream([made.data], spec_of(table)).errors
    assert errors, f"{kind}: the validator accepted the file"
    at_place = [e for e in errors if e.row == defect.row and (defect.column is None or e.column == defect.column)]
    assert at_place, f"{kind}: recorded ({defect.row}, {defect.column}), validator said {errors}"
    # Exactly one thing is broken: nothing is reported anywhere else.
    assert {e.row for e in errors} == {defect.row}, errors
    if defect.column is not None:
        assert {e.column for e in errors} == {defect.column}, errors
