"""The defect catalogue: named, deterministic, and each damage sits exactly where it is recorded."""

from __future__ import annotations

import pytest

import fixtures
from fixtures.csvtext import parse
from tests.fixtures_plugin import defect_cases

WHOLE_FILE = {"empty_file", "header_only", "missing_column", "extra_column", "duplicate_header", "wrong_delimiter"}
# Defects that damage bytes or structure, so the file no longer parses as clean CSV cell by cell.
STRUCTURAL = WHOLE_FILE | {"ragged_long_row", "ragged_short_row", "unterminated_quote", "invalid_utf8"}
DUPLICATES = {"duplicate_user_id", "duplicate_email_case", "duplicate_test_id", "duplicate_test_id_case"}
SUGGESTED = {
    "missing_column", "extra_column", "duplicate_header", "bad_email", "duplicate_user_id", "duplicate_email_case",
    "future_signup_date", "impossible_date", "boolean_yes", "three_letter_country", "user_id_zero",
    "non_integer_id", "blank_name", "name_too_long", "empty_file", "header_only", "invalid_utf8", "ragged_long_row",
    "ragged_short_row", "unterminated_quote", "wrong_delimiter", "nan_value", "infinite_value",
    "timestamp_without_offset", "malformed_uuid", "duplicate_test_id",
}  # fmt: skip


def test_catalogue_is_large_and_described() -> None:
    assert len(fixtures.DEFECTS) >= 20
    assert set(fixtures.DEFECTS) >= SUGGESTED
    for name, defect in fixtures.DEFECTS.items():
        assert defect.name == name
        assert defect.tables and set(defect.tables) <= set(fixtures.TABLES)
        assert defect.description and defect.rule_hint


@pytest.mark.parametrize(("table", "kind"), defect_cases())
def test_defect_is_deterministic_and_recorded(table: str, kind: str) -> None:
    first = fixtures.generate(table, 30, 9, kind)
    assert first.data == fixtures.generate(table, 30, 9, kind).data
    assert first.data != fixtures.generate(table, 30, 9).data
    assert first.defect is not None and first.defect.kind == kind
    assert first.defect.rule_hint == fixtures.DEFECTS[kind].rule_hint
    if kind in WHOLE_FILE:
        assert first.defect.row is None
    else:
        assert first.defect.row is not None and 1 <= first.defect.row <= 30


@pytest.mark.parametrize(("table", "kind"), [c for c in defect_cases() if c[1] not in STRUCTURAL])
def test_value_defect_changes_exactly_the_recorded_cell(table: str, kind: str) -> None:
    clean = parse(fixtures.generate(table, 40, 13).data)
    broken_file = fixtures.generate(table, 40, 13, kind)
    broken = parse(broken_file.data)
    defect = broken_file.defect
    assert defect is not None and defect.row is not None and defect.column is not None
    header = clean[0]
    changed = [
        (row, header[col])
        for row in range(1, len(clean))
        for col in range(len(header))
        if clean[row][col] != broken[row][col]
    ]
    assert changed == [(defect.row, defect.column)]


@pytest.mark.parametrize("kind", sorted(DUPLICATES))
def test_duplicates_record_the_later_occurrence(kind: str) -> None:
    table = fixtures.DEFECTS[kind].tables[0]
    made = fixtures.generate(table, 40, 17, kind)
    assert made.defect is not None and made.defect.row is not None and made.defect.column is not None
    records = parse(made.data)
    col = records[0].index(made.defect.column)
    later = records[made.defect.row][col].casefold()
    earlier = [row for row in range(1, made.defect.row) if records[row][col].casefold() == later]
    assert len(earlier) == 1


def test_unterminated_quote_opens_at_the_recorded_row() -> None:
    made = fixtures.generate("users", 40, 5, "unterminated_quote")
    assert made.defect is not None and made.defect.row is not None
    start = _offset_of_record(made.data, made.defect.row)
    assert len(parse(made.data[:start])) == made.defect.row  # header + the records before it parse cleanly
    assert made.data.count(b'"', start) == 1  # from that record on: one quote, never closed


def _offset_of_record(data: bytes, row: int) -> int:
    """Byte offset where 1-based data record ``row`` starts (quote-aware)."""
    in_quotes, record, offset = False, 0, 0
    for offset, byte in enumerate(data):
        if record == row:
            return offset
        if byte == ord('"'):
            in_quotes = not in_quotes
        elif byte == ord("\n") and not in_quotes:
            record += 1
    raise AssertionError(f"record {row} not found")


def test_invalid_utf8_is_one_bad_byte_in_one_text_field() -> None:
    made = fixtures.generate("test", 40, 5, "invalid_utf8")
    assert made.defect is not None
    with pytest.raises(UnicodeDecodeError):
        made.data.decode("utf-8")
    repaired = made.data.replace(b"\xe9", "é".encode())
    assert repaired.decode("utf-8")  # nothing else is wrong with the bytes
    assert made.data.count(b"\xe9") >= 1


def test_whole_file_defects() -> None:
    assert fixtures.generate("users", 10, 1, "empty_file").data == b""
    header_only = fixtures.generate("test", 10, 1, "header_only")
    assert header_only.data == b"test_id,user_id,assay,value,unit,measured_at,passed\n" and header_only.rows == 0
    semicolons = fixtures.generate("users", 10, 1, "wrong_delimiter").data
    assert semicolons.startswith(b"user_id;email;full_name;")


def test_defect_for_the_wrong_table_or_too_few_rows_is_refused() -> None:
    with pytest.raises(ValueError, match="applies to users"):
        fixtures.generate("test", 10, 1, "bad_email")
    with pytest.raises(ValueError, match="at least 2 rows"):
        fixtures.generate("users", 1, 1, "duplicate_user_id")
    with pytest.raises(ValueError, match="unknown defect"):
        fixtures.generate("users", 10, 1, "no_such_defect")


@pytest.mark.parametrize(("table", "kind"), defect_cases())
def test_defects_work_on_the_smallest_allowed_file(table: str, kind: str) -> None:
    made = fixtures.generate(table, max(fixtures.DEFECTS[kind].min_rows, 1), 2, kind)
    assert made.defect is not None
