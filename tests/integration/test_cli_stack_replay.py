"""`harness replay` and `harness watch` through the real CLI, with stand-in handlers.

The stand-ins play the production handler's contract (read the object through boto3's
AWS_ENDPOINT_URL, write to DATABASE_URL, one SNS message per outcome); the subject here is the
trigger emulation around them: real S3 events, retries, the on-failure destination.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from harness import state
from harness.cli import app
from harness.stack import StackInfo, stack_client

runner = CliRunner()
HERE = "tests.integration.test_cli_stack_replay"
REPO = Path(__file__).resolve().parents[2]


def stand_in_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    s3, sns = boto3.client("s3"), boto3.client("sns")
    engine = sa.create_engine(os.environ["DATABASE_URL"])
    outcomes = []
    try:
        for record in event["Records"]:
            bucket, key = record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"])
            rows = s3.get_object(Bucket=bucket, Key=key)["Body"].read().count(b"\n") - 1
            with engine.begin() as conn:
                conn.execute(sa.text("CREATE TABLE IF NOT EXISTS stand_in (key text, rows bigint)"))
                conn.execute(sa.text("INSERT INTO stand_in VALUES (:k, :r)"), {"k": key, "r": rows})
            outcome = {
                "status": "SUCCEEDED", "bucket": bucket, "key": key, "table": "stand_in",
                "rows_loaded": rows, "request_id": context.aws_request_id,
            }  # fmt: skip
            sns.publish(
                TopicArn=os.environ["SNS_TOPIC_ARN"],
                Subject=f"{key} -> stand_in: {rows} rows loaded",
                Message=json.dumps(outcome),
                MessageAttributes={
                    "status": {"DataType": "String", "StringValue": "SUCCEEDED"},
                    "table": {"DataType": "String", "StringValue": "stand_in"},
                },
            )
            outcomes.append(outcome)
    finally:
        engine.dispose()
    return {"outcomes": outcomes}


def database_down_handler(event: dict[str, Any], context: Any) -> None:
    raise ConnectionError("connection to PostgreSQL refused")


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, StackInfo]]:
    directory = tmp_path_factory.mktemp("replay") / ".harness"
    code, output = _run("up", "--state-dir", str(directory))
    assert code == 0, output
    yield directory, state.require(directory)
    _run("down", "--state-dir", str(directory))


@pytest.fixture
def users_csv(tmp_path: Path) -> Path:
    path = tmp_path / "users.csv"
    path.write_text("user_id,email\n1,a@example.com\n2,b@example.com\n3,c@example.com\n")
    return path


def test_replay_without_a_stack_is_one_clear_message(tmp_path: Path, users_csv: Path) -> None:
    code, output = _run("replay", str(users_csv), "--key", "users.csv", "--state-dir", str(tmp_path / "none"))
    assert code != 0
    assert "no running stack" in output and "Traceback" not in output


def test_replay_invokes_the_handler_with_the_real_event(running: tuple[Path, StackInfo], users_csv: Path) -> None:
    directory, _stack = running
    code, output = _run(
        "replay", str(users_csv), "--key", "in/users.csv", "--times", "2",
        "--handler", f"{HERE}.stand_in_handler", "--state-dir", str(directory), "--json",
    )  # fmt: skip
    assert code == 0, output
    report = json.loads(output)
    assert [i["succeeded"] for i in report["invocations"]] == [True, True]
    assert [i["attempts"][0]["cold_start"] for i in report["invocations"]] == [True, False]
    assert report["invocations"][0]["response"]["outcomes"][0]["rows_loaded"] == 3
    assert report["table_rows"]["stand_in"] >= 2
    subjects = sorted(n["subject"] for n in report["notifications"])
    assert subjects == ["in/users.csv -> stand_in: 3 rows loaded"] * 2
    assert all(n["attributes"] == {"status": "SUCCEEDED", "table": "stand_in"} for n in report["notifications"])


def test_replay_for_people_shows_outcome_rows_and_messages(running: tuple[Path, StackInfo], users_csv: Path) -> None:
    directory, _stack = running
    code, output = _run(
        "replay", str(users_csv), "--key", "people/users.csv",
        "--handler", f"{HERE}.stand_in_handler", "--state-dir", str(directory),
    )  # fmt: skip
    assert code == 0, output
    assert "SUCCEEDED people/users.csv -> stand_in: 3 rows loaded" in output
    assert "rows now in stand_in:" in output
    assert "1 SNS message(s) on the capture queue" in output


def test_large_files_go_up_as_multipart(running: tuple[Path, StackInfo], tmp_path: Path) -> None:
    directory, stack = running
    big = tmp_path / "big.csv"
    line = b"1,someone@example.com,Some One,DE,2024-01-01,true\n"
    big.write_bytes(b"user_id,email,full_name,country_code,signup_date,is_active\n" + line * 200_000)
    assert big.stat().st_size > 9 * 1024 * 1024
    code, output = _run(
        "replay", str(big), "--key", "big/users.csv",
        "--handler", f"{HERE}.stand_in_handler", "--state-dir", str(directory), "--json",
    )  # fmt: skip
    assert code == 0, output
    invocations = json.loads(output)["invocations"]
    assert invocations[0]["response"]["outcomes"][0]["rows_loaded"] == 200_000
    # moto announces a multipart upload twice (Put, then CompleteMultipartUpload); both are handled.
    event_names = [name for inv in invocations for name in inv["event_names"]]
    assert "ObjectCreated:CompleteMultipartUpload" in event_names
    etag = stack_client(stack, "s3").head_object(Bucket=stack.bucket, Key="big/users.csv")["ETag"]
    assert "-" in etag  # a multipart ETag ends in -<number of parts>


def test_retries_exhausted_end_in_a_destination_record_on_the_topic(
    running: tuple[Path, StackInfo], users_csv: Path
) -> None:
    directory, _stack = running
    code, output = _run(
        "replay", str(users_csv), "--key", "down/users.csv", "--retry-delay", "0.05",
        "--handler", f"{HERE}.database_down_handler", "--state-dir", str(directory), "--json",
    )  # fmt: skip
    assert code == 1
    report = json.loads(output)
    (invocation,) = report["invocations"]
    assert [a["error_type"] for a in invocation["attempts"]] == ["ConnectionError"] * 3
    (note,) = report["notifications"]  # read back from the capture queue, not from memory
    record = note["message"]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["requestId"] == invocation["request_id"]
    assert record["responsePayload"]["errorType"] == "ConnectionError"
    assert unquote_plus(record["requestPayload"]["Records"][0]["s3"]["object"]["key"]) == "down/users.csv"


def test_a_key_that_does_not_notify_is_explained(running: tuple[Path, StackInfo], tmp_path: Path) -> None:
    directory, _stack = running
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    result = runner.invoke(
        app,
        ["replay", str(notes), "--key", "notes.txt", "--handler", f"{HERE}.stand_in_handler",
         "--state-dir", str(directory)],
    )  # fmt: skip
    assert result.exit_code == 1 and "no S3 event arrived" in result.output


def test_watch_handles_each_upload_and_stops_cleanly_on_ctrl_c(running: tuple[Path, StackInfo]) -> None:
    directory, stack = running
    env = {**os.environ, "PYTHONPATH": str(REPO), "HARNESS_STATE_DIR": str(directory)}
    watcher = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "watch", "--json", "--handler", f"{HERE}.stand_in_handler"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # As from a terminal: a shell without job control (CI's `make test &`) starts background jobs with
        # SIGINT ignored, and an ignored signal stays ignored across exec, so Ctrl-C could not be tested.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        time.sleep(2.0)  # let it reach its receive loop
        stack_client(stack, "s3").put_object(Bucket=stack.bucket, Key="watched/users.csv", Body=b"id\n1\n2\n")
        assert watcher.stdout is not None
        line = json.loads(watcher.stdout.readline())
        assert line["succeeded"] is True
        assert line["response"]["outcomes"][0]["key"] == "watched/users.csv"
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(timeout=30) == 0
        assert "Traceback" not in (watcher.stderr.read() if watcher.stderr else "")
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()


def test_production_handler_logs_stay_out_of_json_output(running: tuple[Path, StackInfo], tmp_path: Path) -> None:
    directory, _stack = running
    users = tmp_path / "users.csv"
    users.write_text(
        "user_id,email,full_name,country_code,signup_date,is_active\n"
        "1,ada@example.com,Ada Lovelace,GB,2020-01-02,true\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "HARNESS_STATE_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "replay", str(users), "--key", "json/users.csv", "--json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # the function's own log lines went to stderr
    assert report["invocations"][0]["response"]["outcomes"][0]["status"] == "SUCCEEDED"
    assert '"message":"outcome"' in done.stderr.replace(" ", "")


def test_replay_of_a_failed_file_prints_where_the_full_error_report_went(
    running: tuple[Path, StackInfo], tmp_path: Path
) -> None:
    directory, stack = running
    bad = tmp_path / "users.csv"
    bad.write_text("user_id,email,full_name,country_code,signup_date,is_active\n1,not-an-email,A,GB,2020-01-01,true\n")
    code, output = _run("replay", str(bad), "--key", "reports/users.csv", "--state-dir", str(directory))
    assert code == 1, output  # FAILED, as `validate` says it
    assert "FAILED reports/users.csv -> users" in output
    assert f"full error report: s3://{stack.bucket}/quarantine/" in output
    assert "/reports/users.csv.errors.json" in output
    # The quarantined copy went into the same bucket, yet its name matches no notification filter:
    # the events queue stays empty (before, every FAILED file caused one stray invocation).
    listed = stack_client(stack, "s3").list_objects_v2(Bucket=stack.bucket, Prefix="quarantine/")["Contents"]
    copies = [o["Key"] for o in listed if o["Key"].endswith("/reports/users.csv.quarantined")]
    assert copies, [o["Key"] for o in listed]
    stray = stack_client(stack, "sqs").receive_message(QueueUrl=stack.events_queue_url, WaitTimeSeconds=2)
    assert stray.get("Messages", []) == []
