"""A contract the repository does not ship, end to end: every defect the harness lists for it is FAILED by
the handler at the recorded row and column, with the table exactly as it was (real moto + PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

import fixtures
from tests.support.client import IngestClient
from tests.support.contracts import write_readings


@pytest.fixture
def readings_client(client: IngestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> IngestClient:
    monkeypatch.setenv("TABLE_CONTRACTS", str(write_readings(tmp_path)))
    return client


def test_every_listed_defect_fails_where_recorded_and_changes_nothing(readings_client: IngestClient,
                                                                     tmp_path: Path) -> None:
    clean = fixtures.generate("readings", 40, 1, contracts=tmp_path)
    assert readings_client.ingest("lab/readings-0.csv", clean.data)["status"] == "SUCCEEDED"
    before = readings_client.checksum("readings")
    wrong = []
    for n, kind in enumerate(fixtures.defects_for("readings", str(tmp_path)), start=1):
        made = fixtures.generate("readings", 40, 2, kind, contracts=tmp_path)
        place = made.defect
        assert place is not None
        outcome = readings_client.ingest(f"lab/readings-{n}.csv", made.data)
        at_place = [e for e in outcome["errors"] if e["row"] == place.row
                    and (place.column is None or e["column"] == place.column)]
        if outcome["status"] != "FAILED" or not at_place:
            wrong.append((kind, outcome["status"], (place.row, place.column), outcome["errors"][:2]))
    assert wrong == []
    assert readings_client.checksum("readings") == before
    assert readings_client.count("readings") == 40
