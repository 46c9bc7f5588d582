"""Every column rule of DESIGN, with passing and failing values, through validate_stream on tiny files."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lambda_function.checking.validator as validate_module
from lambda_function.checking.rules import check_column, explain, rule_for
from lambda_function.checking.validator import CheckedCsv
from lambda_function.contract import Contract
from lambda_function.errors import RowError
from lambda_function.reading.blocks import Limits
from tests.support.csv_text import TEST, TODAY, USERS, chunked, csv_file, row, users_row, validate


def one_row(spec: Contract, column: str, raw: str, today: date | None = TODAY):
    return validate(csv_file(spec, [row(spec, **{column: raw})]), spec, today=today)


def assert_single_error(result, column: str, value: str, rule_part: str) -> RowError:
    assert not result.ok
    [error] = result.errors
    assert (error.row, error.column, error.value) == (1, column, value)
    assert rule_part in error.rule
    assert error.rule.lower() not in {"invalid", "invalid value"}
    assert result.rows_rejected == 1
    return error


VALID = [
    (USERS, "user_id", ["1", "9223372036854775807", "007"]),
    (USERS, "email", ["ada@example.com", "first.last+tag@mail.example.co.uk", "ü@bücher.de"]),
    (USERS, "full_name", ["A", "x" * 200, "  " + "x" * 200 + "  ", "Zoë Ñúñez-Łukasz", "山田太郎", '"Lovelace, Ada"']),
    (USERS, "country_code", ["GB", "US"]),
    (USERS, "signup_date", ["2024-06-01", "2024-02-29", "1999-12-31"]),
    (USERS, "is_active", ["true", "FALSE", "True", "fAlSe"]),
    (TEST, "test_id", ["123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000"]),
    (TEST, "user_id", ["1", "9223372036854775807"]),
    (TEST, "assay", ["a", "x" * 100, "HbA1c (%)"]),
    (TEST, "value", ["1e308", "5e-324", "-2e-5", "0", "-0", ".5", "5.", "3.141592653589793", "+1"]),
    (TEST, "unit", ["%", "x" * 20]),
    (TEST, "measured_at", [
        "2024-05-01T12:30:00Z", "2024-05-01T12:30:00+02:00", "2024-05-01T12:30:00-0530",
        "2024-05-01 12:30:00Z", "2024-05-01T12:30:00.123456Z", "2024-05-01T12:30Z", "2024-02-29T23:59:59+00:00",
    ]),
    (TEST, "passed", ["", '""', "true", "FALSE"]),
]


@pytest.mark.parametrize(("spec", "column", "raw"),
                         [(s, c, v) for s, c, values in VALID for v in values],
                         ids=lambda x: x.table if isinstance(x, Contract) else repr(x)[:24])
def test_valid_value_passes(spec, column, raw):
    result = one_row(spec, column, raw)

    assert result.ok, result.errors
    assert result.rows == 1


INVALID = [
    (USERS, "user_id", "0", "≥ 1"),
    (USERS, "user_id", "-1", "≥ 1"),
    (USERS, "user_id", "1.0", "digits only"),
    (USERS, "user_id", "abc", "digits only"),
    (USERS, "user_id", " 1", "digits only"),
    (USERS, "user_id", "9223372036854775808", "bigint"),
    (USERS, "email", "a@b", "email"),
    (USERS, "email", "ab.com", "email"),
    (USERS, "email", "a b@c.com", "email"),
    (USERS, "email", "a@@b.com", "email"),
    (USERS, "full_name", "   ", "1–200 characters after trimming"),
    (USERS, "full_name", "x" * 201, "1–200 characters"),
    (USERS, "country_code", "gb", "upper-case"),
    (USERS, "country_code", "GBR", "two upper-case ASCII letters"),
    (USERS, "country_code", "G1", "two upper-case ASCII letters"),
    (USERS, "country_code", "ÀB", "ASCII"),
    (USERS, "signup_date", "2024-06-02", "not later than today"),
    (USERS, "signup_date", "2023-02-30", "real calendar date"),
    (USERS, "signup_date", "2023-1-01", "YYYY-MM-DD"),
    (USERS, "signup_date", "01/02/2024", "YYYY-MM-DD"),
    (USERS, "is_active", "yes", "true or false"),
    (USERS, "is_active", "1", "true or false"),
    (USERS, "is_active", "t", "true or false"),
    (TEST, "test_id", "123e4567-e89b-12d3-a456-42661417400", "UUID"),
    (TEST, "test_id", "123e4567e89b12d3a456426614174000", "UUID"),
    (TEST, "test_id", "123e4567-e89b-12d3-a456-42661417400g", "UUID"),
    (TEST, "user_id", "0", "≥ 1"),
    (TEST, "assay", "x" * 101, "1–100 characters"),
    (TEST, "value", "1e309", "finite"),
    (TEST, "value", "nan", "finite"),
    (TEST, "value", "inf", "finite"),
    (TEST, "value", "-Infinity", "finite"),
    (TEST, "value", "1e-400", "double precision range"),
    (TEST, "value", '"1,5"', "decimal number"),
    (TEST, "value", " 1", "decimal number"),
    (TEST, "value", "0x10", "decimal number"),
    (TEST, "unit", "x" * 21, "1–20 characters"),
    (TEST, "measured_at", "2024-05-01T12:30:00", "with offset or Z"),
    (TEST, "measured_at", "2024-05-01T25:00:00Z", "real calendar date and time"),
    (TEST, "measured_at", "2023-02-30T12:00:00Z", "real calendar date"),
    (TEST, "measured_at", "2024-05-01T12:30:00.1234567Z", "at most 6 fraction digits"),
    (TEST, "measured_at", "2024-05-01", "ISO 8601"),
    (TEST, "passed", "yes", "true or false"),
]


@pytest.mark.parametrize(("spec", "column", "raw", "rule_part"), INVALID,
                         ids=lambda x: x.table if isinstance(x, Contract) else repr(x)[:24])
def test_invalid_value_fails_at_its_row_and_column_with_the_specific_rule(spec, column, raw, rule_part):
    result = one_row(spec, column, raw)

    value = raw[1:-1] if raw.startswith('"') else raw
    assert_single_error(result, column, value, rule_part)


@pytest.mark.parametrize(("spec", "column"), [(s, c.name) for s in (USERS, TEST) for c in s.columns if c.required])
@pytest.mark.parametrize("empty", ["", '""'])
def test_empty_required_value_fails_as_required(spec, column, empty):
    result = one_row(spec, column, empty)

    error = assert_single_error(result, column, "", "required")
    assert error.rule == "required"


def test_signup_date_is_judged_against_the_utc_date_by_default():
    today = datetime.now(UTC).date()

    assert one_row(USERS, "signup_date", today.isoformat(), today=None).ok
    late = one_row(USERS, "signup_date", (today + timedelta(days=1)).isoformat(), today=None)
    assert_single_error(late, "signup_date", (today + timedelta(days=1)).isoformat(), "today")


def test_every_bad_value_of_a_row_is_reported_in_column_order():
    result = validate(csv_file(USERS, [row(USERS, email="nope", is_active="yes", user_id="0")]))

    assert [(e.row, e.column) for e in result.errors] == [(1, "user_id"), (1, "email"), (1, "is_active")]
    assert result.rows_rejected == 1


def test_errors_point_at_the_row_where_they_are():
    rows = [users_row(i) for i in range(1, 6)]
    rows[3] = users_row(4, country_code="uk")

    result = validate(csv_file(USERS, rows))

    assert [(e.row, e.column, e.value) for e in result.errors] == [(4, "country_code", "uk")]


# -- uniqueness ------------------------------------------------------------------------------

MANY = 3000  # about 150 KB: with 64 KiB blocks the file spans three blocks


def many_users(**replace_at: dict[str, str]) -> bytes:
    rows = [users_row(i) for i in range(1, MANY + 1)]
    for index, fields in replace_at.items():
        n = int(index.removeprefix("row"))
        rows[n - 1] = {**rows[n - 1], **fields}
    return csv_file(USERS, rows)


def test_email_is_unique_ignoring_case_across_blocks():
    data = many_users(row2500={"email": "USER10@Example.COM"})

    result = validate(data, limits=Limits(block_bytes=65536))

    assert len(data) > 2 * 65536
    assert result.rows == MANY
    assert result.errors == [RowError(2500, "email", "USER10@Example.COM",
                                      "unique in the file ignoring case (first at row 10)")]


def test_a_duplicate_is_found_whatever_the_longest_value_beside_it():
    """A value's key does not depend on the other values of its block (a long one there adds hash rounds)."""
    long_email = "a-longer-address-than-the-others-by-far" + "@example.com"  # 51 bytes: 7 words, not 3
    data = many_users(row2499={"email": long_email}, row2500={"email": "user10@example.com"})

    result = validate(data, limits=Limits(block_bytes=65536))

    assert result.errors == [RowError(2500, "email", "user10@example.com",
                                      "unique in the file ignoring case (first at row 10)")]


def test_user_id_is_unique_across_blocks_and_leading_zeros_do_not_hide_a_duplicate():
    data = many_users(row2999={"user_id": "00042"})

    result = validate(data, limits=Limits(block_bytes=65536))

    assert [(e.row, e.column, e.value) for e in result.errors] == [(2999, "user_id", "00042")]
    assert "unique in the file (first at row 42)" in result.errors[0].rule


def test_duplicate_within_one_small_file_names_the_first_row():
    result = validate(csv_file(USERS, [users_row(1), users_row(2), users_row(3, email="User1@example.com")]))

    assert result.errors == [RowError(3, "email", "User1@example.com",
                                      "unique in the file ignoring case (first at row 1)")]


def test_each_duplicate_row_is_reported_once():
    data = many_users(row2500={"email": "user10@example.com"}, row2501={"email": "User10@example.com"})

    result = validate(data, limits=Limits(block_bytes=65536))

    assert [(e.row, e.column) for e in result.errors] == [(2500, "email"), (2501, "email")]
    assert all("first at row 10" in e.rule for e in result.errors)
    assert result.error_count == 2


def test_value_failing_its_rule_is_not_also_reported_as_duplicate():
    result = validate(csv_file(USERS, [users_row(1, email="bad"), users_row(2, email="bad")]))

    assert [(e.row, e.rule) for e in result.errors] == [(1, "plausible email address (local@domain.tld)"),
                                                        (2, "plausible email address (local@domain.tld)")]


def test_test_id_duplicate_differing_only_in_case_fails():
    lower = "123e4567-e89b-12d3-a456-426614174000"
    rows = [row(TEST, test_id=lower), row(TEST, test_id=lower.upper())]

    result = validate(csv_file(TEST, rows), TEST)

    assert result.errors == [RowError(2, "test_id", lower.upper(), "unique in the file (first at row 1)")]


def test_first_row_of_a_value_is_remembered_to_explain_a_database_conflict():
    ids = [f"00000000-0000-0000-0000-{i:012x}" for i in range(1, 3001)]
    checked = CheckedCsv(chunked(csv_file(TEST, [row(TEST, test_id=t) for t in ids])), TEST,
                         limits=Limits(block_bytes=65536), today=TODAY)
    checked.open()
    assert sum(b.rows for b in checked.blocks()) == 3000

    assert checked.validator is not None
    assert checked.validator.row_of("test_id", ids[2499].upper()) == 2500
    assert checked.validator.row_of("test_id", "ffffffff-0000-0000-0000-000000000000") is None
    assert checked.validator.row_of("assay", "glucose") is None


def test_test_user_id_need_not_be_unique():
    assert validate(csv_file(TEST, [row(TEST), row(TEST, test_id="00000000-0000-0000-0000-000000000001")]),
                    TEST).ok


# -- the rules module directly: the vectorised check and the explanation agree -----------------

SAMPLES = ["", "0", "1", "007", "-1", "1.0", "9223372036854775807", "9223372036854775808", "1" * 40,
           "a@b", "a@b.co", "GB", "gb", "2024-02-29", "2023-02-30", "2024-06-02", "true", "TRUE", "yes",
           "123e4567-e89b-12d3-a456-426614174000", "nan", "1e309", "5e-324", "1e-400",
           "2024-05-01T12:30:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12:30:00+16:00", "   ", "x" * 201, "漢字"]


@pytest.mark.parametrize("column", USERS.columns + TEST.columns, ids=lambda c: c.name)
def test_check_accepts_exactly_what_explain_lets_through(column):
    rule = rule_for(column, TODAY)
    values = np.array(SAMPLES, dtype=object)

    accepted = check_column(column, rule, values)

    assert [explain(column, rule, v) is None for v in SAMPLES] == accepted.tolist()
    assert accepted.any() and not accepted.all()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.sampled_from("0123456789-:.+eETZ@ab xé"), max_size=30), min_size=1, max_size=6))
def test_check_and_explain_agree_on_arbitrary_text(texts):
    values = np.array(texts, dtype=object)
    for column in USERS.columns + TEST.columns:
        rule = rule_for(column, TODAY)
        accepted = check_column(column, rule, values).tolist()
        assert accepted == [explain(column, rule, t) is None for t in texts], column.name


def test_zero_padded_bigint_check_and_explain_agree():
    column = USERS.column("user_id")
    rule = rule_for(column, TODAY)
    padded = "0" * 40 + "1"

    accepted = bool(check_column(column, rule, np.array([padded], dtype=object))[0])

    assert accepted == (explain(column, rule, padded) is None)


def test_check_is_the_same_on_a_block_and_on_single_values():
    column = TEST.column("measured_at")
    rule = rule_for(column, TODAY)
    values = ["2024-05-01T12:30:00Z", "x", "2024-05-01T12:30:00.123456-05:30", "2023-02-29T00:00:00Z"]

    together = check_column(column, rule, np.array(values, dtype=object)).tolist()

    assert together == [bool(check_column(column, rule, np.array([v], dtype=object))[0]) for v in values]
    assert together == [True, False, True, False]


def test_errors_beyond_the_kept_maximum_are_counted_not_kept(monkeypatch):
    monkeypatch.setattr(validate_module, "MAX_ERRORS_KEPT", 20)
    rows = [users_row(i, is_active="yes") for i in range(1, 31)]

    result = validate(csv_file(USERS, rows))

    assert [e.row for e in result.errors] == list(range(1, 21))
    assert result.error_count == 30
    assert result.rows_rejected == 30
    assert result.truncated
