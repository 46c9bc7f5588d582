"""The emulated S3 trigger around the production handler, on the session's embedded stack."""

from __future__ import annotations

import dataclasses
import io
import uuid
from pathlib import Path

from harness.emulator.replay import replay
from harness.emulator.trigger import runtime_for
from harness.stack import StackInfo
from harness.stack.ports import free_port

USERS_CSV = (
    "user_id,email,full_name,country_code,signup_date,is_active\n"
    "1,ada@example.com,Ada Lovelace,GB,2020-01-02,true\n"
    "2,alan@example.com,Alan Turing,GB,2021-03-04,false\n"
)


def test_an_upload_reaches_the_production_handler_and_its_message_is_captured(stack: StackInfo, tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(USERS_CSV)
    key = f"trigger-{uuid.uuid4().hex[:8]}/users.csv"

    report = replay(stack, runtime_for(stack, log_stream=io.StringIO()), path, key)

    (invocation,) = report.invocations
    assert invocation.succeeded
    (outcome,) = invocation.response["outcomes"]
    assert outcome["status"] == "SUCCEEDED" and outcome["rows_loaded"] == 2
    assert report.table_rows["users"] == 2
    (note,) = report.notifications
    assert note["attributes"]["status"] == "SUCCEEDED" and note["message"]["key"] == key


def test_database_down_is_retried_and_ends_on_the_failure_destination(stack: StackInfo, tmp_path: Path) -> None:
    # Nothing listens on this port: the handler's connection is refused, as when PostgreSQL is down.
    unreachable = stack.database_url.rsplit("@", 1)[0] + f"@127.0.0.1:{free_port()}/ingest"
    broken = dataclasses.replace(stack, database_url=unreachable)
    path = tmp_path / "users.csv"
    path.write_text(USERS_CSV)
    key = f"dbdown-{uuid.uuid4().hex[:8]}/users.csv"

    runtime = runtime_for(broken, retry_delays=(0.05,), log_stream=io.StringIO())
    report = replay(broken, runtime, path, key)

    (invocation,) = report.invocations
    assert not invocation.succeeded and len(invocation.attempts) == 3
    assert [a.cold_start for a in invocation.attempts] == [True, False, False]
    records = [n["message"] for n in report.notifications if "requestContext" in n["message"]]
    assert len(records) == 1
    assert records[0]["requestContext"]["condition"] == "RetriesExhausted"
    assert records[0]["requestContext"]["approximateInvokeCount"] == 3
    assert records[0]["responseContext"]["functionError"] == "Unhandled"
    assert records[0]["requestPayload"] == invocation.event
