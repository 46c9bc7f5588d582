"""Valid files load value-exact through the real handler, moto over HTTP and a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import gzip
import struct
import uuid

from tests.support.client import IngestClient

USERS_HEADER = "user_id,email,full_name,country_code,signup_date,is_active"


def test_users_with_unicode_quotes_newline_bom_crlf_and_shuffled_columns_load_value_exact(client: IngestClient):
    text = (
        "is_active,full_name,user_id,country_code,email,signup_date\r\n"
        'TRUE,"Zoë O\'Brien, Jr.",1,IE,zoe@example.ie,2020-01-02\r\n'
        'false,"山田 太郎 ""Taro""",2,JP,taro@example.jp,2024-02-29\r\n'
        'True,"line one\r\nline two",3,GB,two.lines@example.co.uk,1999-12-31\r\n'
        'FALSE,  Padded Name  ,4,US,pad@example.com,2001-01-01\r\n'
    )
    outcome = client.ingest("users.csv", b"\xef\xbb\xbf" + text.encode())

    assert outcome["status"] == "SUCCEEDED", outcome
    assert outcome["rows_loaded"] == 4
    rows = client.query("SELECT user_id, email, full_name, country_code, signup_date, is_active FROM users "
                        "ORDER BY user_id")
    assert rows == [
        (1, "zoe@example.ie", "Zoë O'Brien, Jr.", "IE", dt.date(2020, 1, 2), True),
        (2, "taro@example.jp", '山田 太郎 "Taro"', "JP", dt.date(2024, 2, 29), False),
        (3, "two.lines@example.co.uk", "line one\r\nline two", "GB", dt.date(1999, 12, 31), True),
        (4, "pad@example.com", "  Padded Name  ", "US", dt.date(2001, 1, 1), False),
    ]


def test_test_csv_doubles_load_bit_exact_and_timestamps_keep_their_instant(client: IngestClient):
    values = ["0.1", "-0.0", "5e-324", "1.7976931348623157e308", "2.2250738585072014e-308",
              "0.30000000000000004", "-123456789.12345678", "1E+5", "3.141592653589793238462643383279", "7"]
    lines = ["test_id,user_id,assay,value,unit,measured_at,passed"]
    for i, v in enumerate(values):
        passed = ["true", "FALSE", ""][i % 3]
        lines.append(f"{uuid.UUID(int=i + 1)},{i + 1},glucose,{v},mg/dL,2024-05-01T12:30:00.{i:06d}+02:00,{passed}")
    outcome = client.ingest("test.csv", ("\n".join(lines) + "\n").encode())

    assert outcome["status"] == "SUCCEEDED", outcome
    rows = client.query("SELECT user_id, value, measured_at, passed FROM test ORDER BY user_id")
    assert [struct.pack("<d", r[1]) for r in rows] == [struct.pack("<d", float(v)) for v in values]
    expected_instant = dt.datetime(2024, 5, 1, 10, 30, tzinfo=dt.UTC)
    assert [r[2] for r in rows] == [expected_instant + dt.timedelta(microseconds=i) for i in range(len(values))]
    assert [r[3] for r in rows] == [[True, False, None][i % 3] for i in range(len(values))]


def test_append_twice_keeps_both_files(client: IngestClient, make_csv):
    first = make_csv("test", rows=50, seed=1).data
    second = make_csv("test", rows=70, seed=2).data

    assert client.ingest("a/test.csv", first)["rows_loaded"] == 50
    assert client.ingest("b/test.csv", second)["rows_loaded"] == 70
    assert client.count("test") == 120


def test_replace_keeps_grant_index_view_and_comment_and_only_the_second_file_remains(
        client: IngestClient, make_csv):
    client.ingest("users.csv", make_csv("users", rows=30, seed=1).data)
    client.execute(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'report_reader') "
        "THEN CREATE ROLE report_reader; END IF; END $$",
        "GRANT SELECT ON users TO report_reader",
        "CREATE INDEX users_country_idx ON users (country_code)",
        "CREATE VIEW active_users AS SELECT user_id FROM users WHERE is_active",
        "COMMENT ON TABLE users IS 'loaded by csv-ingest'",
    )
    oid_before = client.query("SELECT 'users'::regclass::oid")[0][0]

    second = make_csv("users", rows=12, seed=2).data
    outcome = client.ingest("users.csv", second)

    assert outcome["status"] == "SUCCEEDED" and outcome["rows_loaded"] == 12
    assert client.count("users") == 12
    assert client.query("SELECT 'users'::regclass::oid")[0][0] == oid_before
    assert client.query("SELECT has_table_privilege('report_reader', 'users', 'SELECT')")[0][0] is True
    assert client.query("SELECT count(*) FROM pg_indexes WHERE indexname = 'users_country_idx'")[0][0] == 1
    assert client.query("SELECT count(*) FROM active_users")[0][0] == client.query(
        "SELECT count(*) FROM users WHERE is_active")[0][0]
    assert client.query("SELECT obj_description('users'::regclass)")[0][0] == "loaded by csv-ingest"


def test_gzip_object_is_decompressed_as_a_stream(client: IngestClient, make_csv):
    data = make_csv("users", rows=200, seed=5).data
    outcome = client.ingest("drop/users.csv.gz", gzip.compress(data))
    assert outcome["status"] == "SUCCEEDED" and outcome["rows_loaded"] == 200
    assert outcome["table"] == "users"


def test_gzip_bytes_under_a_csv_name_fail_as_not_utf8(client: IngestClient, make_csv):
    outcome = client.ingest("users.csv", gzip.compress(make_csv("users", rows=5, seed=1).data))
    assert outcome["status"] == "FAILED"
    (error,) = outcome["errors"]
    assert error["row"] is None and "gzip-compressed; name the object with a .gz suffix" in error["rule"]


def test_message_has_design_fields_subject_and_filterable_attributes(client: IngestClient, make_csv):
    client.ingest("users.csv", make_csv("users", rows=1000, seed=3).data)
    (message,) = client.messages()
    assert message.subject == "users.csv -> users: 1,000 rows loaded"
    assert message.attributes == {"status": "SUCCEEDED", "table": "users"}
    for name in ("status", "bucket", "key", "table", "mode", "rows_loaded", "rows_rejected", "errors",
                 "errors_truncated", "duration_ms", "request_id"):
        assert name in message.body
    assert message.body["mode"] == "replace" and message.body["bucket"] == client.bucket


def test_upsert_merges_on_the_primary_key(client: IngestClient, monkeypatch, tmp_path):
    from lambda_function.contract import default_folder

    users = (default_folder() / "users.yaml").read_text().replace("mode: replace", "mode: upsert")
    (tmp_path / "users.yaml").write_text(users)
    monkeypatch.setenv("TABLE_CONTRACTS", str(tmp_path))
    rows1 = f"{USERS_HEADER}\n1,a@example.com,Ann,GB,2020-01-01,true\n2,b@example.com,Bob,US,2020-01-01,true\n"
    rows2 = f"{USERS_HEADER}\n2,b@example.com,Robert,US,2020-01-01,false\n3,c@example.com,Cy,FR,2020-01-01,true\n"
    client.ingest("one/users.csv", rows1.encode())
    outcome = client.ingest("two/users.csv", rows2.encode())
    assert outcome["status"] == "SUCCEEDED" and outcome["mode"] == "upsert"
    assert client.query("SELECT user_id, full_name, is_active FROM users ORDER BY 1") == [
        (1, "Ann", True), (2, "Robert", False), (3, "Cy", True)]
