"""lambda_function.outcome.message: the SNS message body and subject of each outcome, as DESIGN fixes them."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from lambda_function.errors import RowError
from lambda_function.outcome.message import SNS_MAX_BYTES, Outcome, Status, message_body, publish, subject

DESIGN_FIELDS = {"status", "bucket", "key", "table", "mode", "rows_loaded", "rows_rejected", "errors",
                 "errors_truncated", "duration_ms", "request_id"}


def failed(*errors: RowError, key: str = "incoming/users.csv", error_count: int = 0) -> Outcome:
    return Outcome(Status.FAILED, "ingest-bucket", key, "users", "replace", rows_rejected=len(errors),
                   errors=list(errors), error_count=error_count or len(errors), request_id="req-1")


def body_of(outcome: Outcome, *, max_errors: int = 50, redact: bool = False) -> dict:
    return message_body(outcome, max_errors=max_errors, redact=redact)


def size(body: dict) -> int:
    return len(json.dumps(body).encode())


def test_succeeded_body_has_every_design_field():
    outcome = Outcome(Status.SUCCEEDED, "ingest-bucket", "incoming/a b/users.csv", "users", "replace",
                      rows_loaded=1000, duration_ms=1234, request_id="c6af9ac6-7b61-11e6-9a41-93e812345678")

    body = body_of(outcome)

    assert set(body) >= DESIGN_FIELDS
    assert {k: body[k] for k in DESIGN_FIELDS} == {
        "status": "SUCCEEDED", "bucket": "ingest-bucket", "key": "incoming/a b/users.csv", "table": "users",
        "mode": "replace", "rows_loaded": 1000, "rows_rejected": 0, "errors": [], "errors_truncated": False,
        "duration_ms": 1234, "request_id": "c6af9ac6-7b61-11e6-9a41-93e812345678",
    }
    assert json.loads(json.dumps(body)) == body


def test_rejected_body_has_a_null_table():
    body = body_of(Outcome(Status.REJECTED, "ingest-bucket", "orders.csv"))

    assert (body["status"], body["table"], body["mode"], body["errors"]) == ("REJECTED", None, None, [])


def test_errors_are_row_column_value_rule_objects():
    body = body_of(failed(RowError(12, "email", "nope", "plausible email address (local@domain.tld)"),
                          RowError(None, None, None, "file is empty")))

    assert body["errors"] == [
        {"row": 12, "column": "email", "value": "nope", "rule": "plausible email address (local@domain.tld)"},
        {"row": None, "column": None, "value": None, "rule": "file is empty"},
    ]
    assert body["errors_truncated"] is False


@pytest.mark.parametrize(("value", "shown"), [
    ("x" * 80, "x" * 80),
    ("x" * 81, "x" * 79 + "…"),
    ("漢" * 500, "漢" * 79 + "…"),
    ("", ""),
])
def test_values_are_cut_to_80_characters(value, shown):
    body = body_of(failed(RowError(1, "full_name", value, "1–200 characters after trimming")))

    assert body["errors"][0]["value"] == shown
    assert len(body["errors"][0]["value"]) <= 80


def test_redact_values_replaces_each_value_by_its_length():
    body = body_of(failed(RowError(3, "email", "ada.lovelace@example.com", "unique in the file ignoring case"),
                          RowError(None, "email", None, "required column missing from the header")), redact=True)

    first, second = body["errors"]
    assert "ada" not in json.dumps(body)
    assert "24" in first["value"]
    assert second["value"] is None
    assert (first["row"], first["column"], first["rule"]) == (3, "email", "unique in the file ignoring case")


def test_errors_beyond_the_cap_are_dropped_and_flagged():
    errors = [RowError(i, "is_active", "yes", "true or false (any case)") for i in range(1, 121)]

    body = body_of(failed(*errors), max_errors=50)

    assert [e["row"] for e in body["errors"]] == list(range(1, 51))
    assert body["errors_truncated"] is True
    assert body["error_count"] == 120


def test_errors_counted_beyond_the_kept_list_are_flagged_too():
    body = body_of(failed(RowError(1, "is_active", "yes", "true or false (any case)"), error_count=25_000))

    assert len(body["errors"]) == 1
    assert body["errors_truncated"] is True


def test_exactly_the_cap_is_not_truncated():
    errors = [RowError(i, "unit", "", "required") for i in range(1, 51)]

    assert body_of(failed(*errors), max_errors=50)["errors_truncated"] is False


def test_body_stays_under_the_sns_limit_with_long_keys_and_huge_values():
    key = "incoming/" + "k" * 1000 + "/users.csv"
    huge, rule = "v" * 1_000_000, "1–200 characters after trimming " + "r" * 2000
    errors = [RowError(i, "full_name", huge, rule) for i in range(1, 10_001)]

    body = body_of(failed(*errors, key=key), max_errors=10_000)

    assert size(body) < SNS_MAX_BYTES
    assert body["key"] == key
    assert body["errors"]
    assert body["errors_truncated"] is True


def test_failed_body_keeps_an_entry_even_when_a_header_name_is_huge():
    name = "c" * 300_000  # one unknown header name: header_errors() puts it in `column` and `value`

    body = body_of(failed(RowError(None, name, name, "a column of the table")))

    assert size(body) < SNS_MAX_BYTES
    assert len(body["errors"]) == 1
    assert len(body["errors"][0]["column"]) <= 80


@pytest.mark.parametrize(("outcome", "expected"), [
    (Outcome(Status.SUCCEEDED, "b", "incoming/users.csv", "users", "replace", rows_loaded=1000),
     "users.csv -> users: 1,000 rows loaded"),
    (Outcome(Status.SUCCEEDED, "b", "lab/test.csv.gz", "test", "append", rows_loaded=1234567),
     "test.csv.gz -> test: 1,234,567 rows loaded"),
    (Outcome(Status.FAILED, "b", "users.csv", "users", "replace", errors=[RowError(12, "email", "x", "r")],
             error_count=3), "users.csv -> users: FAILED, 3 errors (row 12, email)"),
    (Outcome(Status.FAILED, "b", "users.csv", "users", "replace",
             errors=[RowError(None, None, None, "file is empty")]), "users.csv -> users: FAILED, 1 error"),
    (Outcome(Status.FAILED, "b", "users.csv", "users", "replace",
             errors=[RowError(None, "email", None, "required column missing from the header")]),
     "users.csv -> users: FAILED, 1 error (email)"),
    (Outcome(Status.REJECTED, "b", "drop/orders.csv"), "orders.csv: REJECTED, not a whitelisted file"),
    (Outcome(Status.SKIPPED, "b", "users.csv", "users", "replace"), "users.csv -> users: SKIPPED, already loaded"),
    (Outcome(Status.SKIPPED, "b", "users.csv", "users", "replace", reason="stale event"),
     "users.csv -> users: SKIPPED, stale event"),
    (Outcome(Status.UNLOADED, "b", "d/readings-3.csv", "readings", "replace_file", extra={"rows_removed": 1440}),
     "readings-3.csv -> readings: UNLOADED, 1,440 rows removed"),
    (Outcome(Status.SUCCEEDED, "b", "d/readings-2.csv", "readings", "replace_file", rows_loaded=1440,
             extra={"rows_removed": 1438, "replaced_loads": [7]}),
     "readings-2.csv -> readings: 1,440 rows loaded, 1,438 of the earlier version replaced"),
])
def test_subject_is_short_and_human(outcome, expected):
    assert subject(body_of(outcome)) == expected


@pytest.mark.parametrize("key", [
    "données/utilisateurs-€.csv", "日本語/ユーザー.csv", "tab\tand\nnewline.csv", "x/" + "é" * 1000 + ".csv",
    "k" * 1000, "incoming/" + "u" * 300 + "/users.csv",
])
@pytest.mark.parametrize("status", list(Status))
def test_subject_is_printable_ascii_of_at_most_100_characters(key, status):
    outcome = Outcome(status, "b", key, None if status is Status.REJECTED else "users", "replace",
                      rows_loaded=12345, errors=[RowError(7, "email", "é", "r")] if status is Status.FAILED else [],
                      reason="object version was overwritten; the newer upload loads itself " * 3,
                      extra={"rows_removed": 12345, "replaced_loads": [1]})

    text = subject(body_of(outcome))

    assert 0 < len(text) <= 100
    assert text.isascii() and text.isprintable()


def test_subject_replaces_non_ascii_key_characters():
    text = subject(body_of(Outcome(Status.REJECTED, "b", "in/données.csv")))

    assert text == "donn?es.csv: REJECTED, not a whitelisted file"


@pytest.fixture
def sns_to_sqs(monkeypatch):
    """moto in-process: a topic with a subscribed queue, the path an outcome subscriber reads."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        sns, sqs = boto3.client("sns", "eu-west-1"), boto3.client("sqs", "eu-west-1")
        topic = sns.create_topic(Name="outcomes")["TopicArn"]
        queue = sqs.create_queue(QueueName="outcomes")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

        def publish_and_receive(body: dict) -> tuple[str, dict]:
            message_id = publish(sns, topic, body)
            [message] = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
            return message_id, json.loads(message["Body"])

        yield publish_and_receive


def test_publish_sends_body_subject_and_filterable_attributes(sns_to_sqs):
    outcome = Outcome(Status.FAILED, "ingest-bucket", "users.csv", "users", "replace",
                      errors=[RowError(2, "email", "a@b", "plausible email address (local@domain.tld)")])
    body = body_of(outcome)

    message_id, envelope = sns_to_sqs(body)

    assert envelope["MessageId"] == message_id
    assert envelope["Subject"] == "users.csv -> users: FAILED, 1 error (row 2, email)"
    assert json.loads(envelope["Message"]) == body
    assert {k: v["Value"] for k, v in envelope["MessageAttributes"].items()} == {"status": "FAILED",
                                                                                 "table": "users"}


def test_rejected_publish_has_no_table_attribute(sns_to_sqs):
    body = body_of(Outcome(Status.REJECTED, "ingest-bucket", "orders.csv"))

    _, envelope = sns_to_sqs(body)

    assert {k: v["Value"] for k, v in envelope["MessageAttributes"].items()} == {"status": "REJECTED"}
