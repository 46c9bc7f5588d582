"""Contracts the repository does not ship, end to end: every defect the harness lists for them is FAILED by
the handler at the recorded row and column, with the table exactly as it was (real moto + PostgreSQL).
readings uses every type and key; instrument writes files the real-world way (windows-1252, NA, 1/0); meter is
replace_file, so each broken file is a new version of the clean file's key, which keeps its rows."""

from __future__ import annotations

from pathlib import Path

import pytest

import fixtures
from fixtures.csvtext import parse
from tests.support.client import IngestClient
from tests.support.contracts import write_contract

KEYS = {"readings": "lab/readings-{n}.csv", "instrument": "lab/{n}/instrument.csv", "meter": "lab/meter-1.csv"}


@pytest.mark.parametrize("table", sorted(KEYS))
def test_every_listed_defect_fails_where_recorded_and_changes_nothing(client: IngestClient, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     table: str) -> None:
    monkeypatch.setenv("TABLE_CONTRACTS", str(write_contract(tmp_path, table)))
    clean = fixtures.generate(table, 40, 1, contracts=tmp_path)
    assert client.ingest(KEYS[table].format(n=0), clean.data)["status"] == "SUCCEEDED"
    before = client.checksum(table)
    wrong = []
    for n, kind in enumerate(fixtures.defects_for(table, str(tmp_path)), start=1):
        made = fixtures.generate(table, 40, 2, kind, contracts=tmp_path)
        place = made.defect
        assert place is not None
        outcome = client.ingest(KEYS[table].format(n=n), made.data)
        at_place = [e for e in outcome["errors"] if e["row"] == place.row
                    and (place.column is None or e["column"] == place.column)]
        if outcome["status"] != "FAILED" or not at_place:
            wrong.append((kind, outcome["status"], (place.row, place.column), outcome["errors"][:2]))
    assert wrong == []
    assert client.checksum(table) == before
    assert client.count(table) == 40


def test_a_generated_instrument_file_loads_null_exactly_at_its_markers(client: IngestClient, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_CONTRACTS", str(write_contract(tmp_path, "instrument")))
    made = fixtures.generate("instrument", 500, 3, contracts=tmp_path)

    outcome = client.ingest("lab/instrument.csv", made.data)

    assert outcome["status"] == "SUCCEEDED", outcome["errors"][:3]
    header, *rows = parse(made.data, ";", "cp1252")
    by_id = {int(r[0]): r for r in rows}
    stored = client.query('SELECT sample_id, operator, lab, "température" IS NULL, passed, calibrated, remark '
                          "FROM instrument")
    assert len(stored) == 500
    for sample_id, operator, lab, no_temperature, passed, calibrated, remark in stored:
        row = dict(zip(header, by_id[sample_id], strict=True))
        assert (operator, lab, remark) == (row["operator"], None if row["lab"] == "NA" else row["lab"],
                                           None if row["remark"] == "NA" else row["remark"])
        assert no_temperature == (row["température"] == "NA")
        assert passed == (row["passed"] == "1")
        assert calibrated == (None if row["calibrated"] == "NA" else row["calibrated"].lower() in ("y", "yes"))
    assert any("é" in r[1] for r in stored)  # windows-1252 text read as the characters it wrote
