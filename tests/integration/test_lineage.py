"""Lineage, replace_file and unloading against the real server and moto (README, "Where did this row come from?").

Every row names its load (`_ingest_load_id` = `ingest_ledger.load_id`) in every mode; replace_file lets a new
version of a key replace that key's rows and nothing else; a deleted object takes its rows with it, once the
object is really gone.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from pathlib import Path

import psycopg
import pytest

from lambda_function.errors import TransientError
from tests.support.activity import Watcher
from tests.support.client import IngestClient

READINGS = """match: "readings-*.csv"
table: readings
mode: {mode}
{extra}columns:
  reading_id: {{type: bigint}}
  sensor:     {{type: text}}
  celsius:    {{type: "numeric(5,1)"}}
"""
KEYED = "primary_key: [reading_id]\n"
UNLOAD = "on_object_removed: unload\n"
HEADER = "reading_id,sensor,celsius"


def csv(*rows: str) -> bytes:
    return (HEADER + "\n" + "".join(r + "\n" for r in rows)).encode()


class Readings:
    """The readings contract in a folder of its own (each call a new folder, as a deployment brings it)."""

    def __init__(self, client: IngestClient, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.client, self.folder, self.monkeypatch = client, folder, monkeypatch

    def contract(self, mode: str = "replace_file", extra: str = KEYED + UNLOAD) -> None:
        folder = self.folder / f"v{len(list(self.folder.iterdir())) + 1}"
        folder.mkdir()
        (folder / "readings.yaml").write_text(READINGS.format(mode=mode, extra=extra))
        self.monkeypatch.setenv("TABLE_CONTRACTS", str(folder))

    def load(self, key: str, *rows: str) -> dict:
        return self.client.ingest(key, csv(*rows))

    def rows(self) -> list[tuple]:
        return self.client.query("SELECT reading_id, sensor, celsius::text FROM readings ORDER BY 1")

    def lineage(self) -> list[tuple]:
        """Each row's key and the load it names, through the README's join."""
        return self.client.query(
            "SELECT t.reading_id, l.object_key, l.load_id = t._ingest_load_id, l.contract FROM readings t "
            "JOIN ingest_ledger l ON l.load_id = t._ingest_load_id ORDER BY 1")

    def ledger(self) -> list[tuple]:
        return self.client.query("SELECT object_key, status, rows_loaded, unloaded_at IS NOT NULL, replaced_by "
                                 "FROM ingest_ledger ORDER BY load_id")


@pytest.fixture
def readings(client: IngestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Readings:
    made = Readings(client, tmp_path, monkeypatch)
    made.contract()
    return made


@pytest.mark.parametrize("mode", ["append", "replace", "upsert", "replace_file"])
def test_every_row_names_its_load_in_every_mode(readings: Readings, mode: str):
    readings.contract(mode, KEYED + ("lineage: true\n" if mode != "replace_file" else ""))
    first = readings.load("day1/readings-1.csv", "1,a,1.5", "2,b,2.5")
    second = readings.load("day2/readings-2.csv", "2,b,3.5" if mode == "upsert" else "3,c,3.5")

    assert first["status"] == second["status"] == "SUCCEEDED"
    assert first["load_id"] < second["load_id"]
    expected = {
        "append": [(1, "day1/readings-1.csv"), (2, "day1/readings-1.csv"), (3, "day2/readings-2.csv")],
        "replace": [(3, "day2/readings-2.csv")],
        "upsert": [(1, "day1/readings-1.csv"), (2, "day2/readings-2.csv")],  # the update names the later load
        "replace_file": [(1, "day1/readings-1.csv"), (2, "day1/readings-1.csv"), (3, "day2/readings-2.csv")],
    }[mode]
    joined = readings.lineage()
    assert [(r[0], r[1]) for r in joined] == expected
    assert all(same and fingerprint == first["contract"] for _, _, same, fingerprint in joined)
    indexed = any(s.startswith("CREATE INDEX") for s in first["schema_changes"])
    assert indexed == (mode == "replace_file")  # rows deleted by their load: the lineage column is indexed


def test_a_corrected_re_upload_replaces_its_key_only(readings: Readings):
    readings.load("daily/readings-1.csv", "1,a,1.0", "2,a,2.0")
    first = readings.load("daily/readings-2.csv", "3,b,3.0", "4,b,4.0")
    corrected = readings.load("daily/readings-2.csv", "3,b,3.5", "4,b,4.5")

    assert (corrected["status"], corrected["rows_loaded"], corrected["rows_removed"]) == ("SUCCEEDED", 2, 2)
    assert corrected["replaced_loads"] == [first["load_id"]]
    assert readings.rows() == [(1, "a", "1.0"), (2, "a", "2.0"), (3, "b", "3.5"), (4, "b", "4.5")]
    assert readings.ledger() == [("daily/readings-1.csv", "SUCCEEDED", 2, False, None),
                                 ("daily/readings-2.csv", "SUCCEEDED", 2, True, corrected["load_id"]),
                                 ("daily/readings-2.csv", "SUCCEEDED", 2, False, None)]
    subjects = [m.subject for m in readings.client.messages()]
    assert subjects[-1] == "readings-2.csv -> readings: 2 rows loaded, 2 of the earlier version replaced"


def test_a_failed_new_version_keeps_the_old_rows(readings: Readings):
    readings.load("daily/readings-1.csv", "1,a,1.0", "2,a,2.0")
    before = readings.client.checksum("readings")

    failed = readings.load("daily/readings-1.csv", "1,a,1.0", "2,a,warm")

    assert failed["status"] == "FAILED" and failed["errors"][0]["row"] == 2
    assert readings.client.checksum("readings") == before
    assert [r[3] for r in readings.ledger()] == [False, False]  # the loaded version is not marked replaced


def test_a_primary_key_clash_with_another_keys_rows_fails_while_its_own_earlier_rows_never_clash(
        readings: Readings):
    readings.load("daily/readings-1.csv", "1,a,1.0", "2,a,2.0")
    readings.load("daily/readings-2.csv", "3,b,3.0")

    own = readings.load("daily/readings-2.csv", "3,b,3.3")  # the same key as its earlier version: replaced
    clash = readings.load("daily/readings-2.csv", "3,b,3.4", "2,b,9.9")  # 2 belongs to readings-1.csv

    assert own["status"] == "SUCCEEDED"
    assert clash["status"] == "FAILED"
    assert [(e["row"], e["column"], e["rule"]) for e in clash["errors"]] == [
        (2, "reading_id", "unique against rows already loaded in readings")]
    assert readings.rows() == [(1, "a", "1.0"), (2, "a", "2.0"), (3, "b", "3.3")]


def test_two_versions_racing_load_the_later_one_only(client: IngestClient, readings: Readings):
    client.upload("daily/readings-1.csv", csv("1,a,1.0", "2,a,2.0"))
    client.upload("daily/readings-1.csv", csv("1,a,1.5", "2,a,2.5", "3,a,3.5"))
    events = [json.loads(m["Body"]) for m in client.real_events(expect=2)]
    outcomes: list[dict] = []

    def deliver(event: dict) -> None:
        outcomes.extend(client.invoke(event)["outcomes"])

    threads = [threading.Thread(target=deliver, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(o["status"] for o in outcomes) == ["SKIPPED", "SUCCEEDED"]
    assert readings.rows() == [(1, "a", "1.5"), (2, "a", "2.5"), (3, "a", "3.5")]
    assert [r[:2] for r in readings.ledger()] == [("daily/readings-1.csv", "SUCCEEDED")]


def test_an_older_version_read_by_its_version_id_does_not_come_back(client: IngestClient, readings: Readings):
    client.s3.put_bucket_versioning(Bucket=client.bucket, VersioningConfiguration={"Status": "Enabled"})
    client.real_events(expect=0, timeout=0.5)
    old = client.upload("daily/readings-1.csv", csv("1,a,1.0"))
    new = client.upload("daily/readings-1.csv", csv("1,a,1.5"))
    client.real_events(expect=2)
    older = client.s3_event("daily/readings-1.csv", old["ETag"], version_id=old["VersionId"])
    newer = client.s3_event("daily/readings-1.csv", new["ETag"], version_id=new["VersionId"])

    loaded = client.invoke(newer)["outcomes"][0]
    late = client.invoke(older)["outcomes"][0]  # GET by version id would work: the current version decides

    assert (loaded["status"], late["status"]) == ("SUCCEEDED", "SKIPPED")
    assert "newer version" in late["reason"]
    assert readings.rows() == [(1, "a", "1.5")]


def test_a_deleted_object_takes_its_rows_with_it_once(client: IngestClient, readings: Readings):
    readings.load("daily/readings-1.csv", "1,a,1.0")
    loaded = readings.load("daily/readings-2.csv", "2,b,2.0", "3,b,3.0")
    client.messages()

    removal = client.removed("daily/readings-2.csv")
    (unloaded,) = removal["outcomes"]

    assert (unloaded["status"], unloaded["rows_removed"], unloaded["unloaded_loads"]) == (
        "UNLOADED", 2, [loaded["load_id"]])
    assert readings.rows() == [(1, "a", "1.0")]
    (message,) = client.messages()
    assert (message.subject, message.attributes["status"]) == (
        "readings-2.csv -> readings: UNLOADED, 2 rows removed", "UNLOADED")
    assert readings.ledger() == [("daily/readings-1.csv", "SUCCEEDED", 1, False, None),
                                 ("daily/readings-2.csv", "SUCCEEDED", 2, True, None),
                                 ("daily/readings-2.csv", "UNLOADED", 0, False, None)]
    again = client.invoke(client.s3_event("daily/readings-2.csv", event_name="ObjectRemoved:Delete"))
    assert (again["outcomes"][0]["status"], again["outcomes"][0]["reason"]) == (
        "SKIPPED", "nothing loaded from this key is left to unload")

    reloaded = readings.load("daily/readings-2.csv", "2,b,2.0", "3,b,3.0")  # the same bytes: loads again
    assert (reloaded["status"], readings.client.count("readings")) == ("SUCCEEDED", 3)


def test_a_key_uploaded_again_before_its_removal_event_arrives_keeps_its_rows(client: IngestClient,
                                                                              readings: Readings):
    readings.load("daily/readings-1.csv", "1,a,1.0")
    client.delete("daily/readings-1.csv")
    (removal,) = client.real_events()
    readings.load("daily/readings-1.csv", "1,a,1.5")  # re-created (its own event loads it) before the removal runs

    stale = client.invoke(json.loads(removal["Body"]))["outcomes"][0]

    assert stale["status"] == "SKIPPED" and stale["reason"].startswith("stale removal")
    assert readings.rows() == [(1, "a", "1.5")]


def test_a_removal_is_ignored_without_a_message_when_the_contract_does_not_unload(client: IngestClient,
                                                                                   readings: Readings):
    readings.contract(extra=KEYED)
    readings.load("daily/readings-1.csv", "1,a,1.0")
    client.messages()

    assert client.removed("daily/readings-1.csv") == {"outcomes": []}
    assert readings.rows() == [(1, "a", "1.0")] and client.messages(wait=0.5) == []


def test_an_append_table_with_lineage_unloads_every_load_of_the_key(client: IngestClient, readings: Readings):
    readings.contract("append", "lineage: true\n" + UNLOAD)
    readings.load("daily/readings-1.csv", "1,a,1.0")
    readings.load("daily/readings-1.csv", "2,a,2.0")  # another upload of the key appends
    readings.load("daily/readings-2.csv", "3,b,3.0")

    (unloaded,) = client.removed("daily/readings-1.csv")["outcomes"]

    assert (unloaded["status"], unloaded["rows_removed"], len(unloaded["unloaded_loads"])) == ("UNLOADED", 2, 2)
    assert readings.rows() == [(3, "b", "3.0")]


def test_unloading_a_partial_load_removes_the_rows_it_loaded(client: IngestClient, readings: Readings, monkeypatch):
    quarantine = client.bucket + "-quarantine"
    client.s3.create_bucket(Bucket=quarantine)
    monkeypatch.setenv("QUARANTINE_PREFIX", "quarantine/")
    monkeypatch.setenv("QUARANTINE_BUCKET", quarantine)
    readings.contract(extra=KEYED + UNLOAD + "on_error: reject_rows\nmax_rejected_rows: 5\n")
    readings.load("daily/readings-1.csv", "1,a,1.0")
    partial = readings.load("daily/readings-2.csv", "2,b,2.0", "3,b,hot", "4,b,4.0")
    assert (partial["status"], partial["rows_loaded"], partial["rows_rejected"]) == ("PARTIAL", 2, 1)

    (unloaded,) = client.removed("daily/readings-2.csv")["outcomes"]

    assert (unloaded["status"], unloaded["rows_removed"]) == ("UNLOADED", 2)
    assert readings.rows() == [(1, "a", "1.0")]


def test_an_unload_whose_message_was_not_published_is_published_on_retry(client: IngestClient, readings: Readings,
                                                                          monkeypatch: pytest.MonkeyPatch):
    readings.load("daily/readings-1.csv", "1,a,1.0")
    client.messages()
    client.delete("daily/readings-1.csv")
    (removal,) = client.real_events()
    event = json.loads(removal["Body"])
    monkeypatch.setenv("SNS_TOPIC_ARN", client.topic_arn + "-missing")
    with pytest.raises(TransientError):
        client.invoke(event)
    assert readings.rows() == []  # committed before the publish failed

    monkeypatch.setenv("SNS_TOPIC_ARN", client.topic_arn)
    retried = client.invoke(event)["outcomes"][0]

    assert (retried["status"], retried["rows_removed"]) == ("UNLOADED", 1)
    assert [m.body["status"] for m in client.messages()] == ["UNLOADED"]
    assert client.invoke(event)["outcomes"][0]["status"] == "SKIPPED"


def test_lineage_turned_on_for_a_table_with_rows_is_a_safe_change_and_old_rows_keep_null(readings: Readings):
    readings.contract("append", KEYED)
    readings.load("daily/readings-1.csv", "1,a,1.0", "2,a,2.0")
    readings.contract("append", KEYED + "lineage: true\n")

    on = readings.load("daily/readings-2.csv", "3,b,3.0")

    table = f'"{readings.client.schema}"."readings"'
    assert on["status"] == "SUCCEEDED"
    assert on["schema_changes"] == [
        f'ALTER TABLE {table} ADD COLUMN "_ingest_load_id" bigint, ALTER COLUMN "_ingest_load_id" SET DEFAULT '
        "NULLIF(current_setting('csv_ingest.load_id', true), '')::bigint"]
    assert readings.client.query("SELECT reading_id, _ingest_load_id FROM readings ORDER BY 1") == [
        (1, None), (2, None), (3, on["load_id"])]

    readings.contract("replace_file", KEYED)  # rows now deleted by their load: the column gets its index
    indexed = readings.load("daily/readings-3.csv", "4,c,4.0")
    assert indexed["schema_changes"] == [f'CREATE INDEX IF NOT EXISTS "readings_ingest_load_id" ON {table} '
                                         '("_ingest_load_id")']
    assert readings.load("daily/readings-4.csv", "5,d,5.0")["schema_changes"] == []


def test_lineage_turned_on_under_evolve_none_is_drift_naming_the_statement(readings: Readings):
    readings.contract("append", KEYED)
    readings.load("daily/readings-1.csv", "1,a,1.0")
    readings.contract("append", KEYED + "lineage: true\nevolve: none\n")

    drift = readings.load("daily/readings-2.csv", "2,b,2.0")

    assert drift["status"] == "FAILED"
    (error,) = drift["errors"]
    assert error["column"] == "_ingest_load_id" and "ADD COLUMN \"_ingest_load_id\" bigint" in error["rule"]
    assert readings.client.count("readings") == 1


def test_harness_unload_waits_for_the_object_lock_a_load_of_the_key_holds(client: IngestClient, readings: Readings):
    from harness.emulator.loads import unload

    readings.load("daily/readings-1.csv", "1,a,1.0")
    stack = dataclasses.replace(client.stack, bucket=client.bucket, topic_arn=client.topic_arn,
                                table_contracts=os.environ["TABLE_CONTRACTS"])
    lock = f"ingest:object:{client.schema}:{client.bucket}/daily/readings-1.csv"  # what a load of the key takes
    done: list[dict] = []
    with psycopg.connect(client.stack.pg_url, autocommit=True) as holder, Watcher(client, "readings") as watcher:
        holder.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (lock,))
        worker = threading.Thread(target=lambda: done.append(unload(stack, client.schema, "daily/readings-1.csv")))
        worker.start()
        watcher.wait_for(lambda copying, waiting: waiting == 1)
        assert done == [] and readings.client.count("readings") == 1
        holder.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (lock,))
        worker.join(30)

    assert (done[0]["status"], done[0]["rows_removed"]) == ("UNLOADED", 1)
    assert readings.rows() == []
