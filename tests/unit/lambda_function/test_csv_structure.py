"""validate_stream on the structure of a file: header, quoting, line endings, encoding (size and gzip:
test_csv_size_and_gzip.py)."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_function.checking.validator import validate_stream
from lambda_function.errors import RowError
from lambda_function.reading.blocks import Limits
from lambda_function.reading.structure import valid_utf8
from tests.support.csv_text import (
    HEADER,
    ROW1,
    ROW2,
    ROW3,
    TEST,
    TODAY,
    USERS,
    csv_file,
    only_error,
    row,
    users_row,
    validate,
)

# -- tolerated shapes ------------------------------------------------------------------------

@pytest.mark.parametrize("chunk", [1, 8192])
def test_utf8_bom_before_the_header_is_tolerated(chunk):
    result = validate(b"\xef\xbb\xbf" + HEADER + ROW1, chunk=chunk)

    assert result.ok, result.errors
    assert result.rows == 1


def test_crlf_file_is_valid():
    result = validate((HEADER + ROW1 + ROW2).replace(b"\n", b"\r\n"))

    assert result.ok, result.errors
    assert result.rows == 2


def test_last_record_without_line_break_is_a_record():
    result = validate(HEADER + ROW1 + ROW2.rstrip(b"\n"))

    assert result.ok
    assert result.rows == 2


def test_quoted_header_names_are_read_as_names():
    header = b",".join(b'"%s"' % n.encode() for n in USERS.column_names) + b"\n"

    assert validate(header + ROW1).ok


@pytest.mark.parametrize("chunk", [1, 7, 8192])
def test_quoted_comma_quote_and_newline_stay_inside_one_record(chunk):
    data = (HEADER
            + b'1,ada@example.com,"Lovelace, Ada",GB,2024-01-15,true\n'
            + b'2,alan@example.com,"Alan ""Prof"" Turing",GB,2024-01-16,false\n'
            + b'3,grace@example.com,"Grace\nBrewster\nHopper",US,2024-01-17,true\n'
            + b"4,kat@example.com,Katherine Johnson,us,2024-01-18,true\n")

    result = validate(data, chunk=chunk)

    assert result.rows == 4
    assert [(e.row, e.column, e.value) for e in result.errors] == [(4, "country_code", "us")]


def test_quoted_newline_in_a_crlf_file_is_part_of_the_value():
    data = (HEADER + b'1,ada@example.com,"Ada\r\nLovelace",GB,2024-01-15,true\n' + ROW2).replace(b"e\n", b"e\r\n")

    result = validate(data)

    assert result.ok, result.errors
    assert result.rows == 2


def test_row_numbers_count_records_not_lines_across_many_blocks():
    rows = [users_row(i, full_name='"First\nLast"') if i % 7 == 0 else users_row(i) for i in range(1, 3001)]
    rows[2899] = users_row(2900, is_active="maybe")

    result = validate(csv_file(USERS, rows), limits=Limits(block_bytes=65536))

    assert result.rows == 3000
    assert [(e.row, e.column, e.value) for e in result.errors] == [(2900, "is_active", "maybe")]


def test_columns_may_come_in_any_order():
    names = list(reversed(TEST.column_names))
    good = row(TEST)
    data = (",".join(names) + "\n" + ",".join(good[n] for n in names) + "\n").encode()

    assert validate(data, TEST).ok


def test_trailing_blank_lines_at_end_of_file_are_tolerated():
    result = validate(HEADER + ROW1 + ROW2 + b"\n\n\n")

    assert result.ok, result.errors
    assert result.rows == 2


def test_trailing_blank_lines_after_crlf_records_are_tolerated():
    assert validate((HEADER + ROW1 + b"\n\n").replace(b"\n", b"\r\n")).ok


def test_trailing_blank_lines_are_tolerated_when_the_last_read_fills_a_block():
    data = csv_file(USERS, [users_row(i) for i in range(1, 3001)]) + b"\n\n"

    result = validate_stream([data], USERS, limits=Limits(block_bytes=65536), today=TODAY)

    assert result.errors == []
    assert result.rows == 3000


# -- header problems (row None) --------------------------------------------------------------

def test_missing_header_column_is_named():
    data = b"user_id,full_name,country_code,signup_date,is_active\n1,Ada,GB,2024-01-15,true\n"

    assert validate(data).errors == [RowError(None, "email", None, "required column missing from the header")]


def test_extra_header_column_is_named():
    data = HEADER.rstrip(b"\n") + b",nickname\n" + ROW1.rstrip(b"\n") + b",ada\n"

    assert validate(data).errors == [RowError(None, "nickname", "nickname", "a column of the table")]


def test_duplicate_header_column_is_named():
    data = HEADER.rstrip(b"\n") + b",email\n" + ROW1.rstrip(b"\n") + b",x@example.com\n"

    assert validate(data).errors == [RowError(None, "email", "email", "each column once in the header")]


def test_header_names_must_match_exactly():
    result = validate(HEADER.replace(b"email", b"Email") + ROW1)

    assert {(e.row, e.column) for e in result.errors} == {(None, "Email"), (None, "email")}


def test_semicolon_delimited_file_is_recognised():
    data = HEADER.replace(b",", b";") + ROW1.replace(b",", b";")

    result = validate(data)

    assert [e.rule for e in result.errors] == [
        "the header is separated by ';': save as CSV UTF-8 (comma delimited) or set dialect.delimiter"]
    assert result.errors[0].row is None


@pytest.mark.parametrize(("written", "how"), [
    (b"email ", "with a trailing space"),
    (b" email", "with a leading space"),
    (b"Email", "with different case"),
    (b"\xe2\x80\x8bemail", "with an invisible character (U+200B)"),
    (b"email\xc2\xa0", "with an invisible character (U+00A0)"),
])
def test_a_header_name_that_differs_invisibly_says_how(written, how):
    result = validate(HEADER.replace(b"email", written) + ROW1)

    unknown = [e for e in result.errors if e.value is not None]
    assert len(unknown) == 1 and unknown[0].rule.startswith("a column of the table: ")
    assert unknown[0].rule.endswith(f"is 'email' {how}")
    assert RowError(None, "email", None, "required column missing from the header") in result.errors


def test_a_near_miss_header_name_gets_a_did_you_mean():
    result = validate(HEADER.replace(b"signup_date", b"sigup_date") + ROW1)

    assert RowError(None, "sigup_date", "sigup_date", "a column of the table (did you mean 'signup_date'?)") \
        in result.errors


def test_an_unrelated_header_name_gets_no_guess():
    result = validate(HEADER.replace(b"signup_date", b"zzz") + ROW1)

    assert RowError(None, "zzz", "zzz", "a column of the table") in result.errors


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf"])
def test_empty_file_fails_as_a_whole(data):
    assert validate(data).errors == [RowError(None, None, None, "file is empty")]


@pytest.mark.parametrize("tail", [
    b"",
    b"\n",
    b"\n\n",
], ids=["no-tail", "one-blank-line", "two-blank-lines"])
def test_header_only_fails_with_at_least_one_data_row(tail):
    error = only_error(validate(HEADER + tail))

    assert error.row is None and error.column is None
    assert "at least one data row" in error.rule


def test_trailing_blank_line_arriving_in_a_chunk_of_its_own_is_tolerated():
    data = csv_file(USERS, [users_row(i) for i in range(1, 3001)])

    result = validate_stream([data, b"\n"], USERS, limits=Limits(block_bytes=65536), today=TODAY)

    assert result.errors == []
    assert result.rows == 3000


def test_invalid_utf8_in_the_header_fails_as_a_whole():
    error = only_error(validate(HEADER.replace(b"email", b"em\xffail") + ROW1))

    assert (error.row, error.rule) == (None, "header is not valid UTF-8")


@pytest.mark.parametrize(("encode", "says"), [
    (lambda text: text.encode("utf-16"), "UTF-16 byte-order mark"),
    (lambda text: text.encode("utf-16-be"), "NUL bytes"),
    (lambda text: text.encode("utf-16-le"), "NUL bytes"),
    (lambda text: text.encode("utf-32"), "UTF-32 byte-order mark"),
    (lambda text: gzip.compress(text.encode()), "gzip-compressed; name the object with a .gz suffix"),
], ids=["utf-16", "utf-16-be", "utf-16-le", "utf-32", "gzip"])
def test_a_file_in_another_encoding_fails_as_a_whole_saying_what_it_is(encode, says):
    error = only_error(validate(encode((HEADER + ROW1).decode())))

    assert (error.row, error.column) == (None, None)
    assert says in error.rule


@pytest.mark.parametrize("header", [
    b'"user_id"x,email,full_name,country_code,signup_date,is_active\n',  # text after a closing quote
    b"user_id\r,email,full_name,country_code,signup_date,is_active\n",  # bare CR in the header
    b'"user_id,email,full_name,country_code,signup_date,is_active\n',  # quote never closed
], ids=["after-closing-quote", "bare-cr", "unclosed-quote"])
def test_malformed_header_quoting_is_a_file_error_not_a_crash(header):
    result = validate(header + ROW1)

    assert not result.ok
    assert result.errors[0].row is None


# -- record structure ------------------------------------------------------------------------

def test_long_and_short_rows_fail_at_their_row():
    data = HEADER + ROW1 + ROW2.rstrip(b"\n") + b",extra\n" + b"3,grace@example.com,Grace Hopper,US\n"

    result = validate(data)

    assert [(e.row, e.column, e.rule) for e in result.errors] == [
        (2, None, "6 fields per record, found 7"), (3, None, "6 fields per record, found 4"),
    ]


def test_unterminated_quote_fails_at_the_row_where_it_opens():
    data = HEADER + ROW1 + ROW2 + b'3,grace@example.com,"Grace Hopper,US,2024-01-17,true\n' + ROW1 + ROW2

    error = only_error(validate(data))

    assert (error.row, error.rule) == (3, "quoted field is never closed")


def test_stray_quote_inside_an_unquoted_field_fails_at_row_and_column():
    data = HEADER + ROW1 + b'2,alan@example.com,Alan "Prof" Turing,GB,2024-01-16,false\n' + ROW3

    result = validate(data)

    assert result.errors
    assert {(e.row, e.column) for e in result.errors} == {(2, "full_name")}
    assert all("quotes only around a whole field" in e.rule for e in result.errors)


def test_text_after_a_closing_quote_fails():
    data = HEADER + b'1,ada@example.com,"Ada"Lovelace,GB,2024-01-15,true\n'

    error = only_error(validate(data))

    assert (error.row, error.column) == (1, "full_name")


@pytest.mark.parametrize(("data", "row", "rule"), [
    (HEADER + ROW1 + ROW2.replace(b"\n", b"\r\n") + ROW3, 2, "line endings all LF, as in the header line"),
    ((HEADER + ROW1).replace(b"\n", b"\r\n") + ROW2 + ROW3.replace(b"\n", b"\r\n"), 2,
     "line endings all CRLF, as in the header line"),
    (HEADER + ROW1.replace(b"\n", b"\r") + ROW2, 1, "line endings all LF, as in the header line"),
], ids=["crlf-in-lf-file", "lf-in-crlf-file", "bare-cr"])
def test_mixed_or_bare_line_endings_fail_at_their_row(data, row, rule):
    result = validate(data)

    assert not result.ok
    assert (row, rule) in [(e.row, e.rule) for e in result.errors]
    assert {e.row for e in result.errors} == {row}


def test_nul_byte_fails_at_row_and_column():
    data = HEADER + ROW1 + ROW2.replace(b"Alan", b"Al\x00an")

    error = only_error(validate(data))

    assert (error.row, error.column, error.rule) == (2, "full_name", "no NUL characters")


def test_invalid_utf8_fails_at_row_and_column():
    data = HEADER + ROW1 + ROW2 + ROW3.replace(b"Hopper", b"Hop\xe9er")

    error = only_error(validate(data))

    assert (error.row, error.column, error.rule) == (3, "full_name", "valid UTF-8 text")


def test_gzip_bytes_under_a_plain_name_are_not_utf8_and_fail():
    result = validate(gzip.compress(HEADER + ROW1))

    assert not result.ok
    assert result.errors[0].row is None


def test_blank_line_between_records_fails():
    result = validate(HEADER + ROW1 + b"\n" + ROW2)

    assert [(e.row, e.rule) for e in result.errors] == [(2, "no blank lines between records")]


PIECES = [b"a", b",", b"\n", b"\xc3\xa9", b"\xe6\x97\xa5", b"\xf0\x9f\x98\x80", b"\xc3", b"\xa9", b"\xe0\x80\x80",
          b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xff", b"\xf0\x9f"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.integers(1, 40))
def test_utf8_check_of_sparse_non_ascii_agrees_with_pythons_decoder(pieces, ascii_run):
    """Stretches of non-ASCII bytes (valid, overlong, surrogate, truncated, out of range) between ASCII."""
    data = b"x" * ascii_run * 20 + b"".join(pieces)  # mostly ASCII: the sparse path
    try:
        data.decode("utf-8")
        expected = True
    except UnicodeDecodeError:
        expected = False
    assert valid_utf8(data) is expected
    assert valid_utf8(b"".join(pieces)) is expected  # mostly non-ASCII: one decode
