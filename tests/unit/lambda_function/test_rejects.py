"""Row-level rejects without a database: which records are set aside, their bytes, the limits, the status."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lambda_function.checking.validator import CheckedCsv, validate_stream
from lambda_function.contract import Contract, load_contracts
from lambda_function.reading.blocks import CsvReader, Limits
from tests.support.csv_text import GOOD_TEST, TEST, TODAY, chunked

HEADER = ",".join(TEST.column_names)


def lab(tmp_path, extra: str = "max_rejected_rows: 5\n") -> Contract:
    text = Path(TEST.source).read_text().replace("file: test.csv", "file: lab.csv")
    (tmp_path / "lab.yaml").write_text(text + "on_error: reject_rows\n" + extra)
    contract = load_contracts(tmp_path).lookup("lab.csv")
    assert contract is not None
    return contract


def record(i: int, **fields: str) -> str:
    values = {**GOOD_TEST, "test_id": f"00000000-0000-0000-0000-{i:012d}", **fields}
    return ",".join(values[n] for n in TEST.column_names)


def screened(contract: Contract, text: str, chunk: int = 8192) -> tuple[CheckedCsv, list[int], bytes]:
    checked = CheckedCsv(chunked(text.encode(), chunk), contract, limits=Limits(block_bytes=65536), today=TODAY)
    checked.open()
    kept = [int(n) for block in checked.blocks() for n in block.row_numbers()]
    assert checked.rejected is not None
    return checked, kept, checked.rejected.csv_file().read()


def test_bad_records_are_cut_out_and_kept_byte_for_byte(tmp_path):
    lines = [record(i) for i in range(1, 3001)]
    lines[4] = record(5, value="nan")
    lines[1999] = record(2000, passed="yes")
    lines[2999] = record(3000, unit="")
    text = HEADER + "\n" + "\n".join(lines) + "\n"

    checked, kept, rejected = screened(lab(tmp_path), text)

    assert kept == [n for n in range(1, 3001) if n not in (5, 2000, 3000)]
    assert rejected == (HEADER + "\n" + lines[4] + "\n" + lines[1999] + "\n" + lines[2999] + "\n").encode()
    assert checked.result.status == "PARTIAL" and checked.result.rows_rejected == 3
    entries = list(checked.rejected.entries())  # type: ignore[union-attr]
    assert [(e["row"], e["rejected_row"], e["column"]) for e in entries] == [(5, 1, "value"), (2000, 2, "passed"),
                                                                            (3000, 3, "unit")]


def test_the_first_occurrence_loads_and_a_rejected_row_hides_no_later_duplicate(tmp_path):
    lines = [record(1), record(2), record(1), record(3, value="x"), record(3)]

    _, kept, _ = screened(lab(tmp_path), HEADER + "\n" + "\n".join(lines) + "\n")

    assert kept == [1, 2, 5]


def test_ragged_and_badly_encoded_records_are_rejected_with_boundaries_certain(tmp_path):
    text = (HEADER + "\n" + record(1) + "\n" + record(2) + ",extra\n" + record(3) + "\n").encode()
    text += record(4, assay="gl\udce9cose").encode("utf-8", "surrogateescape") + b"\n" + record(5).encode() + b"\n"

    result = validate_stream([text], lab(tmp_path), today=TODAY)

    assert result.status == "PARTIAL"
    assert [(e.row, e.rule) for e in result.errors] == [(2, "7 fields per record, found 8"), (4, "valid UTF-8 text")]


def test_a_quoted_newline_inside_a_rejected_record_stays_in_it(tmp_path):
    lines = [record(1), record(2, assay='"two\nlines"', value="nan"), record(3)]
    text = HEADER + "\r\n" + "\r\n".join(lines) + "\r\n"

    _, kept, rejected = screened(lab(tmp_path), text)

    assert kept == [1, 3]
    assert rejected == (HEADER + "\r\n" + lines[1] + "\r\n").encode()


@pytest.mark.parametrize(("bad", "status"), [(5, "PARTIAL"), (6, "FAILED")])
def test_max_rejected_rows_is_inclusive(tmp_path, bad, status):
    lines = [record(i, value="nan") if i <= bad else record(i) for i in range(1, 21)]

    result = validate_stream([(HEADER + "\n" + "\n".join(lines) + "\n").encode()], lab(tmp_path), today=TODAY)

    assert result.status == status
    if status == "FAILED":
        assert result.errors[-1].rule.startswith("at most 5 rejected rows (max_rejected_rows)")


def test_every_record_rejected_fails_rather_than_loading_nothing(tmp_path):
    contract = lab(tmp_path, "max_rejected_ratio: 1\n")

    result = validate_stream([(HEADER + "\n" + record(1, value="nan") + "\n").encode()], contract, today=TODAY)

    assert result.status == "FAILED"
    assert any("every record was rejected" in e.rule for e in result.errors)


def test_a_block_without_records_keeps_numbers_and_bytes():
    data = b"a,b\n1,x\n2,\"y\nz\"\n3,w\n4,v"
    reader = CsvReader([data])
    reader.read_header()
    [block] = list(reader.blocks())

    kept = block.without(np.array([1, 3]))

    assert kept is not None and kept.data == b"1,x\n3,w\n"
    assert kept.row_numbers().tolist() == [1, 3]
    assert block.records(np.array([1, 3])) == b'2,"y\nz"\n4,v'
    assert block.without(np.arange(4)) is None
