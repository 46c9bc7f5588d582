"""The scenario catalogue is data: check its shape without running anything."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import fixtures
from fixtures import DEFECTS
from harness.scenarios import CATALOGUE, Generated, Result, select
from harness.scenarios.demo import DEMO
from harness.scenarios.report import write_junit


def test_at_least_fifteen_scenarios_with_unique_names() -> None:
    names = [s.name for s in CATALOGUE]
    assert len(names) >= 15
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_every_defect_has_a_failing_scenario_with_the_table_unchanged(defect: str) -> None:
    (scenario,) = [s for s in CATALOGUE if s.name == f"defect-{defect}"]
    last = scenario.uploads[-1]
    assert isinstance(last.content, Generated) and last.content.defect == defect
    assert last.outcomes == ("FAILED",) and last.error_at_defect
    assert set(scenario.tables.values()) == {"unchanged"}


def test_the_issue_cases_are_present() -> None:
    names = {s.name for s in CATALOGUE}
    for expected in (
        "valid-users",
        "valid-test",
        "append-twice",
        "replace-after-replace",
        "gzip",
        "delivered-twice",
        "multipart-upload",
        "concurrent-both-tables",
        "large-test-1m",
        "database-unreachable",
        "s3-test-event",
        "key-with-spaces-and-plus",
    ):
        assert expected in names
    rejected = {u.key for s in CATALOGUE for u in s.uploads if u.outcomes == ("REJECTED",)}
    assert rejected >= {"orders.csv", "Users.csv", "users.csv.bak", "archive/old_users.csv"}


def test_large_scenarios_are_marked_and_can_be_left_out() -> None:
    large = [s for s in CATALOGUE if s.large]
    assert large and all(
        u.content.rows >= 1_000_000 for s in large for u in s.uploads if isinstance(u.content, Generated)
    )
    assert not any(s.large for s in select(include_large=False))


def test_select_by_glob_or_substring() -> None:
    assert {s.name for s in select("rejected-*")} == {s.name for s in CATALOGUE if s.name.startswith("rejected-")}
    assert [s.name for s in select("gzip")] == ["gzip"]
    assert select("no-such-scenario") == []


def test_expected_summary_lists_one_status_per_event() -> None:
    (scenario,) = select("multipart-upload")
    assert scenario.expected == "SUCCEEDED + SKIPPED"


def test_demo_covers_every_outcome() -> None:
    statuses = {o for s in DEMO for u in s.uploads for o in u.outcomes}
    assert statuses == {"SUCCEEDED", "FAILED", "REJECTED", "SKIPPED"}


def test_junit_xml(tmp_path: Path) -> None:
    results = [
        Result("a", True, "SUCCEEDED", "SUCCEEDED", {"users": 1}, 0.5),
        Result("b", False, "FAILED", "SUCCEEDED", {}, 0.25, "table users changed"),
    ]
    target = tmp_path / "out" / "junit.xml"
    write_junit(results, target)
    suite = ET.parse(target).getroot().find("testsuite")  # noqa: S314 - our own file
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    failure = suite.find("testcase[@name='b']/failure")
    assert failure is not None and failure.text == "table users changed"


def test_a_folder_of_contracts_gets_its_own_catalogue() -> None:
    from harness.scenarios import select
    from lambda_function.contract import default_folder, load_contracts
    from tests.support.contracts import FOLDER

    readings = {s.name: s for s in select(contracts=FOLDER)}
    kinds = fixtures.defects_for("readings", str(FOLDER))
    assert {f"readings-defect-{k.replace(':', '-')}" for k in kinds} <= set(readings)
    assert {"readings-valid", "readings-gzip", "readings-delivered-twice", "readings-append-appends"} <= set(readings)
    assert readings["readings-append-appends"].tables == {"readings": 80}
    whitelist = load_contracts(FOLDER)
    for scenario in readings.values():
        if scenario.name.startswith("readings-rejected-"):
            assert whitelist.lookup(scenario.uploads[0].key) is None
        assert scenario.contracts == str(FOLDER.resolve())
    orders = {s.name: s for s in select(contracts=default_folder() / "examples")}
    assert orders["orders-upsert-merges"].tables == {"orders": 80}


def test_scenarios_list_names_expectations_without_a_stack() -> None:
    from typer.testing import CliRunner

    from harness.cli import app
    from tests.support.contracts import FOLDER

    result = CliRunner().invoke(app, ["scenarios", "--list", "--json", "--contracts", str(FOLDER)])
    assert result.exit_code == 0, result.output
    listed = {e["name"]: e for e in json.loads(result.stdout)}
    assert listed["readings-delivered-twice"]["expected"] == "SUCCEEDED + SKIPPED"
    plain = CliRunner().invoke(app, ["scenarios", "--list"]).stdout
    assert plain.splitlines()[0].split()[:2] == ["valid-users", "SUCCEEDED"]


def test_the_dialect_defects_are_scenarios_and_a_header_one_fails_even_when_rows_may_be_rejected(
        tmp_path: Path) -> None:
    from tests.support.contracts import FOLDER

    instrument = {s.name: s for s in select(contracts=FOLDER) if s.name.startswith("instrument-")}
    for kind in ("empty_under_marker-reading", "undefined_byte-lab", "unlisted_spelling-passed",
                 "missing_required_column-passed", "empty_required-operator"):
        last = instrument[f"instrument-defect-{kind}"].uploads[-1]
        assert last.outcomes == ("FAILED",) and last.error_at_defect, kind
    (tmp_path / "r.yaml").write_text("file: r.csv\ntable: r\nmode: append\non_error: reject_rows\n"
                                     "max_rejected_rows: 5\ncolumns:\n  k: {type: integer}\n  b: {type: boolean}\n"
                                     "  note: {type: text, required: false}\n")
    generated = {s.name: s for s in select(contracts=tmp_path)}
    assert generated["r-defect-missing_required_column-b"].uploads[-1].outcomes == ("FAILED",)
    assert generated["r-defect-unlisted_spelling-b"].uploads[-1].outcomes == ("PARTIAL",)


def test_each_generated_contract_gets_a_schema_change_mid_scenario() -> None:
    from harness.scenarios.generated import contract_scenarios
    from lambda_function.contract import default_folder, load_contracts

    examples = default_folder() / "examples"
    (scenario,) = [s for s in contract_scenarios(examples) if s.name.endswith("-evolve-optional-column")]
    before, added, without, after = scenario.uploads
    assert before.contracts is None and after.contracts is None and after.schema_changes is False
    assert added.contracts == without.contracts and added.schema_changes is True and without.schema_changes is False
    (changed,) = load_contracts(added.contracts)
    column = changed.column("evolved_note")
    assert column.required is False
    assert changed.column_names[1:] == load_contracts(examples).find("orders.csv").column_names
    assert isinstance(without.content, Generated) and without.content.contracts == before.content.contracts  # type: ignore[union-attr]
    assert scenario.tables == {"orders": 80}


def test_a_replace_file_contract_gets_a_correction_a_deletion_and_failed_versions_of_one_key() -> None:
    from tests.support.contracts import FOLDER

    meter = {s.name: s for s in select(contracts=FOLDER) if s.name.startswith("meter-")}
    _day1, day2, corrected = meter["meter-replace-file-replaces"].uploads
    assert corrected.key == day2.key and isinstance(corrected.content, Generated)
    assert corrected.content.revision == 1 and (corrected.content.first_row, corrected.content.last_row) == (51, 80)
    assert meter["meter-replace-file-replaces"].tables == {"meter": 80}
    assert meter["meter-replace-file-replaces"].changed == ("meter",)
    *_, deletion = meter["meter-deletion-unloads"].uploads
    assert (deletion.key, deletion.delete, deletion.outcomes) == (day2.key, True, ("UNLOADED",))
    assert meter["meter-deletion-unloads"].tables == {"meter": 50}
    first, broken = meter["meter-defect-not_in_enum-quality"].uploads
    assert first.key == broken.key and broken.outcomes == ("FAILED",)  # a new version of the key keeps its rows
    assert meter["meter-defect-not_in_enum-quality"].tables == {"meter": "unchanged"}
    readings = {s.name for s in select(contracts=FOLDER) if s.name.startswith("readings-")}
    assert "readings-deletion-unloads" not in readings  # only contracts that unload on removal


def test_a_revision_keeps_the_keys_and_draws_the_other_values_again() -> None:
    from fixtures.csvtext import parse
    from tests.support.contracts import FOLDER

    def rows(revision: int) -> list[list[str]]:
        made = fixtures.generate("meter", 30, 5, contracts=FOLDER, revision=revision)
        return parse(made.data, ",", "utf-8")[1:]

    first, corrected = rows(0), rows(1)
    assert [r[:2] for r in first] == [r[:2] for r in corrected]  # meter_id, read_at: the key
    assert [r[2:] for r in first] != [r[2:] for r in corrected]
    assert fixtures.generate("meter", 30, 5, contracts=FOLDER).data == fixtures.generate(
        "meter", 30, 5, contracts=FOLDER, revision=0).data
