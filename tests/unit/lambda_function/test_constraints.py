"""Every type and every constraint key of the contract format, with a passing and a failing value.

The contract is written here (not in the repository), with a ';' delimiter, so nothing in the code
can lean on users.csv or test.csv.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_function.checking.rules import Clock, check_column, explain, rule_for
from lambda_function.checking.validator import ValidationResult, validate_stream
from lambda_function.contract import Contract, load_contracts
from lambda_function.errors import RowError

TODAY = date(2024, 6, 1)
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

EVERYTHING = """\
match: "every-*.csv"
table: every
mode: append
primary_key: [i]
dialect: {delimiter: ";"}
columns:
  i:   {type: integer, minimum: -5, maximum: 5}
  s:   {type: smallint}
  b:   {type: bigint}
  n:   {type: "numeric(6,2)", minimum: 0, maximum: 1000.5}
  r:   {type: real}
  d:   {type: double precision, minimum: -1, maximum: 1}
  bo:  {type: boolean}
  dt:  {type: date, minimum: 2020-01-01, maximum: today}
  ts:  {type: timestamp, minimum: "2020-01-01T00:00:00", maximum: now}
  tz:  {type: timestamptz, minimum: "2020-01-01T00:00:00Z"}
  u:   {type: uuid}
  t:   {type: text, trim: true, min_length: 2, max_length: 5}
  v:   {type: varchar(4)}
  c:   {type: char(3), pattern: "[A-Z]{3}", pattern_message: three capital letters}
  e:   {type: text, enum: [queued, running, done]}
  em:  {type: text, format: email}
  un:  {type: text, unique: casefold}
  uq:  {type: integer, unique: true, required: false}
  opt: {type: integer, required: false}
"""

GOOD = {"i": "1", "s": "1", "b": "1", "n": "1.5", "r": "1.5", "d": "0.5", "bo": "true", "dt": "2024-01-01",
        "ts": "2024-01-01T00:00:00", "tz": "2024-01-01T00:00:00Z", "u": "123e4567-e89b-12d3-a456-426614174000",
        "t": "abc", "v": "abcd", "c": "ABC", "e": "done", "em": "a@example.com", "un": "x", "uq": "", "opt": ""}


@pytest.fixture(scope="module")
def every(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    folder = tmp_path_factory.mktemp("contracts")
    (folder / "every.yaml").write_text(EVERYTHING)
    contract = load_contracts(folder).lookup("every-2024.csv")
    assert contract is not None
    return contract


def check(contract: Contract, rows: list[dict[str, str]]) -> ValidationResult:
    names = contract.column_names
    text = ";".join(names) + "\n" + "".join(";".join(r[n] for n in names) + "\n" for r in rows)
    return validate_stream([text.encode()], contract, today=TODAY, now=NOW)


VALID = [
    ("i", ["-5", "5", "+3", "005", "-0"]), ("s", ["-32768", "32767"]), ("b", ["-9223372036854775808"]),
    ("n", ["0", "1000.5", "999.99", ".5", "5.", "0000012.50", "+1.25"]), ("r", ["3.4028235e38", "1e-45", "-0"]),
    ("d", ["-1", "1", "1e-300", "-.5"]), ("bo", ["FALSE", "True"]), ("dt", ["2020-01-01", "2024-06-01", "2024-02-29"]),
    ("ts", ["2020-01-01T00:00:00", "2024-06-01 12:00", "2024-06-01T11:59:59.999999"]),
    ("tz", ["2020-01-01T00:00:00Z", "2020-01-01T00:30:00+00:30", "2024-05-01T12:00:00-1559", "2024-05-01T12:00+15"]),
    ("u", ["123E4567-E89B-12D3-A456-426614174000"]), ("t", ["ab", "  ab  ", "abcde", "日本語"]),
    ("v", ["", "a", "日本語!"][1:]), ("c", ["XYZ"]), ("e", ["queued", "running"]), ("em", ["ü@bücher.de"]),
    ("un", ["Y"]), ("uq", ["", "7"]), ("opt", ["", "12"]),
]

INVALID = [
    ("i", "6", "≤ 5"), ("i", "-6", "≥ -5"), ("i", "1.0", "digits only"), ("i", "2147483648", "fits integer"),
    ("s", "32768", "fits smallint"), ("b", "9223372036854775808", "fits bigint"), ("i", "1e3", "digits only"),
    ("i", " 1", "digits only"), ("i", "0x1F", "digits only"), ("i", "1_000", "digits only"),
    ("n", "-0.01", "≥ 0"), ("n", "1000.51", "≤ 1000.5"), ("n", "10000", "at most 4 integer digits (numeric(6,2))"),
    ("n", "1.234", "at most 2 fraction digits (numeric(6,2))"), ("n", "1e2", "decimal number"),
    ("n", "NaN", "decimal number"), ("r", "3.5e38", "within real range"), ("r", "1e-46", "within real range"),
    ("r", "inf", "finite"), ("d", "1.0000001", "≤ 1"), ("d", "nan", "finite"), ("bo", "yes", "true or false"),
    ("dt", "2019-12-31", "not earlier than 2020-01-01"), ("dt", "2024-06-02", "not later than today (UTC)"),
    ("dt", "2023-02-29", "real calendar date"), ("dt", "0000-01-01", "real calendar date"),
    ("ts", "2024-01-01T00:00:00Z", "without an offset"), ("ts", "2024-06-01T12:00:01", "not later than now (UTC)"),
    ("ts", "2019-12-31T23:59:59.999999", "not earlier than 2020-01-01T00:00:00"),
    ("ts", "2024-01-01T24:00:00", "real calendar date and time"), ("ts", "2024-01-01T12:00:60", "ISO 8601"),
    ("tz", "2024-01-01T00:00:00", "with offset or Z"), ("tz", "2024-01-01T00:00:00+16:00", "with offset or Z"),
    ("tz", "2024-01-01T00:00:00.1234567Z", "at most 6 fraction digits"),
    ("tz", "2019-12-31T23:59:59-00:00", "not earlier than 2020-01-01T00:00:00+00:00"),
    ("tz", "2024-01-01T00:00:00z", "ISO"),
    ("u", "{123e4567-e89b-12d3-a456-426614174000}", "UUID"), ("t", "a", "2–5 characters after trimming"),
    ("t", "   a   ", "2–5 characters after trimming"), ("t", "abcdef", "2–5 characters"),
    ("v", "abcde", "at most 4 characters (varchar(4))"), ("c", "AB", "exactly 3 characters (char(3))"),
    ("c", "abc", "three capital letters"), ("c", "ABCD", "exactly 3 characters (char(3)); three capital letters"),
    ("e", "Done", "one of: queued, running, done"), ("em", "a@b", "plausible email address"),
]


@pytest.mark.parametrize(("column", "raw"), [(c, v) for c, values in VALID for v in values])
def test_valid_value_of_each_type_and_key_passes(every, column, raw):
    result = check(every, [{**GOOD, column: raw}])

    assert result.ok, result.errors


@pytest.mark.parametrize(("column", "raw", "rule_part"), INVALID)
def test_invalid_value_fails_naming_row_column_value_and_rule(every, column, raw, rule_part):
    result = check(every, [{**GOOD, column: raw}])

    [error] = result.errors
    assert (error.row, error.column, error.value) == (1, column, raw)
    assert rule_part in error.rule, error.rule


@pytest.mark.parametrize("column", [c for c in GOOD if c not in ("uq", "opt")])
def test_required_columns_refuse_an_empty_field(every, column):
    [error] = check(every, [{**GOOD, column: ""}]).errors

    assert (error.column, error.rule) == (column, "required")


def test_the_primary_key_is_unique_in_the_file_even_without_unique(every):
    result = check(every, [GOOD, {**GOOD, "i": "+1", "un": "z"}])

    assert result.errors == [RowError(2, "i", "+1", "unique in the file (first at row 1)")]


def test_unique_ignores_nulls_and_casefold_ignores_case(every):
    rows = [{**GOOD, "i": str(k), "un": f"n{k}"} for k in range(3)]
    rows.append({**GOOD, "i": "4", "un": "N1", "uq": ""})

    assert check(every, rows).errors == [RowError(4, "un", "N1", "unique in the file ignoring case (first at row 2)")]


@pytest.mark.parametrize(("column", "first", "second"), [
    ("n", "1.50", "1.5"), ("d", "0.5", "5e-1"), ("dt", "2021-01-01", "2021-01-01"),
    ("tz", "2024-01-01T01:00:00+01:00", "2024-01-01T00:00:00Z"), ("ts", "2024-01-01 00:00", "2024-01-01T00:00:00.0"),
    ("u", "123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000"), ("bo", "true", "TRUE"),
])
def test_uniqueness_compares_values_as_postgresql_reads_them(tmp_path, column, first, second):
    text = EVERYTHING.replace(f"  {column}:", f"  {column}_:").replace("columns:\n", f"columns:\n  {column}: "
                                                                      f"{{type: {_type_of(column)}, unique: true}}\n")
    (tmp_path / "every.yaml").write_text(text)
    contract = load_contracts(tmp_path).lookup("every-1.csv")
    assert contract is not None
    names = contract.column_names
    rows = [{**GOOD, f"{column}_": GOOD[column], column: v, "i": str(k), "un": f"u{k}"}
            for k, v in enumerate((first, second))]
    body = ";".join(names) + "\n" + "".join(";".join(r[n] for n in names) + "\n" for r in rows)

    result = validate_stream([body.encode()], contract, today=TODAY, now=NOW)

    assert [(e.row, e.column) for e in result.errors] == [(2, column)], result.errors


def _type_of(column: str) -> str:
    return {"n": '"numeric(6,2)"', "d": "double precision", "dt": "date", "tz": "timestamptz", "ts": "timestamp",
            "u": "uuid", "bo": "boolean"}[column]


def test_composite_primary_key_is_unique_as_a_pair(tmp_path):
    text = EVERYTHING.replace("primary_key: [i]", "primary_key: [i, s]")
    (tmp_path / "every.yaml").write_text(text)
    contract = load_contracts(tmp_path).lookup("every-1.csv")
    assert contract is not None

    result = check(contract, [GOOD, {**GOOD, "s": "2", "un": "p"}, {**GOOD, "un": "q"}])

    assert result.errors == [RowError(3, None, "1, 1", "primary key (i, s) unique in the file (first at row 1)")]


def test_a_comma_file_for_a_semicolon_contract_says_which_delimiter(every):
    text = ",".join(every.column_names) + "\n"

    error = validate_stream([text.encode()], every).errors[0]

    assert (error.row, error.rule) == (None, "the header is separated by ',' but the contract says ';' "
                                             "(dialect.delimiter)")


def test_tab_delimited_contract_reads_quoted_fields(tmp_path):
    (tmp_path / "t.yaml").write_text('file: t.tsv\ntable: t\nmode: append\ndialect: {delimiter: "\\t"}\n'
                                     "columns:\n  a: {type: text}\n  b: {type: integer}\n")
    contract = load_contracts(tmp_path).lookup("t.tsv")
    assert contract is not None and contract.delimiter == "\t"

    good = validate_stream([b'a\tb\n"x\ty"\t1\nplain, with comma\t2\n'], contract)
    bad = validate_stream([b"a\tb\nx\t1\t2\n"], contract)

    assert good.ok and good.rows == 2
    assert [e.rule for e in bad.errors] == ["2 fields per record, found 3"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.sampled_from("0123456789-+.:eEZT @abxAB日"), max_size=34), min_size=1, max_size=5))
def test_block_check_and_single_value_explanation_agree_for_every_column(every, texts):
    values = np.array(texts, dtype=object)
    clock = Clock.at(TODAY, NOW)
    for column in every.columns:
        rule = rule_for(column, clock)
        assert check_column(column, rule, values).tolist() == [explain(column, rule, t) is None for t in texts], \
            column.name


def test_today_and_now_default_to_this_moment_in_utc(every):
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    rule = rule_for(every.column("dt"))

    assert rule.explain(tomorrow) == "not later than today (UTC)"
    assert rule.explain(datetime.now(UTC).date().isoformat()) is None


@pytest.mark.parametrize("pattern", ["[A-Z]{2}", "[A-Z0-9-]+", "[a-c]*", "[x]?", "[A-Z]{2,}", "[A-Z]{1,3}",
                                     "[a-z0-9_. -]{0,4}", "[A-Z]", "(ab|cd)+", "[A-Z]{2}x"])
@settings(max_examples=100, deadline=None)
@given(texts=st.lists(st.text(st.sampled_from("ABCZaz09-_. xÀ日"), max_size=6), min_size=1, max_size=20))
def test_pattern_check_is_pythons_fullmatch_also_on_its_vectorised_path(pattern, texts):
    import re

    from lambda_function.checking.fields import Fields
    from lambda_function.checking.rules.constraints import Pattern

    got = Pattern(pattern, None).check(Fields.of_texts(texts), None)  # type: ignore[arg-type]

    assert got.tolist() == [re.fullmatch(pattern, t) is not None for t in texts]
