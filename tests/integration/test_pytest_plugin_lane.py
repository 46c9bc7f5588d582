"""The plugin's `ingest_lane` fixture, as other repositories use it, on this session's `ingest_stack`."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from harness.scenarios.ingest_lane import IngestLane, LaneError
from harness.stack import StackInfo, stack_client
from tests.support.fixtures_plugin import CsvFile


def test_replay_returns_the_published_outcome_and_the_rows_are_in_the_lanes_schema(
    ingest_lane: IngestLane, csv_file: CsvFile
) -> None:
    written = csv_file("users", rows=25, seed=4)
    message = ingest_lane.replay(written.path)

    assert message["status"] == "SUCCEEDED"
    assert message["key"] == f"{ingest_lane.prefix}users.csv"
    assert (message["table"], message["rows_loaded"]) == ("users", 25)
    assert ingest_lane.sql("select count(*) from users") == [(25,)]
    assert ingest_lane.sql(f'select count(*) from "{ingest_lane.schema}".users') == [(25,)]
    assert ingest_lane.messages() == [message]


# Two tests append to the same table, one after the other on one stack: each sees only its own rows.
@pytest.mark.parametrize("rows", [3, 5])
def test_lanes_never_see_each_others_rows(ingest_lane: IngestLane, csv_file: CsvFile, rows: int) -> None:
    message = ingest_lane.replay(csv_file("test", rows=rows, seed=rows).path)
    assert (message["status"], message["mode"]) == ("SUCCEEDED", "append")
    assert ingest_lane.sql("select count(*) from test") == [(rows,)]


def test_a_failed_file_names_row_and_column_and_loads_nothing(ingest_lane: IngestLane, csv_file: CsvFile) -> None:
    broken = csv_file("users", rows=10, seed=1, defect="bad_email")
    assert broken.defect is not None
    message = ingest_lane.replay(broken.path)

    assert message["status"] == "FAILED"
    assert {"row": broken.defect.row, "column": "email"}.items() <= message["errors"][0].items()
    assert ingest_lane.sql("select to_regclass('users')") == [(None,)]  # its creation was rolled back too


def test_an_explicit_key_is_used_as_given_and_a_name_no_contract_accepts_is_rejected(
    ingest_lane: IngestLane, csv_file: CsvFile
) -> None:
    message = ingest_lane.replay(csv_file("users", rows=2).path, key="incoming/Users.csv")
    assert (message["status"], message["key"], message["table"]) == ("REJECTED", "incoming/Users.csv", None)


def test_sql_takes_psycopg_parameters_and_keeps_a_literal_percent(ingest_lane: IngestLane) -> None:
    ingest_lane.sql("create table downstream (label text, n int)")
    ingest_lane.sql("insert into downstream values (%s, %s)", "50%", 7)
    assert ingest_lane.sql("select label, n + %s from downstream", 1) == [("50%", 8)]
    assert ingest_lane.sql("select count(*) from downstream where label like '5%'") == [(1,)]
    assert ingest_lane.sql("select to_regclass(%s) is not null", f"{ingest_lane.schema}.downstream") == [(True,)]


def test_a_second_upload_of_the_same_key_is_a_new_object_and_both_messages_are_kept(
    ingest_lane: IngestLane, csv_file: CsvFile
) -> None:
    first = ingest_lane.replay(csv_file("test", rows=2, seed=1).path)
    second = ingest_lane.replay(csv_file("test", rows=3, seed=2).path)
    assert [first["status"], second["status"]] == ["SUCCEEDED", "SUCCEEDED"]
    assert ingest_lane.sql("select count(*) from test") == [(5,)]
    assert [m["request_id"] for m in ingest_lane.messages()] == [first["request_id"], second["request_id"]]


def test_a_missing_file_is_one_clear_error(ingest_lane: IngestLane, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"lane\.replay: .*nope\.csv is not a file"):
        ingest_lane.replay(tmp_path / "nope.csv")


def test_a_function_that_raises_is_reported_with_its_error_and_its_on_failure_record(
    ingest_stack: StackInfo, csv_file: CsvFile, tmp_path: Path
) -> None:
    (tmp_path / "users.yaml").write_text("file: users.csv\ntable: users\nmode: append\n"
                                         "columns:\n  amount: {type: money}\n")
    lane = IngestLane(ingest_stack.with_contracts(str(tmp_path)), "raises")  # the function's TABLE_CONTRACTS
    try:
        with pytest.raises(LaneError, match=r"in all 3 attempts: ContractError: .*users\.yaml.*amount"):
            lane.replay(csv_file("users", rows=2).path)
        (record,) = lane.messages()
        assert record["requestContext"]["condition"] == "RetriesExhausted"
    finally:
        lane.close()


def test_closing_a_lane_removes_its_schema_bucket_queues_and_topic(ingest_stack: StackInfo, csv_file: CsvFile) -> None:
    lane = IngestLane(ingest_stack, "closing")
    lane.replay(csv_file("test", rows=2).path)
    lane.close()

    observer = IngestLane(ingest_stack, "observer")
    try:
        assert observer.sql("select count(*) from pg_namespace where nspname = %s", lane.schema) == [(0,)]
    finally:
        observer.close()
    with pytest.raises(ClientError):
        stack_client(ingest_stack, "s3").head_bucket(Bucket=lane.bucket)
    sqs, sns = stack_client(ingest_stack, "sqs"), stack_client(ingest_stack, "sns")
    queues = sqs.list_queues().get("QueueUrls", [])
    assert [q for q in queues if lane.schema.removeprefix("scn_") in q] == []
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert [t for t in topics if lane.schema.removeprefix("scn_") in t] == []
