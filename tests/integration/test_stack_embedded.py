"""The session's embedded stack: real PostgreSQL and moto over HTTP, wired as DESIGN.md says."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
import sqlalchemy as sa

from harness.stack import StackInfo, backend_name, stack_client
from harness.stack.provision import drain_queue


def _receive_all(sqs: Any, queue_url: str, wait_seconds: int = 2) -> list[dict[str, Any]]:
    return drain_queue(sqs, queue_url, wait_seconds=wait_seconds)


def _process_uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError("no Uid line")


def test_postgres_answers_on_the_sqlalchemy_url(stack: StackInfo) -> None:
    assert stack.database_url.startswith("postgresql+psycopg://")
    engine = sa.create_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_database()")).scalar() == "ingest"
            assert conn.execute(sa.text("SHOW server_version_num")).scalar() >= "180000"
    finally:
        engine.dispose()


def test_postgres_runs_unprivileged_when_we_are_root(stack: StackInfo) -> None:
    postgres = next((p for p in stack.runtime.processes if p.name == "postgres"), None)
    if postgres is None:
        pytest.skip(f"the {stack.backend} backend does not run PostgreSQL as a local process")
    uid = _process_uid(postgres.pid)
    assert uid != 0
    if os.geteuid() != 0:
        assert uid == os.geteuid()


def test_stack_json_fields_are_exactly_the_documented_ones(stack: StackInfo) -> None:
    assert set(stack.public_dict()) == {
        "backend", "aws_endpoint_url", "region", "bucket", "topic_arn",
        "events_queue_url", "notifications_queue_url", "database_url", "pg_url",
    }  # fmt: skip
    assert stack.public_dict()["backend"] == backend_name()


def test_moto_answers_and_has_the_bucket(stack: StackInfo) -> None:
    s3 = stack_client(stack, "s3")
    assert stack.bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_csv_upload_produces_an_s3_event_on_the_events_queue(stack: StackInfo) -> None:
    s3, sqs = stack_client(stack, "s3"), stack_client(stack, "sqs")
    prefix = f"incoming/{uuid.uuid4()}/"
    key = f"{prefix}users.csv"
    s3.put_object(Bucket=stack.bucket, Key=key, Body=b"user_id\n1\n")
    s3.put_object(Bucket=stack.bucket, Key=f"{key}.gz", Body=b"\x1f\x8b")
    s3.put_object(Bucket=stack.bucket, Key=f"{prefix}readme.txt", Body=b"not a csv")  # filtered out

    events = [json.loads(m["Body"]) for m in _receive_all(sqs, stack.events_queue_url)]
    records = [r for e in events for r in e.get("Records", [])]
    # Other tests share the session's bucket and may leave their own events behind: keep ours.
    mine = [r for r in records if unquote_plus(r["s3"]["object"]["key"]).startswith(prefix)]
    keys = sorted(unquote_plus(r["s3"]["object"]["key"]) for r in mine)  # keys arrive URL-encoded
    assert keys == sorted([key, f"{key}.gz"])
    assert all(r["eventName"].startswith("ObjectCreated:") for r in mine)
    assert all(r["s3"]["bucket"]["name"] == stack.bucket for r in mine)


def test_publish_to_the_topic_arrives_on_the_capture_queue_with_its_envelope(stack: StackInfo) -> None:
    sns, sqs = stack_client(stack, "sns"), stack_client(stack, "sqs")
    body = json.dumps({"status": "SUCCEEDED", "probe": str(uuid.uuid4())})
    sns.publish(
        TopicArn=stack.topic_arn,
        Subject="users.csv -> users: 1 row loaded",
        Message=body,
        MessageAttributes={"status": {"DataType": "String", "StringValue": "SUCCEEDED"}},
    )
    envelopes = [json.loads(m["Body"]) for m in _receive_all(sqs, stack.notifications_queue_url)]
    mine = [e for e in envelopes if e.get("Message") == body]
    assert len(mine) == 1
    assert mine[0]["Subject"] == "users.csv -> users: 1 row loaded"
    assert mine[0]["MessageAttributes"]["status"]["Value"] == "SUCCEEDED"
    assert mine[0]["TopicArn"] == stack.topic_arn


def test_lambda_environment_names_the_stack(stack: StackInfo) -> None:
    env = stack.lambda_environment()
    assert env["DATABASE_URL"] == stack.database_url
    assert env["SNS_TOPIC_ARN"] == stack.topic_arn
    assert env["AWS_ENDPOINT_URL"] == stack.aws_endpoint_url
    assert env["AWS_ACCESS_KEY_ID"] == "testing"


def test_aws_env_points_default_boto3_clients_at_the_stack(aws_env: StackInfo) -> None:
    assert os.environ["DATABASE_URL"] == aws_env.database_url
    assert aws_env.bucket in [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
