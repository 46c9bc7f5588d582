"""Security against real parts: credentials from Secrets Manager read once per container, a password
never in an error, a log line or a result, and SQL in a header or a key never reaching the database."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from harness.stack import StackInfo, stack_client
from harness.stack.ports import free_port
from lambda_function import handler
from lambda_function.errors import TransientError
from tests.support.client import IngestClient

USERS = b"user_id,email,full_name,country_code,signup_date,is_active\n1,a@b.co,A,GB,2020-01-01,true\n"
OTHER_USERS = b"user_id,email,full_name,country_code,signup_date,is_active\n2,c@d.co,C,FR,2021-02-02,false\n"


def _new_container(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a cold start is to the handler: no runtime (engine, clients, credentials) yet."""
    if handler._runtime is not None:
        handler._runtime.clients.engine.dispose()
    monkeypatch.setattr(handler, "_runtime", None)
    monkeypatch.setattr(handler, "_runtime_key", None)


def _secret(url: sa.URL, password: str) -> str:
    return json.dumps({"username": url.username, "password": password, "host": url.host, "port": url.port,
                       "dbname": url.database})


def test_credentials_from_secrets_manager_are_read_once_per_container(client: IngestClient, stack: StackInfo,
                                                                       monkeypatch: pytest.MonkeyPatch):
    url = sa.make_url(stack.database_url)
    secrets = stack_client(stack, "secretsmanager")
    arn = secrets.create_secret(Name=f"db-{client.schema}", SecretString=_secret(url, str(url.password)))["ARN"]
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("DB_SECRET_ARN", arn)
    _new_container(monkeypatch)
    assert client.ingest("a/users.csv", USERS)["status"] == "SUCCEEDED"

    rotated = f"rotated-{uuid.uuid4().hex}"  # not the server's password: only a fresh read would use it
    secrets.put_secret_value(SecretId=arn, SecretString=_secret(url, rotated))
    assert client.ingest("b/users.csv", OTHER_USERS)["status"] == "SUCCEEDED", "warm: the cached secret"

    _new_container(monkeypatch)
    with pytest.raises(TransientError, match="database unavailable") as raised:
        client.ingest("c/users.csv", USERS)
    assert rotated not in str(raised.value)
    assert client.query("SELECT user_id FROM users") == [(2,)]


@pytest.mark.parametrize("where", ["wrong password", "unreachable server"])
def test_a_database_password_never_reaches_errors_logs_or_results(where: str, client: IngestClient,
                                                                  stack: StackInfo, monkeypatch, capfd, caplog):
    url = sa.make_url(stack.database_url)
    password = f"Pa55-{uuid.uuid4().hex}"
    port = url.port if where == "wrong password" else free_port()
    monkeypatch.setenv("DATABASE_URL", url.set(password=password, port=port).render_as_string(hide_password=False))
    _new_container(monkeypatch)
    client.upload("users.csv", USERS)
    (message,) = client.real_events()

    as_sqs = client.invoke({"Records": [{"eventSource": "aws:sqs", "messageId": "m1", "body": message["Body"]}]})
    with pytest.raises(TransientError) as raised:
        client.invoke(json.loads(message["Body"]))

    assert as_sqs["batchItemFailures"] == [{"itemIdentifier": "m1"}]
    printed = capfd.readouterr()
    records = [str(vars(r)) for r in caplog.records]  # each log line with its structured fields
    assert any("database unavailable" in r for r in records)  # the failure is logged ...
    seen = [json.dumps(as_sqs), str(raised.value), repr(raised.value), printed.out, printed.err, *records]
    assert all(password not in text for text in seen)  # ... without the password
    assert client.messages(wait=0) == []


def test_sql_in_a_header_or_a_key_never_reaches_the_database(client: IngestClient):
    assert client.ingest("first/users.csv", USERS)["status"] == "SUCCEEDED"
    before = client.checksum("users")
    header = b'user_id,email,full_name,country_code,signup_date,"is_active boolean); DROP TABLE users; --"\n'

    failed = client.ingest("x/users.csv", header + b"2,c@d.co,C,FR,2021-02-02,false\n")

    assert failed["status"] == "FAILED"
    assert any("DROP TABLE" in str(e["column"]) or "DROP TABLE" in str(e["value"]) for e in failed["errors"])
    assert client.checksum("users") == before

    key = "'; DROP TABLE users; --/users.csv"
    loaded = client.ingest(key, OTHER_USERS)

    assert (loaded["status"], loaded["key"]) == ("SUCCEEDED", key)
    assert client.query("SELECT user_id FROM users") == [(2,)]
    assert client.query("SELECT object_key FROM ingest_ledger WHERE object_key = :k", k=key) == [(key,)]
