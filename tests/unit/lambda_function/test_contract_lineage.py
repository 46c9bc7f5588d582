"""The lineage keys of a contract (`lineage`, `mode: replace_file`, `on_object_removed`), their fingerprint, and
lineage as a schema change (pure: no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambda_function.contract import ContractError, default_folder, load_contracts
from lambda_function.contract.describe import headline
from lambda_function.contract.fingerprint import contract_fingerprint
from lambda_function.loading.ddl import create_table_statements
from lambda_function.loading.schema_diff import Kind, TableColumn, TableDefinition, compare, load_statements

READINGS = """match: "readings-*.csv"
table: readings
mode: append
columns:
  reading_id: {type: bigint}
  celsius:    {type: "numeric(5,1)"}
"""
LINEAGE_DEFAULT = "(NULLIF(current_setting('csv_ingest.load_id'::text, true), ''::text))::bigint"


def load(tmp_path: Path, text: str):
    folder = tmp_path / f"c{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    (folder / "readings.yaml").write_text(text)
    return load_contracts(folder).find("readings-1.csv")


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ContractError) as caught:
        load(tmp_path, text)
    return [str(p) for p in caught.value.problems]


def test_replace_file_implies_lineage_and_may_unload(tmp_path: Path):
    contract = load(tmp_path, READINGS.replace("mode: append", "mode: replace_file\non_object_removed: unload"))

    assert (contract.mode, contract.lineage, contract.on_object_removed) == ("replace_file", True, "unload")
    assert contract.deletes_by_load
    assert "a new version of a key replaces that key's rows, a deleted object takes its rows with it" in \
        headline(contract)


def test_an_append_table_unloads_only_with_lineage(tmp_path: Path):
    appended = load(tmp_path, READINGS + "lineage: true\non_object_removed: unload\n")
    assert (appended.lineage, appended.deletes_by_load) == (True, True)

    (found,) = problems(tmp_path, READINGS + "on_object_removed: unload\n")
    assert found.endswith("readings.yaml: on_object_removed: unload needs rows that know their file: mode: "
                          "replace_file, or mode: append with lineage: true (set lineage: true)")


@pytest.mark.parametrize(("text", "expected"), [
    (READINGS.replace("mode: append", "mode: replace\nlineage: true\non_object_removed: unload"),
     "on_object_removed: unload needs rows that know their file: mode: replace_file, or mode: append with "
     "lineage: true (not with mode: replace)"),
    (READINGS.replace("mode: append", "mode: replace_file\nlineage: false"),
     "lineage: mode: replace_file implies lineage"),
    (READINGS + "on_object_removed: delete\n", "on_object_removed: must be one of 'ignore', 'unload'"),
    (READINGS + "lineage: yes\n", "lineage: must be true or false"),
    (READINGS + "  _ingest_load_id: {type: bigint}\n",
     "columns._ingest_load_id: is the lineage column's name (lineage: true adds it)"),
])
def test_each_misuse_is_one_problem_naming_the_file_and_field(tmp_path: Path, text: str, expected: str):
    found = problems(tmp_path, text)

    assert any(expected in p and "readings.yaml" in p for p in found), found


def test_the_keys_count_in_the_fingerprint_only_when_set(tmp_path: Path):
    base = contract_fingerprint(load(tmp_path, READINGS))

    assert contract_fingerprint(load(tmp_path, READINGS + "lineage: false\non_object_removed: ignore\n")) == base
    assert contract_fingerprint(load(tmp_path, READINGS + "lineage: true\n")) != base
    with_unload = contract_fingerprint(load(tmp_path, READINGS + "lineage: true\non_object_removed: unload\n"))
    assert with_unload not in (base, contract_fingerprint(load(tmp_path, READINGS + "lineage: true\n")))


def test_the_shipped_contracts_keep_the_fingerprints_of_the_release_before_lineage():
    # As main computed them before these keys existed: their recorded FAILED verdicts still stand.
    whitelist = load_contracts(default_folder())
    assert {c.name: contract_fingerprint(c) for c in whitelist} == {"test.csv": "a985055b97c4",
                                                                    "users.csv": "51b1aee110cf"}


def test_a_new_table_gets_the_column_with_its_default_and_an_index_when_rows_are_deleted_by_load(tmp_path: Path):
    appended = load(tmp_path, READINGS + "lineage: true\n")
    replaced = load(tmp_path, READINGS.replace("mode: append", "mode: replace_file"))

    (create,) = create_table_statements("s", appended)
    assert create.endswith('"_ingest_load_id" bigint DEFAULT NULLIF(current_setting(\'csv_ingest.load_id\', '
                           "true), '')::bigint)")
    assert create_table_statements("s", replaced)[1] == (
        'CREATE INDEX IF NOT EXISTS "readings_ingest_load_id" ON "s"."readings" ("_ingest_load_id")')
    assert [d.statement for d in compare(None, replaced, "s")] == create_table_statements("s", replaced)


def _table(*extra: TableColumn, default: str | None = None, indexed: bool = False) -> TableDefinition:
    columns = (TableColumn("reading_id", "bigint", True), TableColumn("celsius", "numeric(5,1)", True), *extra)
    return TableDefinition("s", "readings", columns, (), None, True, default, indexed)


LINEAGE = TableColumn("_ingest_load_id", "bigint", False)


def test_lineage_turned_on_is_safe_column_default_and_index_for_replace_file(tmp_path: Path):
    appended = load(tmp_path, READINGS + "lineage: true\n")
    replaced = load(tmp_path, READINGS.replace("mode: append", "mode: replace_file"))

    (added,) = compare(_table(), appended, "s")
    assert (added.kind, added.column, added.advice) == (Kind.SAFE, "_ingest_load_id",
                                                        "rows already in the table keep NULL there")
    assert added.statement == ('ALTER TABLE "s"."readings" ADD COLUMN "_ingest_load_id" bigint, ALTER COLUMN '
                               "\"_ingest_load_id\" SET DEFAULT NULLIF(current_setting('csv_ingest.load_id', true), "
                               "'')::bigint")
    assert [d.statement.split(" ")[0] for d in compare(_table(), replaced, "s")] == ["ALTER", "CREATE"]
    assert compare(_table(LINEAGE, default=LINEAGE_DEFAULT), appended, "s") == []
    assert compare(_table(LINEAGE, default=LINEAGE_DEFAULT, indexed=True), replaced, "s") == []
    (index,) = compare(_table(LINEAGE, default=LINEAGE_DEFAULT), replaced, "s")
    assert (index.kind, index.table) == (Kind.SAFE, "not indexed")


def test_a_lineage_column_without_its_default_gets_it_and_one_of_another_type_breaks(tmp_path: Path):
    appended = load(tmp_path, READINGS + "lineage: true\n")

    (default,) = compare(_table(LINEAGE), appended, "s")
    assert default.kind is Kind.SAFE and default.statement.endswith("SET DEFAULT NULLIF(current_setting("
                                                                    "'csv_ingest.load_id', true), '')::bigint")
    (other,) = compare(_table(TableColumn("_ingest_load_id", "text", False)), appended, "s")
    assert (other.kind, other.statement) == (Kind.BREAKING, None)


def test_lineage_turned_off_leaves_the_column_as_it_is(tmp_path: Path):
    plain = load(tmp_path, READINGS)

    differences = compare(_table(LINEAGE, default=LINEAGE_DEFAULT, indexed=True), plain, "s")

    assert [(d.kind, d.column, d.statement) for d in differences] == [(Kind.SAFE, "_ingest_load_id", None)]
    assert load_statements(differences, "safe") == []
