"""on_error: reject_rows end to end: the good rows load, the bad ones are kept byte for byte, within limits.

Real moto over HTTP and a real PostgreSQL. The contract is test.yaml's columns under another name
(lab.csv), with row-level rejects; the file is a seeded 10,000-row test.csv with ten broken records.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import multiprocessing
import os
import struct
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import fixtures
from lambda_function.contract import default_folder
from lambda_function.errors import TransientError
from tests.support.client import IngestClient
from tests.support.reliability_worker import invoke_at

LIMIT = 10


def lab_contract(folder: Path, extra: str = f"max_rejected_rows: {LIMIT}\n", **replace: str) -> None:
    text = (default_folder() / "test.yaml").read_text().replace("file: test.csv", "file: lab.csv")
    text = text.replace("table: test", "table: lab") + "on_error: reject_rows\n" + extra
    for old, new in replace.items():
        text = text.replace(old, new)
    (folder / "lab.yaml").write_text(text)


def keep_rejects_apart(client: IngestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rejected records go to their own bucket (QUARANTINE_BUCKET): its writes trigger nothing."""
    bucket = client.bucket + "-quarantine"
    client.s3.create_bucket(Bucket=bucket)
    monkeypatch.setenv("QUARANTINE_PREFIX", "quarantine/")
    monkeypatch.setenv("QUARANTINE_BUCKET", bucket)


@pytest.fixture
def lab(client: IngestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> IngestClient:
    lab_contract(tmp_path)
    monkeypatch.setenv("TABLE_CONTRACTS", str(tmp_path))
    keep_rejects_apart(client, monkeypatch)
    return client


def records(data: bytes) -> tuple[bytes, list[bytes]]:
    """(header line, each record's bytes as written) of a file whose quoted fields hold no line break."""
    lines = data.splitlines(keepends=True)
    return lines[0], lines[1:]


def good_file(rows: int = 10_000, seed: int = 7) -> tuple[bytes, list[bytes]]:
    return records(fixtures.generate("test", rows, seed).data)


def field(record: bytes, index: int) -> str:
    return next(csv.reader(io.StringIO(record.decode())))[index]


def broken(header: bytes, lines: list[bytes], loaded_id: str) -> tuple[bytes, dict[int, bytes]]:
    """Ten kinds of bad record at known rows (1-based); returns the file and {row: original bad record}."""
    first_id = field(lines[99], 0)  # row 100 loads; row 1500 repeats its key
    bad = {
        10: b"not-a-uuid,1,glucose,5.4,mmol/L,2024-05-01T12:30:00Z,true\n",
        200: lines[199].replace(b",true\n", b",yes\n").replace(b",false\n", b",yes\n").replace(b",\n", b",yes\n"),
        1500: f"{first_id},1,glucose,5.4,mmol/L,2024-05-01T12:30:00Z,\n".encode(),  # repeats row 100's key
        2500: f"{loaded_id},1,glucose,5.4,mmol/L,2024-05-01T12:30:00Z,\n".encode(),  # already in the table
        3000: b"00000000-0000-0000-0000-000000003000,1,\"two\nlines\",nan,mmol/L,2024-05-01T12:30:00Z,\n",
        4000: b"00000000-0000-0000-0000-000000004000,1,glucose,5.4,mmol/L\n",  # ragged
        5000: b"00000000-0000-0000-0000-000000005000,1,gl\xe9cose,5.4,mmol/L,2024-05-01T12:30:00Z,\n",  # Latin-1
        6000: b"00000000-0000-0000-0000-000000006000,0,glucose,5.4,mmol/L,2024-05-01T12:30:00Z,\n",
        7000: b"00000000-0000-0000-0000-000000007000,1,,5.4,mmol/L,2024-05-01T12:30:00Z,\n",
        9999: b"00000000-0000-0000-0000-000000009999,1,glucose,5.4,mmol/L,2024-05-01T12:30:00,\n",
    }
    out = list(lines)
    for row, record in bad.items():
        out[row - 1] = record
    return header + b"".join(out), bad


def quarantined(client: IngestClient, uri: str) -> bytes:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return bytes(client.s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_ten_bad_records_of_ten_thousand_load_partially_and_the_rest_goes_back_byte_for_byte(lab):
    header, lines = good_file(10_001)
    preloaded, rows = lines[0], lines[1:]
    assert lab.ingest("day1/lab.csv", header + preloaded)["status"] == "SUCCEEDED"
    data, bad = broken(header, rows, loaded_id=field(preloaded, 0))

    outcome = lab.ingest("day2/lab.csv", data)

    assert outcome["status"] == "PARTIAL", outcome["errors"]
    assert (outcome["rows_loaded"], outcome["rows_rejected"]) == (9_990, 10)
    assert sorted(e["row"] for e in outcome["errors"]) == sorted(bad)
    clash = next(e for e in outcome["errors"] if e["row"] == 2500)
    assert clash["rule"] == "unique against rows already loaded in lab"
    rejected = quarantined(lab, outcome["rejected_rows_uri"])
    assert rejected == header + b"".join(bad[row] for row in sorted(bad))
    report = json.loads(quarantined(lab, outcome["error_report_uri"]))
    assert [(r["row"], r["rejected_row"]) for r in report["rejected_records"]] == list(
        zip(sorted(bad), range(1, 11), strict=True))
    [message] = [m for m in lab.messages() if m.body["key"] == "day2/lab.csv"]
    assert message.subject == "lab.csv -> lab: 9,990 rows loaded, 10 rejected"
    assert message.attributes == {"status": "PARTIAL", "table": "lab"}

    kept = [line for row, line in enumerate(rows, 1) if row not in bad]
    assert _table(lab) == sorted([*_expected([preloaded]), *_expected(kept)])

    fixed = rejected.replace(b"not-a-uuid", b"00000000-0000-0000-0000-000000000010").replace(b",yes\n", b",\n")
    fixed = fixed.replace(field(rows[99], 0).encode(), b"00000000-0000-0000-0000-000000001500", 1)
    fixed = fixed.replace(field(preloaded, 0).encode(), b"00000000-0000-0000-0000-000000002500")
    fixed = fixed.replace(b'"two\nlines",nan', b'"two\nlines",1.5').replace(b"mmol/L\n", b"mmol/L,2024-01-01Z,\n")
    fixed = fixed.replace(b"2024-01-01Z", b"2024-01-01T00:00:00Z").replace(b"gl\xe9cose", b"glucose")
    fixed = fixed.replace(b",0,glucose", b",1,glucose").replace(b",1,,5.4", b",1,x,5.4")
    fixed = fixed.replace(b"2024-05-01T12:30:00,", b"2024-05-01T12:30:00Z,")

    again = lab.ingest("day2/fixed/lab.csv", fixed)

    assert (again["status"], again["rows_loaded"]) == ("SUCCEEDED", 10), again["errors"]
    assert lab.count("lab") == 10_001
    assert lab.query("SELECT count(DISTINCT test_id) FROM lab") == [(10_001,)]


def _expected(lines: list[bytes]) -> list[tuple[str, int, str, bytes, str]]:
    rows = csv.reader(io.StringIO(b"".join(lines).decode()))
    return [(r[0].lower(), int(r[1]), r[2], struct.pack(">d", float(r[3])), r[4]) for r in rows]


def _table(client: IngestClient) -> list[tuple[str, int, str, bytes, str]]:
    rows = client.query("SELECT test_id::text, user_id, assay, float8send(value), unit FROM lab")
    return sorted((r[0], r[1], r[2], bytes(r[3]), r[4]) for r in rows)


@pytest.mark.parametrize(("bad_rows", "status"), [(LIMIT, "PARTIAL"), (LIMIT + 1, "FAILED")])
def test_exactly_at_the_limit_loads_and_one_over_fails_leaving_the_table_as_it_was(lab, bad_rows, status):
    header, lines = good_file(2_000)
    lab.ingest("before/lab.csv", header + b"".join(lines[1_000:]))
    before = lab.checksum("lab")
    data = header + b"".join(line.replace(b"-", b"_", 1) if i < bad_rows else line
                             for i, line in enumerate(lines[:1_000]))

    outcome = lab.ingest("lab.csv", data)

    assert outcome["status"] == status
    if status == "FAILED":
        assert outcome["errors"][0]["rule"].startswith(f"at most {LIMIT} rejected rows (max_rejected_rows)")
        assert lab.checksum("lab") == before
    else:
        assert outcome["rows_loaded"] == 1_000 - LIMIT


def test_a_ratio_limit_is_judged_on_the_whole_file(client, tmp_path, monkeypatch):
    lab_contract(tmp_path, extra="max_rejected_ratio: 0.01\n")
    monkeypatch.setenv("TABLE_CONTRACTS", str(tmp_path))
    keep_rejects_apart(client, monkeypatch)
    header, lines = good_file(1_000)
    _, others = good_file(999, seed=8)

    ok = client.ingest("a/lab.csv", header + b"".join(b"x" + line if i < 10 else line for i, line in enumerate(lines)))
    over = client.ingest("b/lab.csv", header + b"".join(b"x" + line if i < 11 else line
                                                         for i, line in enumerate(others)))

    assert (ok["status"], ok["rows_rejected"]) == ("PARTIAL", 10)
    assert over["status"] == "FAILED" and "max_rejected_ratio" in over["errors"][0]["rule"]


@pytest.mark.parametrize(("name", "mangle", "rule_part"), [
    ("header", lambda d: d.replace(b"unit", b"units", 1), "required column missing from the header"),
    ("stray quote", lambda d: d + b'00000000-0000-0000-0000-00000000000d,1,glu"cose,1,u,2024-05-01T12:30:00Z,\n',
     "quote"),
    ("unclosed quote", lambda d: d + b'00000000-0000-0000-0000-00000000000a,1,"open,1,u,2024-05-01T12:30:00Z,\n',
     "quoted field is never closed"),
    ("mixed line endings", lambda d: d.replace(b"\n", b"\r\n", 3), "line endings all"),
    ("utf-16", lambda d: b"\xff\xfe" + d, "UTF-16"),
])
def test_whole_file_problems_still_fail_everything(lab, name, mangle, rule_part):
    header, lines = good_file(500)

    outcome = lab.ingest("lab.csv", mangle(header + b"".join(lines)))

    assert outcome["status"] == "FAILED", name
    assert any(rule_part in e["rule"] for e in outcome["errors"]), outcome["errors"]
    assert lab.checksum("lab") == "absent"


def test_crlf_gzip_and_quoted_newlines_keep_their_bytes(lab):
    header, lines = good_file(300)
    bad = b'00000000-0000-0000-0000-00000000000b,1,"multi\r\nline",oops,u,2024-05-01T12:30:00Z,\r\n'
    body = [line.replace(b"\n", b"\r\n") for line in lines]
    body[5] = b'00000000-0000-0000-0000-00000000000c,1,"fine\r\nline",1,u,2024-05-01T12:30:00Z,\r\n'
    body[100] = bad
    data = header.replace(b"\n", b"\r\n") + b"".join(body)

    outcome = lab.ingest("lab.csv.gz", gzip.compress(data))

    assert (outcome["status"], outcome["rows_loaded"], outcome["rows_rejected"]) == ("PARTIAL", 299, 1)
    assert quarantined(lab, outcome["rejected_rows_uri"]) == header.replace(b"\n", b"\r\n") + bad
    assert lab.query("SELECT assay FROM lab WHERE test_id = '00000000-0000-0000-0000-00000000000c'") == [
        ("fine\r\nline",)]


def _partial_event(lab: IngestClient, key: str = "lab.csv") -> dict:
    header, lines = good_file(100)
    put = lab.upload(key, header + b"".join(lines[:99]) + b"bad\n")
    lab.real_events()
    return lab.s3_event(key, put["ETag"])


def test_a_redelivered_partial_is_skipped(lab):
    event = _partial_event(lab)

    first = lab.invoke(event)["outcomes"][0]
    second = lab.invoke(event)["outcomes"][0]

    assert (first["status"], second["status"]) == ("PARTIAL", "SKIPPED")
    assert lab.count("lab") == 99
    assert [m.body["status"] for m in lab.messages()] == ["PARTIAL", "SKIPPED"]


def test_sns_down_after_commit_publishes_the_original_partial_on_retry(lab, monkeypatch):
    event = _partial_event(lab)
    monkeypatch.setenv("SNS_TOPIC_ARN", lab.topic_arn + "-missing")
    with pytest.raises(TransientError):
        lab.invoke(event)
    monkeypatch.setenv("SNS_TOPIC_ARN", lab.topic_arn)

    retry = lab.invoke(event)["outcomes"][0]

    assert (retry["status"], retry["rows_loaded"], retry["rows_rejected"]) == ("PARTIAL", 99, 1)
    assert [(m.body["status"], m.body["rejected_rows_uri"]) for m in lab.messages()] == [
        ("PARTIAL", retry["rejected_rows_uri"])]
    assert lab.count("lab") == 99


def test_concurrent_deliveries_of_one_partial_object_load_once(lab):
    event = _partial_event(lab)
    env = {n: os.environ[n] for n in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
                                      "AWS_SECRET_ACCESS_KEY", "DATABASE_URL", "SNS_TOPIC_ARN", "DB_SCHEMA",
                                      "TABLE_CONTRACTS", "QUARANTINE_PREFIX", "QUARANTINE_BUCKET") if n in os.environ}
    start_at = time.time() + 4.0
    with ProcessPoolExecutor(3, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = [f.result(timeout=120) for f in [pool.submit(invoke_at, env, event, start_at) for _ in range(3)]]

    assert sorted(r["outcomes"][0]["status"] for r in results) == ["PARTIAL", "SKIPPED", "SKIPPED"]
    assert lab.count("lab") == 99


def test_on_error_fail_lists_a_bad_value_and_a_key_already_loaded_together(client, tmp_path, monkeypatch):
    monkeypatch.setenv("TABLE_CONTRACTS", str(default_folder()))
    header, lines = good_file(50)
    client.ingest("first/test.csv", header + lines[1])
    data = header + lines[0].replace(b"-", b"_", 1) + lines[1] + b"".join(lines[2:])

    outcome = client.ingest("second/test.csv", data)

    assert outcome["status"] == "FAILED"
    assert [(e["row"], e["column"]) for e in outcome["errors"]] == [(1, "test_id"), (2, "test_id")]
    assert outcome["errors"][1]["rule"] == "unique against rows already loaded in test"
    assert client.count("test") == 1


def test_a_rejected_value_holding_nul_is_partial_and_its_message_keeps_the_value(lab: IngestClient) -> None:
    # jsonb refuses U+0000: the ledger's copy of the outcome shows U+FFFD there, the message the real value.
    header, lines = good_file(rows=20, seed=8)
    values = lines[4].decode().split(",")
    values[2] = values[2][:1] + "\x00" + values[2][1:]  # assay: text never holds NUL
    lines[4] = ",".join(values).encode()
    outcome = lab.ingest("lab.csv", header + b"".join(lines))
    assert (outcome["status"], outcome["rows_loaded"], outcome["rows_rejected"]) == ("PARTIAL", 19, 1)
    (error,) = outcome["errors"]
    assert (error["row"], error["column"]) == (5, "assay") and "\x00" in error["value"]
    stored = lab.query("SELECT outcome->'errors'->0->>'value' FROM ingest_ledger WHERE object_key = 'lab.csv'")
    assert stored == [(error["value"].replace("\x00", "\ufffd"),)]
