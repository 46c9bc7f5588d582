"""Producer tools: `harness validate` agrees with the handler; FAILED files are quarantined with a full report."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fixtures import DEFECTS
from harness.cli import app
from tests.support.client import IngestClient

runner = CliRunner()


def _validate(path, name: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["validate", str(path), "--as", name, "--json"])
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_validate_reports_what_the_handler_reports_for_every_defect(client: IngestClient, csv_file, defect):
    table = sorted(DEFECTS[defect].tables)[0]
    path = csv_file(table, rows=60, seed=31, defect=defect).path
    code, report = _validate(path, f"{table}.csv")
    outcome = client.ingest(f"{table}.csv", path.read_bytes())

    assert code == 1 and report["status"] == "FAILED" and outcome["status"] == "FAILED"
    shown = len(outcome["errors"])
    assert [(e["row"], e["column"], e["rule"]) for e in report["errors"][:shown]] == [
        (e["row"], e["column"], e["rule"]) for e in outcome["errors"]]
    assert report["error_count"] == outcome["error_count"]


@pytest.mark.parametrize("table", ["users", "test"])
def test_validate_passes_clean_files_that_the_handler_loads(client: IngestClient, csv_file, table):
    path = csv_file(table, rows=500, seed=32).path
    code, report = _validate(path, f"incoming/{table}.csv")
    assert code == 0 and report["status"] == "SUCCEEDED" and report["rows"] == 500 and report["errors"] == []
    assert client.ingest(f"{table}.csv", path.read_bytes())["rows_loaded"] == 500


def test_validate_exit_code_3_for_a_name_the_handler_rejects(csv_file):
    code, report = _validate(csv_file("users", rows=5, seed=1).path, "Users.csv")
    assert code == 3 and report["status"] == "REJECTED" and report["table"] is None


def test_validate_takes_compression_from_the_name_like_the_handler(tmp_path, make_csv):
    import gzip

    path = tmp_path / "upload.bin"
    path.write_bytes(gzip.compress(make_csv("users", rows=20, seed=2).data))
    assert _validate(path, "users.csv.gz")[0] == 0
    assert _validate(path, "users.csv")[0] == 1


def test_failed_file_is_quarantined_with_a_full_error_report(client: IngestClient, monkeypatch):
    monkeypatch.setenv("QUARANTINE_PREFIX", "quarantine/")
    body = "".join(f"{i},not-an-email-{i},N,GB,2020-01-01,true\n" for i in range(1, 121))
    data = f"user_id,email,full_name,country_code,signup_date,is_active\n{body}".encode()
    outcome = client.ingest("drop/users.csv", data)

    assert outcome["status"] == "FAILED" and outcome["errors_truncated"] is True
    uri = outcome["error_report_uri"]
    assert uri.startswith(f"s3://{client.bucket}/quarantine/") and uri.endswith("/drop/users.csv.errors.json")
    report_key = uri.split("/", 3)[3]
    report = json.loads(client.s3.get_object(Bucket=client.bucket, Key=report_key)["Body"].read())
    assert report["error_count"] == 120 and len(report["errors"]) == 120
    assert report["errors"][119] == {"row": 120, "column": "email", "value": "not-an-email-120",
                                     "rule": "plausible email address (local@domain.tld)"}
    assert report["outcome"]["status"] == "FAILED"
    copy_key = report_key.removesuffix(".errors.json") + ".quarantined"  # no notification filter matches it
    assert client.s3.get_object(Bucket=client.bucket, Key=copy_key)["Body"].read() == data
    (message,) = client.messages()
    assert message.body["error_report_uri"] == uri

    put = client.upload("drop/users.csv", data.replace(b"not-an-email-7,", b"still-not-an-email,"))
    (again,) = client.invoke(client.s3_event("drop/users.csv", put["ETag"]))["outcomes"]
    assert again["error_report_uri"] != uri, "a second failed upload of the key must not overwrite the first"
    assert client.s3.get_object(Bucket=client.bucket, Key=report_key)["Body"].read()


def test_quarantined_copy_delivered_as_an_event_is_ignored(client: IngestClient, monkeypatch):
    monkeypatch.setenv("QUARANTINE_PREFIX", "quarantine/")
    client.ingest("users.csv", b"user_id,email,full_name,country_code,signup_date,is_active\n0,x,,GB,2020-01-01,1\n")
    client.messages()
    copies = client.real_events()  # moto announced the quarantine copy like any upload
    keys = [json.loads(m["Body"])["Records"][0]["s3"]["object"]["key"] for m in copies]
    assert keys and all(k.startswith("quarantine") for k in keys)
    result = client.invoke(json.loads(copies[0]["Body"]))
    assert result["outcomes"] == []
    assert client.messages(wait=0) == []
    assert client.checksum("users") == "absent"


def test_succeeded_and_rejected_files_are_not_quarantined(client: IngestClient, monkeypatch, make_csv):
    monkeypatch.setenv("QUARANTINE_PREFIX", "quarantine/")
    assert "error_report_uri" not in client.ingest("users.csv", make_csv("users", rows=5, seed=1).data)
    assert "error_report_uri" not in client.ingest("orders.csv", b"a,b\n1,2\n")
    listed = client.s3.list_objects_v2(Bucket=client.bucket, Prefix="quarantine/")
    assert listed.get("KeyCount", 0) == 0
