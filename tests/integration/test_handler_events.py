"""Every accepted event shape, end to end; transient trouble raises (or fails only its SQS message)."""

from __future__ import annotations

import json
import socket

import pytest

from lambda_function.errors import TransientError
from tests.support.client import IngestClient

USERS = b"user_id,email,full_name,country_code,signup_date,is_active\n1,a@b.co,A,GB,2020-01-01,true\n"
TEST = (b"test_id,user_id,assay,value,unit,measured_at,passed\n"
        b"00000000-0000-0000-0000-000000000001,1,a,1.5,u,2024-01-01T00:00:00Z,\n")


def _sqs(*bodies: dict, ids: tuple[str, ...] = ()) -> dict:
    return {"Records": [{"eventSource": "aws:sqs", "messageId": ids[i] if ids else f"m{i}",
                         "body": json.dumps(b)} for i, b in enumerate(bodies)]}


def _sns(message: dict) -> dict:
    return {"Type": "Notification", "TopicArn": "arn:aws:sns:us-east-1:123456789012:uploads",
            "Subject": "Amazon S3 Notification", "Message": json.dumps(message)}


def _eventbridge(bucket: str, key: str, etag: str) -> dict:
    return {"version": "0", "detail-type": "Object Created", "source": "aws.s3", "region": "us-east-1",
            "detail": {"version": "0", "bucket": {"name": bucket},
                       "object": {"key": key, "size": 1, "etag": etag.strip('"')}, "reason": "PutObject"}}


def test_real_moto_event_from_the_queue_as_an_sqs_batch_returns_no_failures(client: IngestClient):
    client.upload("users.csv", USERS)
    (message,) = client.real_events()
    result = client.invoke({"Records": [{"eventSource": "aws:sqs", "messageId": message["MessageId"],
                                         "body": message["Body"]}]})
    assert result["batchItemFailures"] == []
    assert [o["status"] for o in result["outcomes"]] == ["SUCCEEDED"]


def test_sns_wrapped_and_sns_in_sqs_fan_out_are_handled(client: IngestClient):
    users = client.upload("x/users.csv", USERS)
    test = client.upload("y/test.csv", TEST)
    client.real_events(expect=2)
    sns_event = {"Records": [{"EventSource": "aws:sns", "Sns": {
        "Message": json.dumps(client.s3_event("x/users.csv", users["ETag"]))}}]}
    assert client.invoke(sns_event)["outcomes"][0]["status"] == "SUCCEEDED"
    fan_out = _sqs(_sns(client.s3_event("y/test.csv", test["ETag"])))
    result = client.invoke(fan_out)
    assert result["outcomes"][0]["status"] == "SUCCEEDED" and result["batchItemFailures"] == []


def test_eventbridge_object_created_key_is_url_decoded(client: IngestClient):
    put = client.upload("drop zone/users+v2/users.csv", USERS)
    client.real_events()
    result = client.invoke(_eventbridge(client.bucket, "drop+zone/users%2Bv2/users.csv", put["ETag"]))
    (outcome,) = result["outcomes"]
    assert outcome["status"] == "SUCCEEDED" and outcome["key"] == "drop zone/users+v2/users.csv"


def test_multi_record_event_handles_every_record(client: IngestClient):
    users = client.upload("users.csv", USERS)
    test = client.upload("test.csv", TEST)
    client.real_events(expect=2)
    event = client.s3_event("users.csv", users["ETag"])
    event["Records"] += client.s3_event("test.csv", test["ETag"])["Records"]
    event["Records"] += client.s3_event("orders.csv", '"abc"')["Records"]
    assert [o["status"] for o in client.invoke(event)["outcomes"]] == ["SUCCEEDED", "SUCCEEDED", "REJECTED"]
    assert len(client.messages()) == 3


def test_test_event_and_object_removed_are_ignored_without_message(client: IngestClient):
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-01-01T00:00:00.000Z",
                  "Bucket": client.bucket, "RequestId": "X", "HostId": "Y"}
    removed = client.s3_event("users.csv", '"abc"', event_name="ObjectRemoved:Delete")
    assert client.invoke(test_event) == {"outcomes": []}
    assert client.invoke(_sqs(test_event))["outcomes"] == []
    assert client.invoke(removed) == {"outcomes": []}
    assert client.messages(wait=0) == []


CREATED = "ObjectCreated:Put"
MALFORMED = {
    "s3 empty": {"Records": [{"eventName": CREATED, "s3": {}}]},
    "no object": {"Records": [{"eventName": CREATED, "s3": {"bucket": {"name": "b"}}}]},
    "key not a string": {"Records": [{"eventName": CREATED, "s3": {"bucket": {"name": "b"}, "object": {"key": 7}}}]},
    "bucket not a mapping": {"Records": [{"eventName": CREATED, "s3": {"bucket": "b", "object": {"key": "k"}}}]},
    "Sns null": {"Records": [{"EventSource": "aws:sns", "Sns": None}]},
    "Sns without message": {"Records": [{"EventSource": "aws:sns", "Sns": {}}]},
    "EventBridge detail null": {"source": "aws.s3", "detail-type": "Object Created", "detail": None},
    "EventBridge detail empty": {"source": "aws.s3", "detail-type": "Object Created", "detail": {}},
    "record not an object": {"Records": ["users.csv"]},
}


@pytest.mark.parametrize("shape", sorted(MALFORMED))
def test_a_malformed_record_is_ignored_alone_and_beside_a_valid_one(client: IngestClient, shape: str, caplog):
    put = client.upload("users.csv", USERS)
    client.real_events()
    valid = client.s3_event("users.csv", put["ETag"])
    assert client.invoke(MALFORMED[shape]) == {"outcomes": []}
    assert "ignored record" in caplog.text or "ignored record" in str(caplog.records)
    # In one event with a valid record, and in an SQS batch: the valid one loads, nothing fails.
    mixed = {"Records": [*MALFORMED[shape].get("Records", []), *valid["Records"]]}
    if "Records" in MALFORMED[shape]:
        assert [o["status"] for o in client.invoke(mixed)["outcomes"]] == ["SUCCEEDED"]
    batch = client.invoke(_sqs(MALFORMED[shape], client.s3_event("again/users.csv",
                                                                 client.upload("again/users.csv", USERS)["ETag"])))
    assert [o["status"] for o in batch["outcomes"]] == ["SUCCEEDED"]
    assert batch["batchItemFailures"] == []
    assert client.count("users") == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_down_raises_for_retry_and_fails_only_the_sqs_message(client: IngestClient, monkeypatch):
    put = client.upload("users.csv", USERS)
    client.real_events()
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://ingest:s3cr3t-pw@127.0.0.1:{_closed_port()}/ingest")
    with pytest.raises(TransientError) as raised:
        client.invoke(client.s3_event("users.csv", put["ETag"]))
    assert "s3cr3t-pw" not in str(raised.value)
    result = client.invoke(_sqs(client.s3_event("users.csv", put["ETag"]), ids=("msg-1",)))
    assert result["batchItemFailures"] == [{"itemIdentifier": "msg-1"}]
    assert client.messages(wait=0) == []


def test_sns_down_after_commit_raises_and_the_retry_publishes_the_original_outcome(client: IngestClient,
                                                                                     monkeypatch):
    put = client.upload("users.csv", USERS)
    client.real_events()
    event = client.s3_event("users.csv", put["ETag"])
    monkeypatch.setenv("SNS_TOPIC_ARN", client.topic_arn + "-missing")
    with pytest.raises(TransientError):
        client.invoke(event)
    assert client.count("users") == 1  # committed; only the message is owed

    monkeypatch.setenv("SNS_TOPIC_ARN", client.topic_arn)
    retry = client.invoke(event)["outcomes"][0]
    assert retry["status"] == "SUCCEEDED" and retry["rows_loaded"] == 1
    assert client.count("users") == 1
    assert [m.body["status"] for m in client.messages()] == ["SUCCEEDED"]
    assert client.invoke(event)["outcomes"][0]["status"] == "SKIPPED"


def test_missing_configuration_raises_naming_the_variable(client: IngestClient, monkeypatch):
    from lambda_function.errors import ConfigurationError

    monkeypatch.delenv("SNS_TOPIC_ARN")
    with pytest.raises(ConfigurationError, match="SNS_TOPIC_ARN"):
        client.invoke(client.s3_event("users.csv", '"abc"'))
