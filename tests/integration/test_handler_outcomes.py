"""FAILED, REJECTED and SKIPPED outcomes: one message each, and the database exactly as before.

Every defect kind and every rejected name runs once, as a scenario (tests/e2e/test_scenarios.py: FAILED,
the error at the injected row and column, the table unchanged, one message); here: what those do not.
"""

from __future__ import annotations

import json

import pytest

from tests.support.client import IngestClient

USERS_HEADER = "user_id,email,full_name,country_code,signup_date,is_active"


@pytest.mark.parametrize("data,rule_part", [
    (b"", "empty"),
    (f"{USERS_HEADER}\n".encode(), "at least one data row"),
])
def test_empty_and_header_only_files_fail_with_a_file_level_error(client: IngestClient, data: bytes, rule_part: str):
    outcome = client.ingest("users.csv", data)
    assert outcome["status"] == "FAILED"
    (error,) = outcome["errors"]
    assert error["row"] is None and rule_part in error["rule"]
    assert client.checksum("users") == "absent"


def test_same_object_delivered_three_times_in_three_encodings_loads_once(client: IngestClient, make_csv):
    key = "in coming/batch+1/test.csv"
    put = client.upload(key, make_csv("test", rows=25, seed=4).data)
    client.real_events()
    statuses = [client.invoke(client.s3_event(key, put["ETag"], encoding=enc))["outcomes"][0]["status"]
                for enc in ("moto", "aws", "localstack")]
    assert statuses == ["SUCCEEDED", "SKIPPED", "SKIPPED"]
    assert client.count("test") == 25
    assert [m.body["status"] for m in client.messages()] == ["SUCCEEDED", "SKIPPED", "SKIPPED"]


def test_failed_object_redelivered_is_skipped_so_one_upload_gives_one_failed_message(client: IngestClient):
    put = client.upload("users.csv", f"{USERS_HEADER}\n0,a@b.co,A,GB,2020-01-01,true\n".encode())
    client.real_events()
    event = client.s3_event("users.csv", put["ETag"])
    failed = client.invoke(event)["outcomes"][0]
    again = client.invoke(event)["outcomes"][0]
    assert (failed["status"], again["status"]) == ("FAILED", "SKIPPED")
    assert again["reason"] == "already FAILED under this contract" and again["contract"] == failed["contract"]
    assert [m.body["status"] for m in client.messages()] == ["FAILED", "SKIPPED"]


def test_stale_event_for_an_overwritten_object_is_skipped_and_the_newer_one_loads(client: IngestClient):
    old = client.upload("users.csv", f"{USERS_HEADER}\n1,a@b.co,Old,GB,2020-01-01,true\n".encode())
    new = client.upload("users.csv", f"{USERS_HEADER}\n1,a@b.co,New,GB,2020-01-01,true\n".encode())
    client.real_events(expect=2)
    stale = client.invoke(client.s3_event("users.csv", old["ETag"]))["outcomes"][0]
    assert stale["status"] == "SKIPPED" and "overwritten" in stale["reason"]
    assert client.invoke(client.s3_event("users.csv", new["ETag"]))["outcomes"][0]["status"] == "SUCCEEDED"
    assert client.query("SELECT full_name FROM users") == [("New",)]


def test_lower_sequencer_than_the_loaded_one_is_skipped_as_stale(client: IngestClient):
    put = client.upload("users.csv", f"{USERS_HEADER}\n1,a@b.co,A,GB,2020-01-01,true\n".encode())
    client.real_events()
    assert client.invoke(client.s3_event("users.csv", put["ETag"], sequencer="0055AED6DCD90281E6"))[
        "outcomes"][0]["status"] == "SUCCEEDED"
    again = client.upload("users.csv", f"{USERS_HEADER}\n1,a@b.co,B,GB,2020-01-01,true\n".encode())
    older = client.invoke(client.s3_event("users.csv", again["ETag"], sequencer="0055AED6DCD90281E5"))
    assert older["outcomes"][0]["status"] == "SKIPPED" and "stale" in older["outcomes"][0]["reason"]


def test_primary_key_clash_with_rows_already_loaded_fails_the_whole_file_and_names_the_row(
        client: IngestClient, make_csv):
    first = make_csv("test", rows=10, seed=21).data
    client.ingest("one/test.csv", first)
    lines = first.decode().splitlines()
    clash_id = lines[5].split(",")[0]  # data row 5 of the first file
    fresh = make_csv("test", rows=10, seed=22).data.decode().splitlines()
    fresh[8] = clash_id + fresh[8][36:]  # data row 8 of the second file reuses it
    outcome = client.ingest("two/test.csv", ("\n".join(fresh) + "\n").encode())
    assert outcome["status"] == "FAILED"
    (error,) = outcome["errors"]
    assert (error["row"], error["column"], error["value"]) == (8, "test_id", clash_id)
    assert "already loaded" in error["rule"]
    assert client.count("test") == 10


def test_schema_drift_fails_and_never_alters_the_table(client: IngestClient):
    client.execute("CREATE TABLE users (user_id bigint PRIMARY KEY, email text, full_name text, "
                   "country_code char(2), signup_date date, is_active text)")
    outcome = client.ingest("users.csv", f"{USERS_HEADER}\n1,a@b.co,A,GB,2020-01-01,true\n".encode())
    assert outcome["status"] == "FAILED"
    assert any(e["column"] == "is_active" and "schema drift" in e["rule"] for e in outcome["errors"])
    assert client.query("SELECT data_type FROM information_schema.columns WHERE table_schema = :s "
                        "AND table_name = 'users' AND column_name = 'is_active'", s=client.schema) == [("text",)]
    assert client.count("users") == 0


def test_errors_are_capped_in_the_message_and_counted(client: IngestClient):
    body = "".join(f"{i},bad-email-{i},N,GB,2020-01-01,true\n" for i in range(1, 301))
    outcome = client.ingest("users.csv", f"{USERS_HEADER}\n{body}".encode())
    assert outcome["status"] == "FAILED"
    assert len(outcome["errors"]) == 50 and outcome["errors_truncated"] is True
    assert outcome["error_count"] == 300 and outcome["rows_rejected"] == 300
    assert outcome["errors"][0] == {"row": 1, "column": "email", "value": "bad-email-1",
                                    "rule": "plausible email address (local@domain.tld)"}


def test_redact_values_replaces_values_with_their_length(client: IngestClient, monkeypatch):
    monkeypatch.setenv("REDACT_VALUES", "true")
    outcome = client.ingest("users.csv", f"{USERS_HEADER}\n1,secret-person,A,GB,2020-01-01,true\n".encode())
    assert outcome["errors"][0]["value"] == "<redacted: 13 characters>"
    assert "secret-person" not in json.dumps([m.body for m in client.messages()])
