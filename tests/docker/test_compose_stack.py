"""The compose stack (containers: PostgreSQL + LocalStack) drives the production handler."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

import lambda_function
from harness.emulator.runtime import LambdaContext
from harness.stack import StackInfo, stack_client
from tests.support.client import receive_bodies

pytestmark = pytest.mark.docker

USERS_CSV = (
    "user_id,email,full_name,country_code,signup_date,is_active\n"
    "1,ada@example.com,Ada Lovelace,GB,2020-01-02,true\n"
    "2,alan@example.com,Alan Turing,GB,2021-03-04,false\n"
)
KEY = "in coming/a+b/users.csv"


def test_stack_is_provisioned(stack: StackInfo) -> None:
    assert stack.backend == "compose"
    assert stack.bucket in [b["Name"] for b in stack_client(stack, "s3").list_buckets()["Buckets"]]


def test_an_upload_loads_once_and_a_redelivery_is_skipped(stack: StackInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = f"dk_{uuid.uuid4().hex[:8]}"
    for name, value in {**stack.lambda_environment(), "DB_SCHEMA": schema}.items():
        monkeypatch.setenv(name, value)
    stack_client(stack, "s3").put_object(Bucket=stack.bucket, Key=KEY, Body=USERS_CSV.encode())
    (event,) = receive_bodies(stack, stack.events_queue_url, expect=1)

    (first,) = lambda_function.lambda_handler(event, LambdaContext.fresh())["outcomes"]
    (second,) = lambda_function.lambda_handler(event, LambdaContext.fresh())["outcomes"]

    assert (first["status"], first["key"], first["rows_loaded"]) == ("SUCCEEDED", KEY, 2)
    assert second["status"] == "SKIPPED"
    engine = sa.create_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            count = conn.execute(sa.text(f'SELECT count(*) FROM "{schema}".users')).scalar_one()
    finally:
        engine.dispose()
    assert count == 2
