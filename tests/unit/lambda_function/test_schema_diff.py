"""Every row of the README's schema-change table, classified without a database (schema_diff is pure)."""

from __future__ import annotations

import dataclasses

import pytest

from lambda_function.contract import Column, Contract, parse_type
from lambda_function.loading.schema_diff import (
    Kind,
    TableColumn,
    TableDefinition,
    blocking,
    compare,
    definition_fingerprint,
    drift_errors,
    from_catalog,
    load_statements,
    type_change,
)

T = '"s"."t"'


def contract(*columns: Column, key: tuple[str, ...] = ("id",), mode: str = "append", evolve: str = "safe") -> Contract:
    return Contract(source="t.yaml", table="t", mode=mode, columns=(Column("id", parse_type("bigint")), *columns),
                    file="t.csv", primary_key=key, evolve=evolve)  # type: ignore[arg-type]


def table(*columns: TableColumn, key: tuple[str, ...] = ("id",), has_rows: bool | None = True) -> TableDefinition:
    return TableDefinition("s", "t", (TableColumn("id", "bigint", True), *columns), key, "t_pkey" if key else None,
                           has_rows)


def col(name: str, kind: str, required: bool = True) -> Column:
    return Column(name, parse_type(kind), required=required)


def only(differences: list) -> tuple[Kind, str | None, str | None]:
    (d,) = differences
    return d.kind, d.column, d.statement


def test_the_same_definition_has_no_difference() -> None:
    assert compare(table(TableColumn("v", "character varying(20)", False)),
                   contract(col("v", "varchar(20)", required=False)), "s") == []


@pytest.mark.parametrize("spelled,kind", [
    ("character varying(20)", "varchar(20)"), ("character(2)", "char(2)"), ("numeric(12,2)", "numeric(12,2)"),
    ("timestamp without time zone", "timestamp"), ("timestamp with time zone", "timestamptz"),
    ("double precision", "double precision"), ("uuid", "uuid"), ("boolean", "boolean"),
])
def test_catalogue_spellings_read_back_as_contract_types(spelled: str, kind: str) -> None:
    assert from_catalog(spelled) == parse_type(kind)


def test_types_no_contract_can_name_are_another_type() -> None:
    assert from_catalog("jsonb") is None and from_catalog("numeric") is None
    assert type_change(None, parse_type("text")) == (Kind.BREAKING, "another type")


# -- safe ------------------------------------------------------------------------------------------------------

def test_safe_a_new_optional_column_is_added_nullable() -> None:
    assert only(compare(table(), contract(col("delayed", "boolean", required=False)), "s")) == (
        Kind.SAFE, "delayed", f'ALTER TABLE {T} ADD COLUMN "delayed" boolean')


def test_safe_a_new_required_column_only_while_the_table_is_empty() -> None:
    assert only(compare(table(has_rows=False), contract(col("n", "integer")), "s")) == (
        Kind.SAFE, "n", f'ALTER TABLE {T} ADD COLUMN "n" integer NOT NULL')
    kind, column, statement = only(compare(table(has_rows=True), contract(col("n", "integer")), "s"))
    assert (kind, column) == (Kind.BREAKING, "n") and "SET NOT NULL" in (statement or "")
    # Unknown (the catalogue alone, before the lock): not applied on a guess.
    assert only(compare(table(has_rows=None), contract(col("n", "integer")), "s"))[0] is Kind.BREAKING


def test_safe_a_nullable_table_column_the_contract_does_not_list_stays() -> None:
    (d,) = compare(table(TableColumn("old", "text", False)), contract(), "s")
    assert (d.kind, d.column, d.statement, d.contract) == (Kind.SAFE, "old", None, "not listed")
    assert d.advice == "left as is: new rows get NULL there"


def test_safe_a_column_made_optional_drops_not_null() -> None:
    assert only(compare(table(TableColumn("v", "text", True)), contract(col("v", "text", required=False)), "s")) == (
        Kind.SAFE, "v", f'ALTER TABLE {T} ALTER COLUMN "v" DROP NOT NULL')


@pytest.mark.parametrize("before,after", [
    ("character varying(10)", "varchar(20)"), ("character varying(10)", "text"), ("numeric(8,2)", "numeric(12,2)"),
])
def test_safe_wider_varchar_and_numeric(before: str, after: str) -> None:
    assert only(compare(table(TableColumn("v", before, True)), contract(col("v", after)), "s")) == (
        Kind.SAFE, "v", f'ALTER TABLE {T} ALTER COLUMN "v" TYPE {after}')


# -- rewrite ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("before,after", [
    ("smallint", "integer"), ("integer", "bigint"), ("smallint", "bigint"), ("real", "double precision"),
])
def test_rewrite_wider_integers_and_floats(before: str, after: str) -> None:
    assert only(compare(table(TableColumn("v", before, True)), contract(col("v", after)), "s")) == (
        Kind.REWRITE, "v", f'ALTER TABLE {T} ALTER COLUMN "v" TYPE {after}')


def test_rewrite_a_primary_key_on_a_table_without_one() -> None:
    assert only(compare(table(key=()), contract(mode="upsert"), "s")) == (
        Kind.REWRITE, "id", f'ALTER TABLE {T} ADD PRIMARY KEY ("id")')


def test_a_key_column_nullable_in_the_table_is_covered_by_add_primary_key() -> None:
    shape = dataclasses.replace(table(key=()), columns=(TableColumn("id", "bigint", False),))
    assert [d.kind for d in compare(shape, contract(), "s")] == [Kind.REWRITE]


# -- breaking --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("before,after,how", [
    ("character varying(20)", "varchar(10)", "narrower"), ("text", "varchar(10)", "narrower"),
    ("bigint", "integer", "narrower"), ("double precision", "real", "narrower"), ("numeric(12,2)", "numeric(8,2)",
                                                                                  "narrower"),
    ("numeric(12,2)", "numeric(12,3)", "another type"), ("character(2)", "char(3)", "another type"),
    ("text", "boolean", "another type"), ("integer", "numeric(12,0)", "another type"),
])
def test_breaking_narrowing_or_another_type(before: str, after: str, how: str) -> None:
    (d,) = compare(table(TableColumn("v", before, True)), contract(col("v", after)), "s")
    assert (d.kind, d.table, d.contract) == (Kind.BREAKING, f"{before} NOT NULL", f"{after} ({how})")
    assert d.statement == f'ALTER TABLE {T} ALTER COLUMN "v" TYPE {after} USING "v"::{after}'


def test_breaking_a_not_null_table_column_the_contract_does_not_list() -> None:
    assert only(compare(table(TableColumn("gone", "text", True)), contract(), "s")) == (
        Kind.BREAKING, "gone", f'ALTER TABLE {T} ALTER COLUMN "gone" DROP NOT NULL')


def test_breaking_a_column_the_contract_made_required() -> None:
    assert only(compare(table(TableColumn("v", "text", False)), contract(col("v", "text")), "s")) == (
        Kind.BREAKING, "v", f'ALTER TABLE {T} ALTER COLUMN "v" SET NOT NULL')


def test_breaking_a_changed_or_dropped_primary_key() -> None:
    two = contract(col("code", "text"), key=("id", "code"))
    (d,) = compare(table(TableColumn("code", "text", True)), two, "s")
    assert (d.kind, d.column, d.table, d.contract) == (Kind.BREAKING, None, "primary key (id)",
                                                       "primary key (id, code)")
    assert d.statement == f'ALTER TABLE {T} DROP CONSTRAINT "t_pkey", ADD PRIMARY KEY ("id", "code")'
    assert only(compare(table(), contract(key=()), "s")) == (Kind.BREAKING, None,
                                                             f'ALTER TABLE {T} DROP CONSTRAINT "t_pkey"')


def test_key_columns_in_another_order_are_the_same_key() -> None:
    shape = dataclasses.replace(table(TableColumn("code", "text", True)), primary_key=("code", "id"))
    assert compare(shape, contract(col("code", "text"), key=("id", "code")), "s") == []


# -- what a load does with them --------------------------------------------------------------------------------

def test_a_load_applies_safe_changes_only_when_nothing_else_differs_and_evolve_is_safe() -> None:
    safe = compare(table(TableColumn("old", "text", False)), contract(col("n", "integer", required=False)), "s")
    assert load_statements(safe, "safe") == [f'ALTER TABLE {T} ADD COLUMN "n" integer']
    assert blocking(safe, "safe") == [] and blocking(safe, "none") == safe
    assert load_statements(safe, "none") == []
    mixed = safe + compare(table(key=()), contract(), "s")
    assert load_statements(mixed, "safe") == [] and [d.kind for d in blocking(mixed, "safe")] == [Kind.REWRITE]


def test_drift_errors_name_column_the_tables_definition_and_the_statement() -> None:
    frozen = contract(col("delayed", "boolean", required=False), evolve="none")
    (error,) = drift_errors(compare(table(), frozen, "s"), frozen)
    assert (error.row, error.column, error.value) == (None, "delayed", None)
    assert error.rule == ('schema drift (safe, but evolve: none): the contract says boolean (optional); '
                          f'run ALTER TABLE {T} ADD COLUMN "delayed" boolean')
    upsert = contract(mode="upsert")
    (error,) = drift_errors(compare(table(key=()), upsert, "s"), upsert)
    assert (error.column, error.value) == ("id", "no primary key")
    assert error.rule.startswith(f'schema drift (rewrite): the contract says primary key (id); run ALTER TABLE {T} '
                                 'ADD PRIMARY KEY ("id") (PostgreSQL checks')


def test_a_missing_table_is_created_by_the_first_load() -> None:
    (d,) = compare(None, contract(), "s")
    assert d.kind is Kind.SAFE and d.statement == f'CREATE TABLE IF NOT EXISTS {T} ("id" bigint NOT NULL, ' \
                                                  'PRIMARY KEY ("id"))'


def test_the_definition_fingerprint_follows_every_attribute() -> None:
    base = table(TableColumn("v", "text", False))
    assert definition_fingerprint(base) == definition_fingerprint(table(TableColumn("v", "text", False)))
    assert definition_fingerprint(base) != definition_fingerprint(table(TableColumn("v", "text", True)))
    assert definition_fingerprint(base) != definition_fingerprint(dataclasses.replace(base, primary_key=()))


def test_drift_lists_what_stops_the_load_first_and_no_column_merely_left_as_is() -> None:
    upsert = contract(col("carrier", "varchar(3)"), mode="upsert")
    shape = table(TableColumn("carrier", "character varying(2)", True), TableColumn("delayed", "boolean", False),
                  key=())
    errors = drift_errors(compare(shape, upsert, "s"), upsert)
    assert [(e.column, e.rule.split(":")[0]) for e in errors] == [("id", "schema drift (rewrite)"),
                                                                  ("carrier", "schema drift (safe)")]
    frozen = dataclasses.replace(upsert, evolve="none")
    assert [e.column for e in drift_errors(compare(shape, frozen, "s"), frozen)] == ["carrier", "delayed", "id"]
