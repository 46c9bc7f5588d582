"""Loading table contracts: the repository's own load; every broken contract is one error naming file and field."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from lambda_function.contract import ContractError, check_folder, default_folder, load_contracts
from lambda_function.contract.loader import read_document
from lambda_function.contract.schema_check import SCHEMA_PATH, SchemaChecker, load_schema, unsupported_keywords
from lambda_function.errors import ConfigurationError

ORDERS = """\
file: orders.csv
table: orders
mode: upsert
primary_key: [order_id]
columns:
  order_id: {type: integer, minimum: 1}
  amount:   {type: "numeric(10,2)"}
  status:   {type: text, enum: [queued, running, done]}
"""


def folder(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def problems(tmp_path: Path, text: str, **others: str) -> list[str]:
    _, found = check_folder(folder(tmp_path, **{"orders.yaml": text}, **others))
    return [str(p) for p in found]


def test_the_repository_contracts_load_and_match_design():
    whitelist = load_contracts(default_folder())

    assert sorted((c.file, c.table, c.mode, c.primary_key) for c in whitelist) == [
        ("test.csv", "test", "append", ("test_id",)), ("users.csv", "users", "replace", ("user_id",))]
    users = whitelist.find("users")
    assert users is not None and users.column("country_code").pattern == "[A-Z]{2}"


def test_a_valid_third_contract_loads_beside_them(tmp_path):
    whitelist = load_contracts(folder(tmp_path, **{"orders.yaml": ORDERS}))

    orders = whitelist.lookup("in/orders.csv.gz")
    assert orders is not None and orders.table == "orders" and orders.primary_key == ("order_id",)
    assert orders.column("amount").type.ddl == "numeric(10,2)"
    assert orders.column("status").enum == ("queued", "running", "done")


BROKEN = [
    ("unquoted comma", ORDERS.replace('"numeric(10,2)"', "numeric(10,2)"),
     "orders.yaml: columns.amount.type: 'numeric(10' was cut at its comma by YAML: quote it, e.g. "
     'type: "numeric(10,2)"'),
    ("type", ORDERS.replace("numeric(10,2)", "money"),
     "orders.yaml: columns.amount.type: unknown type 'money' (did you mean numeric(p,s)?)"),
    ("top-level key", ORDERS.replace("columns:", "colums:"),
     "orders.yaml: colums: unknown key (did you mean 'columns'?)"),
    ("column key", ORDERS.replace("minimum: 1", "minimun: 1"),
     "orders.yaml: columns.order_id.minimun: unknown key (did you mean 'minimum'?)"),
    ("mode", ORDERS.replace("mode: upsert", "mode: apend"), "orders.yaml: mode: must be one of 'append', 'replace',"),
    ("upsert without key", ORDERS.replace("primary_key: [order_id]\n", ""),
     "orders.yaml: primary_key: missing (required) (because mode is upsert)"),
    ("key not a column", ORDERS.replace("[order_id]", "[id]"),
     "orders.yaml: primary_key[0]: 'id' is not a column of the table"),
    ("optional key", ORDERS.replace("minimum: 1}", "minimum: 1, required: false}"),
     "orders.yaml: primary_key[0]: 'order_id' is optional (required: false); key columns are required"),
    ("pattern", ORDERS.replace("{type: text, enum", "{type: text, pattern: '[a-', enum"),
     "orders.yaml: columns.status.pattern: does not compile as a Python regular expression"),
    ("enum value", ORDERS.replace("{type: integer, minimum: 1}", "{type: integer, minimum: 1, enum: [1, x]}"),
     "orders.yaml: columns.order_id.enum[1]: 'x' is not allowed by the column: whole number (digits only"),
    ("enum value type", ORDERS.replace("{type: integer, minimum: 1}", "{type: integer, minimum: 1, enum: ['1', '0']}"),
     "orders.yaml: columns.order_id.enum[1]: '0' is not allowed by the column: ≥ 1"),
    ("bounds", ORDERS.replace("minimum: 1}", "minimum: 5, maximum: 2}"),
     "orders.yaml: columns.order_id.minimum: must not be greater than maximum (5 > 2)"),
    ("bound type", ORDERS.replace("minimum: 1}", "minimum: 1.5}"),
     "orders.yaml: columns.order_id.minimum: must be a whole number for integer, got 1.5"),
    ("date bound", ORDERS.replace('{type: "numeric(10,2)"}', "{type: date, maximum: tomorrow}"),
     "orders.yaml: columns.amount.maximum: must be a date (YYYY-MM-DD) or today, got 'tomorrow'"),
    ("bound on text", ORDERS.replace("{type: text, enum", "{type: text, minimum: 1, enum"),
     "orders.yaml: columns.status.minimum: applies to numbers, dates and timestamps, not text"),
    ("numeric scale", ORDERS.replace("numeric(10,2)", "numeric(2,3)"),
     "orders.yaml: columns.amount.type: numeric scale must be 0 to the precision (2), got 3"),
    ("length on a number", ORDERS.replace('"numeric(10,2)"}', '"numeric(10,2)", max_length: 3}'),
     "orders.yaml: columns.amount.max_length: applies to text, varchar(n) and char(n), not numeric(10,2)"),
    ("varchar length", ORDERS.replace("{type: text, enum", "{type: varchar(5), max_length: 9, enum"),
     "orders.yaml: columns.status.max_length: 9 is more than varchar(5) allows"),
    ("lengths", ORDERS.replace("{type: text, enum", "{type: text, min_length: 9, max_length: 3, enum"),
     "orders.yaml: columns.status.min_length: must not be greater than max_length (9 > 3)"),
    ("casefold", ORDERS.replace("minimum: 1}", "minimum: 1, unique: casefold}"),
     "orders.yaml: columns.order_id.unique: casefold applies to text columns, not integer; use unique: true"),
    ("unique value", ORDERS.replace("minimum: 1}", "minimum: 1, unique: yes}"),
     "orders.yaml: columns.order_id.unique: must be one of true, 'casefold', got 'yes'"),
    ("file and match", ORDERS.replace("file: orders.csv", "file: orders.csv\nmatch: 'orders-*.csv'"),
     "orders.yaml: may not combine file and match: give one"),
    ("neither", ORDERS.replace("file: orders.csv\n", ""), "orders.yaml: needs one of: file, match"),
    ("gz name", ORDERS.replace("orders.csv", "orders.csv.gz"),
     "orders.yaml: file: name the uncompressed file ('orders.csv'): the .gz variant is implied"),
    ("path in name", ORDERS.replace("orders.csv", "in/orders.csv"), "orders.yaml: file: must match ^[^/]+$"),
    ("delimiter", ORDERS + "dialect: {delimiter: ':'}\n", "orders.yaml: dialect.delimiter: must be one of ',', ';'"),
    ("reject without limit", ORDERS + "on_error: reject_rows\n",
     "orders.yaml: needs one of: max_rejected_rows, max_rejected_ratio (because on_error is reject_rows)"),
    ("limit without reject", ORDERS + "max_rejected_rows: 3\n",
     "orders.yaml: max_rejected_rows: applies only with on_error: reject_rows"),
    ("ratio", ORDERS + "on_error: reject_rows\nmax_rejected_ratio: 2\n",
     "orders.yaml: max_rejected_ratio: must be ≤ 1, got 2"),
    ("ledger table", ORDERS.replace("table: orders", "table: ingest_ledger"),
     "orders.yaml: table: 'ingest_ledger' is the ingest ledger's own table"),
    ("long name", ORDERS.replace("  amount:", "  " + "a" * 64 + ":"),
     "column name at most 63 bytes (PostgreSQL would cut the name), got 64"),
    ("repeated key", ORDERS.replace("  amount:", "  order_id: {type: text}\n  amount:"),
     "orders.yaml: line 7, column 3: not valid YAML (key 'order_id' appears twice)"),
    ("bad YAML", ORDERS.replace("columns:", "columns: ["), "orders.yaml: line"),
    ("not a mapping", "- a\n- b\n", "orders.yaml: must be a YAML mapping"),
    ("type of a value", ORDERS.replace("mode: upsert", "mode: [upsert]"), "orders.yaml: mode: must be one of"),
    ("allow_empty", ORDERS + "allow_empty: maybe\n", "orders.yaml: allow_empty: must be true or false, got 'maybe'"),
    ("encoding", ORDERS + "dialect: {encoding: utf-16}\n",
     "orders.yaml: dialect.encoding: unknown encoding 'utf-16' (known: utf-8, windows-1252, latin-1, iso-8859-15)"),
    ("marker with the delimiter", ORDERS + "dialect: {delimiter: ';', missing: 'n;a'}\n",
     "orders.yaml: dialect.missing: 'n;a' contains the delimiter: COPY could not tell it from the data"),
    ("marker with a quote", ORDERS + "dialect: {missing: 'N\"A'}\n",
     "orders.yaml: dialect.missing: 'N\"A' contains a quote"),
    ("boolean spelling", ORDERS.replace("{type: text, enum", "{type: boolean, true_values: [yep], enum"),
     "orders.yaml: columns.status.true_values[0]: 'yep' is not a spelling PostgreSQL reads as true "
     "(choose from true, t, yes, y, on, 1)"),
    ("false as true", ORDERS.replace("{type: text, enum", "{type: boolean, true_values: ['0'], enum"),
     "orders.yaml: columns.status.true_values[0]: '0' is not a spelling PostgreSQL reads as true"),
    ("spellings on text", ORDERS.replace("{type: text, enum", "{type: text, false_values: ['no'], enum"),
     "orders.yaml: columns.status.false_values: applies to boolean columns, not text"),
    ("marker is a spelling", ORDERS.replace("{type: text, enum: [queued, running, done]}",
                                            "{type: boolean, false_values: ['0', n]}") + "dialect: {missing: N}\n",
     "orders.yaml: dialect.missing: 'N' is also a spelling of boolean column status"),
]


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in BROKEN], ids=[n for n, _, _ in BROKEN])
def test_each_broken_contract_is_named_by_file_and_field(tmp_path, text, expected):
    found = problems(tmp_path, text)

    assert any(expected in p for p in found), found
    assert all(p.startswith(str(tmp_path / "orders.yaml")) for p in found)


def test_the_handler_gets_one_configuration_error_listing_every_problem(tmp_path):
    broken = ORDERS.replace("numeric(10,2)", "money").replace("[order_id]", "[id]")
    folder(tmp_path, **{"orders.yaml": broken, "more.yaml": ORDERS.replace("orders", "more").replace("upsert", "x")})

    with pytest.raises(ConfigurationError) as caught:
        load_contracts(tmp_path)

    assert isinstance(caught.value, ContractError)
    lines = str(caught.value).splitlines()
    assert lines[0].startswith(str(tmp_path / "more.yaml"))  # files in name order
    assert any("orders.yaml: columns.amount.type: unknown type 'money'" in line for line in lines)
    assert lines[-1] == f"({len(caught.value.problems)} problems in table contracts)"


@pytest.mark.parametrize(("first", "second", "expected"), [
    ("file: orders.csv", "file: orders.csv", "'orders.csv' claims the same name as"),
    ("match: 'orders-*.csv'", "file: orders-eu.csv", "'orders-eu.csv' can match a name of"),
    ("file: orders-eu.csv", "match: 'orders-*.csv'", "'orders-*.csv' can match a name of"),
    ("match: 'orders-*.csv'", "match: '*-eu.csv'", "'*-eu.csv' can match a name of"),
])
def test_two_contracts_never_claim_one_name(tmp_path, first, second, expected):
    one = ORDERS.replace("file: orders.csv", first)
    two = ORDERS.replace("file: orders.csv", second).replace("table: orders", "table: orders2")

    found = problems(tmp_path, one, **{"two.yaml": two})

    assert any(expected in p and str(tmp_path / "two.yaml") in p for p in found), found


def test_disjoint_globs_and_one_table_from_two_names_are_fine(tmp_path):
    eu = ORDERS.replace("file: orders.csv", "match: 'orders-eu-*.csv'")
    us = ORDERS.replace("file: orders.csv", "match: 'orders-us-*.csv'")

    whitelist = load_contracts(folder(tmp_path, **{"eu.yaml": eu, "us.yaml": us}))

    assert {c.table for c in whitelist} == {"orders"}
    assert whitelist.lookup("orders-us-2024.csv") is not None and whitelist.lookup("orders-xx-1.csv") is None


def test_one_table_loaded_by_two_contracts_must_have_one_shape(tmp_path):
    other = ORDERS.replace("file: orders.csv", "file: more.csv").replace("numeric(10,2)", "numeric(12,2)")

    found = problems(tmp_path, ORDERS, **{"other.yaml": other})

    assert any("table: 'orders' is also loaded by" in p for p in found), found


def test_missing_or_empty_folder_is_named(tmp_path):
    assert [str(p) for p in check_folder(tmp_path / "nope")[1]] == [
        f"{tmp_path / 'nope'}: TABLE_CONTRACTS: not a folder of table contracts"]
    assert "no contracts (*.yaml)" in str(check_folder(tmp_path)[1][0])


def test_yaml_reads_yes_no_and_dates_as_text(tmp_path):
    (tmp_path / "x.yaml").write_text("a: yes\nb: on\nc: 2024-01-01\nd: true\n")

    document, found = read_document(tmp_path / "x.yaml")

    assert not found and document == {"a": "yes", "b": "on", "c": "2024-01-01", "d": True}


def test_enum_yes_no_stays_text_and_date_bounds_parse(tmp_path):
    text = ORDERS.replace("[queued, running, done]", "[yes, no]") + "  due: {type: date, minimum: 2020-01-01}\n"

    orders = load_contracts(folder(tmp_path, **{"orders.yaml": text})).lookup("orders.csv")

    assert orders is not None and orders.column("status").enum == ("yes", "no")
    assert str(orders.column("due").minimum) == "2020-01-01"


# -- the JSON Schema that ships in contracts/ -------------------------------------------------------

def test_the_shipped_schema_is_valid_and_uses_only_what_the_checker_interprets():
    schema = load_schema()

    jsonschema.Draft202012Validator.check_schema(schema)
    assert unsupported_keywords(schema) == set()
    assert (default_folder() / "contract.schema.json").resolve() == SCHEMA_PATH.resolve()


def _documents() -> list[object]:
    found = []
    for _, text, _ in BROKEN:
        try:
            found.append(yaml.safe_load(text))
        except yaml.YAMLError:
            continue
    return [d for d in found if isinstance(d, dict)] + [yaml.safe_load(ORDERS)]


SAMPLES = _documents()


@pytest.mark.parametrize("document", SAMPLES + [json.loads(json.dumps(d)) for d in (
    {"file": "a.csv", "table": "a", "mode": "append", "columns": {}},
    {"file": "a.csv", "match": "b", "table": "a", "mode": "append", "columns": {"x": {"type": "text"}}},
    {"table": "a", "mode": "append", "columns": {"x": {"type": "text"}}},
)])
def test_the_checker_agrees_with_the_jsonschema_library(document):
    ours = SchemaChecker(load_schema()).problems(document)
    theirs = list(jsonschema.Draft202012Validator(load_schema()).iter_errors(document))

    assert bool(ours) == bool(theirs), (ours, [e.message for e in theirs])
