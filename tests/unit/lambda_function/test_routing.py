"""The whitelist of the repository's contracts: exactly a contract's name (optionally .gz) under INGEST_PREFIX."""

from __future__ import annotations

import pytest

from lambda_function.contract import is_gzip_key
from tests.support.csv_text import TEST, USERS, WHITELIST

lookup_table = WHITELIST.lookup


@pytest.mark.parametrize(("key", "table"), [
    ("users.csv", "users"),
    ("test.csv", "test"),
    ("x/y/users.csv", "users"),
    ("users.csv.gz", "users"),
    ("lab/2024/test.csv.gz", "test"),
])
def test_mapped_names_are_accepted_under_any_prefix(key, table):
    spec = lookup_table(key)

    assert spec is not None
    assert spec.table == table


@pytest.mark.parametrize("key", [
    "orders.csv", "Users.csv", "USERS.CSV", "users.csv.bak", "archive/old_users.csv", "users.csv.gz.gz",
    "users.csvx", "users", "users.gz", "users.csv/", "", "xusers.csv", "users.csv.GZ", " users.csv",
])
def test_anything_else_is_rejected(key):
    assert lookup_table(key) is None


def test_ingest_prefix_restricts_where_files_are_taken_from():
    assert lookup_table("incoming/users.csv", "incoming/") is USERS
    assert lookup_table("incoming/deep/test.csv.gz", "incoming/") is TEST
    assert lookup_table("other/users.csv", "incoming/") is None
    assert lookup_table("users.csv", "incoming/") is None
    assert lookup_table("incoming/orders.csv", "incoming/") is None


def test_specs_carry_table_mode_and_primary_key_of_design():
    assert {s.file: (s.table, s.mode, s.primary_key) for s in WHITELIST} == {
        "users.csv": ("users", "replace", ("user_id",)),
        "test.csv": ("test", "append", ("test_id",)),
    }
    assert USERS.column_names == ("user_id", "email", "full_name", "country_code", "signup_date", "is_active")
    assert TEST.column_names == ("test_id", "user_id", "assay", "value", "unit", "measured_at", "passed")
    assert [c.name for c in TEST.columns if not c.required] == ["passed"]
    assert all(c.required for c in USERS.columns)
    assert not USERS.allow_empty and not TEST.allow_empty


def test_pg_types_follow_design():
    assert {c.name: c.pg_type for c in USERS.columns} == {
        "user_id": "bigint", "email": "text", "full_name": "text", "country_code": "char(2)",
        "signup_date": "date", "is_active": "boolean",
    }
    assert {c.name: c.pg_type for c in TEST.columns} == {
        "test_id": "uuid", "user_id": "bigint", "assay": "text", "value": "double precision", "unit": "text",
        "measured_at": "timestamptz", "passed": "boolean",
    }


def test_compression_is_declared_by_the_gz_suffix_alone():
    assert is_gzip_key("x/users.csv.gz")
    assert not is_gzip_key("users.csv")
    assert not is_gzip_key("users.csv.gzip")
