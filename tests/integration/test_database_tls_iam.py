"""TLS and RDS IAM auth against a real PostgreSQL: the embedded server behind a real TLS terminator.

Nothing is mocked on the wire: libpq verifies the terminator's certificate (made here) with
`DB_SSLNEGOTIATION=direct`, and PostgreSQL checks every password with SCRAM. The one seam is the token
signer's delivery: the real boto3 `generate_db_auth_token` makes each token, and the wrapper then tells
the server (ALTER ROLE … PASSWORD), as RDS knows its own tokens; the previous token stops working then.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import lambda_function.handler as handler_module
from harness.stack import StackInfo
from lambda_function.errors import ConfigurationError
from tests.support.client import IngestClient
from tests.support.tls_terminator import Certificates, make_certificates, tls_terminator

USERS = b"user_id,email,full_name,country_code,signup_date,is_active\n1,a@b.co,A,GB,2020-01-01,true\n"
ROLE = "iam_loader"


@pytest.fixture(scope="module")
def tls(stack: StackInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Certificates, int]]:
    certs = make_certificates(tmp_path_factory.mktemp("certs"))
    with tls_terminator(make_url(stack.database_url).port or 5432, certs) as port:
        yield certs, port


@pytest.fixture
def tls_env(client: IngestClient, tls: tuple[Certificates, int], monkeypatch: pytest.MonkeyPatch) -> Certificates:
    certs, port = tls
    url = make_url(client.stack.database_url).set(host="localhost", port=port)
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("DB_SSLMODE", "verify-full")
    monkeypatch.setenv("DB_SSLROOTCERT", str(certs.ca))
    monkeypatch.setenv("DB_SSLNEGOTIATION", "direct")  # libpq opens TLS at once: the terminator speaks only TLS
    return certs


def test_verify_full_with_the_right_ca_loads(client: IngestClient, tls_env: Certificates) -> None:
    assert client.ingest("users.csv", USERS)["status"] == "SUCCEEDED"
    assert client.count("users") == 1


def test_a_certificate_that_fails_verification_is_a_tls_configuration_error_and_loads_nothing(
        client: IngestClient, tls_env: Certificates, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_SSLROOTCERT", str(tls_env.other_ca))
    put = client.upload("users.csv", USERS)
    client.real_events()
    with pytest.raises(ConfigurationError, match=r"TLS to the database failed: .*certificate verify failed.*"
                                                 r"DB_SSLMODE=verify-full"):
        client.invoke(client.s3_event("users.csv", put["ETag"]))
    assert client.checksum("users") == "absent"
    assert client.messages(wait=0.5) == []


class ServerKnownTokens:
    """boto3's own RDS token signer; each token it makes becomes the role's only valid password."""

    def __init__(self, admin: sa.Engine) -> None:
        self._rds = boto3.client("rds")
        self._admin = admin
        self.tokens: list[str] = []

    def generate_db_auth_token(self, **kwargs: Any) -> str:
        token: str = self._rds.generate_db_auth_token(**kwargs)
        with self._admin.begin() as conn:
            conn.execute(sa.text(f"ALTER ROLE {ROLE} PASSWORD '{token.replace(chr(39), chr(39) * 2)}'"))
        self.tokens.append(token)
        return token


@pytest.fixture
def iam_role(client: IngestClient) -> Iterator[None]:
    with client.engine.begin() as conn:
        conn.execute(sa.text(f"DROP ROLE IF EXISTS {ROLE}"))
        conn.execute(sa.text(f"CREATE ROLE {ROLE} LOGIN PASSWORD NULL"))
        conn.execute(sa.text(f"GRANT CREATE ON DATABASE {make_url(client.stack.database_url).database} TO {ROLE}"))
    yield
    with client.engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {client.schema} CASCADE"))
        conn.execute(sa.text(f"REVOKE CREATE ON DATABASE {make_url(client.stack.database_url).database} FROM {ROLE}"))
        conn.execute(sa.text(f"DROP ROLE IF EXISTS {ROLE}"))


def test_iam_auth_a_fresh_token_per_connection_never_in_url_logs_results_or_messages(
        client: IngestClient, tls_env: Certificates, tls: tuple[Certificates, int], iam_role: None,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    signer = ServerKnownTokens(client.engine)
    monkeypatch.setattr(handler_module, "rds_client", lambda: signer)
    monkeypatch.delenv("DATABASE_URL")
    for name, value in {"DB_IAM_AUTH": "true", "DB_HOST": "localhost", "DB_PORT": str(tls[1]),
                        "DB_NAME": make_url(client.stack.database_url).database or "", "DB_USER": ROLE}.items():
        monkeypatch.setenv(name, value)
    # Every record at INFO and above, and the function's own at DEBUG (botocore's DEBUG logging prints what
    # it signs, the token included: a setting for debugging botocore, off in Lambda, documented).
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="csv-ingest")

    first = client.ingest("a/users.csv", USERS)
    runtime = handler_module.runtime()
    assert runtime.clients.engine.url.password is None and runtime.clients.engine.url.username == ROLE
    runtime.clients.engine.dispose()  # the next load opens a new physical connection: it needs a new token
    time.sleep(1.1)  # tokens are signed per second
    second = client.ingest("b/users.csv", USERS.replace(b"1,a@b.co", b"2,b@b.co"))

    assert (first["status"], second["status"]) == ("SUCCEEDED", "SUCCEEDED")
    assert len(signer.tokens) == 2 and signer.tokens[0] != signer.tokens[1]
    assert "Action=connect" in signer.tokens[0]  # a real RDS token, signed by botocore
    with client.engine.connect() as conn:  # loaded as the IAM role, into the table it created
        owner = conn.execute(sa.text("SELECT tableowner FROM pg_tables WHERE schemaname = :s AND tablename = 'users'"),
                             {"s": client.schema}).scalar()
    assert owner == ROLE
    seen = caplog.text + capsys.readouterr().out + repr(first) + repr(second)
    seen += "".join(repr(m.body) + m.subject for m in client.messages())
    for token in signer.tokens:
        assert token not in seen and token.split("X-Amz-Signature=")[-1] not in seen
