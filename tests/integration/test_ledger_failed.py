"""The ledger records FAILED verdicts under the contract's fingerprint, and a ledger from the previous release is
upgraded in place by the first load of this one (real PostgreSQL, real moto)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambda_function.contract import default_folder, load_contracts
from lambda_function.contract.fingerprint import contract_fingerprint
from lambda_function.errors import TransientError
from tests.support.client import IngestClient

USERS_HEADER = "user_id,email,full_name,country_code,signup_date,is_active"

# The previous release's ledger, exactly as its create_ledger_sql made it.
PREVIOUS_RELEASE_LEDGER = """CREATE TABLE IF NOT EXISTS ingest_ledger (
        bucket text NOT NULL,
        object_key text NOT NULL,
        object_id text NOT NULL,
        version_id text,
        etag text,
        sequencer text,
        table_name text NOT NULL,
        load_mode text NOT NULL,
        rows_loaded bigint NOT NULL,
        request_id text,
        loaded_at timestamptz NOT NULL DEFAULT now(),
        outcome jsonb NOT NULL,
        published_at timestamptz,
        PRIMARY KEY (bucket, object_key, object_id))"""


# The ledger of the release before lineage (schema changes, issue 26): three more columns, no load_id.
SCHEMA_CHANGES_RELEASE_LEDGER = PREVIOUS_RELEASE_LEDGER.replace(
    "        PRIMARY KEY", "        status text,\n        contract text,\n        table_fingerprint text,\n"
    "        PRIMARY KEY")
LINEAGE_COLUMNS = {"load_id", "unloaded_at", "replaced_by"}


def _users(*rows: str) -> bytes:
    return (USERS_HEADER + "\n" + "".join(r + "\n" for r in rows)).encode()


def _contracts(tmp_path: Path, name: str, users_yaml: str, monkeypatch: pytest.MonkeyPatch) -> str:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "users.yaml").write_text(users_yaml)
    monkeypatch.setenv("TABLE_CONTRACTS", str(folder))
    return contract_fingerprint(load_contracts(folder).find("users.csv"))


def _ledger(client: IngestClient) -> list[tuple]:
    return client.query("SELECT object_key, status, contract, table_fingerprint IS NOT NULL, rows_loaded, "
                        "published_at IS NOT NULL FROM ingest_ledger ORDER BY object_key")


def test_a_failed_object_is_skipped_under_the_same_contract_and_judged_again_under_a_changed_one(
        client: IngestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    shipped = (default_folder() / "users.yaml").read_text()
    strict = _contracts(tmp_path, "strict", shipped, monkeypatch)
    put = client.upload("users.csv", _users("0,a@b.co,A,GB,2020-01-01,true"))  # user_id 0 breaks minimum: 1
    client.real_events()
    event = client.s3_event("users.csv", put["ETag"])

    first = client.invoke(event)["outcomes"][0]
    second = client.invoke(event)["outcomes"][0]

    assert (first["status"], first["contract"]) == ("FAILED", strict)
    assert (second["status"], second["reason"], second["failed_at"] is not None) == (
        "SKIPPED", "already FAILED under this contract", True)
    assert _ledger(client) == [("users.csv", "FAILED", strict, False, 0, True)]

    relaxed = _contracts(tmp_path, "relaxed", shipped.replace("minimum: 1", "minimum: 0"), monkeypatch)
    third = client.invoke(event)["outcomes"][0]

    assert (third["status"], third["contract"], third["rows_loaded"]) == ("SUCCEEDED", relaxed, 1)
    assert _ledger(client) == [("users.csv", "SUCCEEDED", relaxed, False, 1, True)]
    assert client.invoke(event)["outcomes"][0]["reason"] == "already loaded"
    assert [m.body["status"] for m in client.messages()] == ["FAILED", "SKIPPED", "SUCCEEDED", "SKIPPED"]


def test_a_failed_outcome_whose_message_was_not_published_is_published_on_retry(client: IngestClient, monkeypatch):
    put = client.upload("users.csv", _users("1,not-an-email,A,GB,2020-01-01,true"))
    client.real_events()
    event = client.s3_event("users.csv", put["ETag"])
    monkeypatch.setenv("SNS_TOPIC_ARN", client.topic_arn + "-missing")
    with pytest.raises(TransientError):
        client.invoke(event)

    monkeypatch.setenv("SNS_TOPIC_ARN", client.topic_arn)
    retry = client.invoke(event)["outcomes"][0]

    assert retry["status"] == "FAILED" and retry["errors"][0]["column"] == "email"
    assert [m.body["status"] for m in client.messages()] == ["FAILED"]
    assert client.invoke(event)["outcomes"][0]["status"] == "SKIPPED"


def test_a_clash_with_loaded_rows_is_not_recorded_so_the_same_file_loads_once_they_are_gone(
        client: IngestClient, make_csv):
    first = make_csv("test", rows=5, seed=81).data
    client.ingest("one/test.csv", first)
    put = client.upload("two/test.csv", first)  # the same rows again: every key clashes
    client.real_events()
    event = client.s3_event("two/test.csv", put["ETag"])
    assert client.invoke(event)["outcomes"][0]["status"] == "FAILED"

    client.execute("DELETE FROM test")
    retried = client.invoke(event)["outcomes"][0]

    assert (retried["status"], retried["rows_loaded"]) == ("SUCCEEDED", 5)


def test_a_key_repeated_within_the_file_is_the_files_own_fault_and_recorded(client: IngestClient, make_csv):
    client.ingest("one/test.csv", make_csv("test", rows=5, seed=82).data)  # rows in the table: keys looked up
    lines = make_csv("test", rows=5, seed=83).data.decode().splitlines()
    lines[3] = lines[1]  # data row 3 repeats data row 1 (found by the second pass: the first leaves it to the index)
    put = client.upload("two/test.csv", ("\n".join(lines) + "\n").encode())
    client.real_events()
    event = client.s3_event("two/test.csv", put["ETag"])

    failed = client.invoke(event)["outcomes"][0]
    again = client.invoke(event)["outcomes"][0]

    assert failed["status"] == "FAILED" and {e["row"] for e in failed["errors"]} == {3}
    assert (again["status"], again["reason"]) == ("SKIPPED", "already FAILED under this contract")


def _loaded_by_an_earlier_release(client: IngestClient, ledger_sql: str, outcome: str, **more: str) -> str:
    """An object loaded by an earlier release: its ledger (as that release made it) with the object's entry;
    the object's ETag as S3 gave it."""
    old = client.upload("old/users.csv", _users("1,a@b.co,A,GB,2020-01-01,true"))
    client.real_events()
    etag = old["ETag"].strip('"')
    body = {"status": outcome, "bucket": client.bucket, "key": "old/users.csv", "rows_loaded": 1}
    names = ", ".join(more)
    values = "".join(f", '{v}'" for v in more.values())
    client.execute(ledger_sql,
                   "INSERT INTO ingest_ledger (bucket, object_key, object_id, etag, table_name, load_mode, "
                   f"rows_loaded, outcome, published_at{', ' + names if more else ''}) VALUES ('{client.bucket}', "
                   f"'old/users.csv', 'etag:{etag}', '{etag}', 'users', 'replace', 1, '{json.dumps(body)}', "
                   f"now(){values})")
    return str(old["ETag"])


def test_a_ledger_made_by_the_previous_release_is_upgraded_by_the_first_load(client: IngestClient):
    etag = _loaded_by_an_earlier_release(client, PREVIOUS_RELEASE_LEDGER, "PARTIAL")

    redelivered = client.invoke(client.s3_event("old/users.csv", etag))["outcomes"][0]
    fresh = client.ingest("new/users.csv", _users("0,a@b.co,A,GB,2020-01-01,true"))

    assert (redelivered["status"], redelivered["reason"]) == ("SKIPPED", "already loaded")
    assert fresh["status"] == "FAILED"
    columns = {name for (name,) in client.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = 'ingest_ledger'")}
    assert {"status", "contract", "table_fingerprint", *LINEAGE_COLUMNS} <= columns
    assert _ledger(client) == [("new/users.csv", "FAILED", fresh["contract"], False, 0, True),
                               ("old/users.csv", "PARTIAL", None, False, 1, True)]
    keys = client.query("SELECT constraint_type FROM information_schema.table_constraints WHERE table_schema = "
                        "current_schema() AND table_name = 'ingest_ledger' AND constraint_type <> 'CHECK' ORDER BY 1")
    assert keys == [("PRIMARY KEY",), ("UNIQUE",)]  # still one row per object; load_id names one of them


def test_the_ledger_of_the_release_before_lineage_gains_load_ids_for_its_rows(client: IngestClient):
    etag = _loaded_by_an_earlier_release(client, SCHEMA_CHANGES_RELEASE_LEDGER, "SUCCEEDED", status="SUCCEEDED",
                                         contract="0123456789ab")

    redelivered = client.invoke(client.s3_event("old/users.csv", etag))["outcomes"][0]
    fresh = client.ingest("new/users.csv", _users("2,b@b.co,B,GB,2020-01-01,true"))

    assert (redelivered["status"], redelivered["reason"]) == ("SKIPPED", "already loaded")
    assert fresh["status"] == "SUCCEEDED"
    ids = client.query("SELECT object_key, load_id, unloaded_at, replaced_by FROM ingest_ledger ORDER BY load_id")
    assert [(key, unloaded, replaced) for key, _, unloaded, replaced in ids] == [
        ("old/users.csv", None, None), ("new/users.csv", None, None)]
    assert ids[0][1] is not None and ids[1][1] == fresh["load_id"] > ids[0][1]  # the identity went on from them
