"""load_settings(env): one clear ConfigurationError naming the variable; Scrubber keeps passwords out of text."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from lambda_function.config import Scrubber, Settings, load_settings
from lambda_function.errors import ConfigurationError

TOPIC = "arn:aws:sns:eu-west-1:123456789012:ingest-outcomes"
URL = "postgresql+psycopg://ingest:s3cr3t-Pw@db.internal:5432/warehouse"
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ingest-db-AbCdEf"
MINIMAL = {"SNS_TOPIC_ARN": TOPIC, "DATABASE_URL": URL}


def test_minimal_environment_gets_design_defaults():
    settings = load_settings(MINIMAL)

    assert settings.topic_arn == TOPIC
    assert settings.database_url == URL
    assert settings.db_secret_arn is None
    assert settings.db_schema == "public"
    assert settings.ingest_prefix == ""
    assert settings.quarantine_prefix is None
    assert settings.redact_values is False
    assert settings.max_object_bytes == Settings.max_object_bytes > 0
    assert settings.block_bytes >= 64 * 1024
    assert settings.max_errors_in_message > 0


def test_secret_arn_alone_is_enough():
    settings = load_settings({"SNS_TOPIC_ARN": TOPIC, "DB_SECRET_ARN": SECRET})

    assert (settings.database_url, settings.db_secret_arn) == (None, SECRET)


def test_optional_variables_are_read():
    settings = load_settings({
        **MINIMAL, "DB_SCHEMA": "staging", "INGEST_PREFIX": "incoming/", "QUARANTINE_PREFIX": "quarantine",
        "MAX_OBJECT_BYTES": "1_000_000", "REDACT_VALUES": "TRUE", "BLOCK_BYTES": "1048576",
    })

    assert settings.db_schema == "staging"
    assert settings.ingest_prefix == "incoming/"
    assert settings.quarantine_prefix == "quarantine/"
    assert settings.max_object_bytes == 1_000_000
    assert settings.redact_values is True
    assert settings.block_bytes == 1_048_576


@pytest.mark.parametrize("value", ["false", "0", "no", "", "False"])
def test_redact_values_false_spellings(value):
    assert load_settings({**MINIMAL, "REDACT_VALUES": value}).redact_values is False


@pytest.mark.parametrize(("env", "variable"), [
    ({"DATABASE_URL": URL}, "SNS_TOPIC_ARN"),
    ({"SNS_TOPIC_ARN": "  ", "DATABASE_URL": URL}, "SNS_TOPIC_ARN"),
    ({"SNS_TOPIC_ARN": "ingest-outcomes", "DATABASE_URL": URL}, "SNS_TOPIC_ARN"),
    ({"SNS_TOPIC_ARN": TOPIC}, "DATABASE_URL"),
    ({"SNS_TOPIC_ARN": TOPIC, "DATABASE_URL": "", "DB_SECRET_ARN": ""}, "DB_SECRET_ARN"),
    ({**MINIMAL, "DATABASE_URL": "not a url"}, "DATABASE_URL"),
    ({**MINIMAL, "DATABASE_URL": "mysql://u:p@h/db"}, "DATABASE_URL"),
    ({**MINIMAL, "MAX_OBJECT_BYTES": "10GB"}, "MAX_OBJECT_BYTES"),
    ({**MINIMAL, "MAX_OBJECT_BYTES": "0"}, "MAX_OBJECT_BYTES"),
    ({**MINIMAL, "BLOCK_BYTES": "1024"}, "BLOCK_BYTES"),
    ({**MINIMAL, "REDACT_VALUES": "maybe"}, "REDACT_VALUES"),
], ids=["topic-missing", "topic-blank", "topic-not-arn", "no-database", "database-both-empty", "url-garbage",
        "url-not-postgres", "object-bytes-units", "object-bytes-zero", "block-bytes-too-small", "redact-maybe"])
def test_bad_configuration_raises_one_error_naming_the_variable(env, variable):
    with pytest.raises(ConfigurationError, match=variable):
        load_settings(env)


def test_database_url_with_a_bad_port_raises_configuration_error():
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        load_settings({**MINIMAL, "DATABASE_URL": "postgresql+psycopg://ingest:s3cr3t-Pw@db.internal:port/db"})


def test_topic_arn_of_another_service_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="SNS_TOPIC_ARN"):
        load_settings({**MINIMAL, "SNS_TOPIC_ARN": "arn:aws:sqs:eu-west-1:123456789012:ingest-outcomes"})


def test_configuration_errors_never_echo_the_password():
    with pytest.raises(ConfigurationError) as caught:
        load_settings({**MINIMAL, "DATABASE_URL": "mysql://ingest:s3cr3t-Pw@db.internal/warehouse"})

    assert "s3cr3t-Pw" not in str(caught.value)


def test_scrubber_removes_a_password_from_a_url_in_text():
    text = f"connection to {URL} failed: timeout"

    scrubbed = Scrubber().text(text)

    assert "s3cr3t-Pw" not in scrubbed
    assert scrubbed == "connection to postgresql+psycopg://ingest:***@db.internal:5432/warehouse failed: timeout"


def test_scrubber_removes_a_known_password_from_free_text():
    scrubber = Scrubber.for_url(make_url(URL))

    scrubbed = scrubber.text('FATAL: password authentication failed (tried "s3cr3t-Pw" for ingest)')

    assert "s3cr3t-Pw" not in scrubbed
    assert "password authentication failed" in scrubbed and "***" in scrubbed


def test_scrubber_leaves_text_without_secrets_alone():
    text = "users.csv -> users: 1,000 rows loaded"

    assert Scrubber.for_url(make_url(URL)).text(text) == text
    assert Scrubber.for_url(make_url("postgresql+psycopg://ingest@db/warehouse")).secrets == ()


_IAM = {"SNS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t", "DB_IAM_AUTH": "true",
        "DB_HOST": "db.example.internal", "DB_USER": "ingest", "DB_NAME": "warehouse", "DB_SSLMODE": "verify-full"}


def test_iam_auth_needs_host_user_and_verify_full() -> None:
    from lambda_function.config import database_url, load_settings
    from lambda_function.errors import ConfigurationError

    settings = load_settings(_IAM)
    url = database_url(settings, lambda: None)
    assert (url.host, url.username, url.database, url.port, url.password) == (
        "db.example.internal", "ingest", "warehouse", 5432, None)  # no password: a token per connection
    for drop, named in (("DB_HOST", "DB_HOST"), ("DB_USER", "DB_USER")):
        with pytest.raises(ConfigurationError, match=named):
            load_settings({k: v for k, v in _IAM.items() if k != drop})
    with pytest.raises(ConfigurationError, match="DB_SSLMODE must be verify-full"):
        load_settings({**_IAM, "DB_SSLMODE": "require"})
    with pytest.raises(ConfigurationError, match="DB_SSLMODE must be one of"):
        load_settings({**_IAM, "DB_SSLMODE": "sometimes"})
    with pytest.raises(ConfigurationError, match="DB_SSLROOTCERT"):
        load_settings({**_IAM, "DB_SSLROOTCERT": "/nonexistent/ca.pem"})


def test_iam_token_is_fresh_for_every_connection_and_only_a_parameter() -> None:
    from lambda_function.config import database_url, iam_token_hook, load_settings

    url = database_url(load_settings(_IAM), lambda: None)
    calls = []

    class Rds:  # stands in for boto3's rds client: the token is a local presign, no service to call
        def generate_db_auth_token(self, **kwargs):
            calls.append(kwargs)
            return f"token-{len(calls)}"

    hook = iam_token_hook(url, "eu-west-1", Rds)
    first, second = {}, {}
    hook(None, None, (), first)
    hook(None, None, (), second)
    assert (first["password"], second["password"]) == ("token-1", "token-2")
    assert calls[0] == {"DBHostname": "db.example.internal", "Port": 5432, "DBUsername": "ingest",
                        "Region": "eu-west-1"}
    assert "token" not in url.render_as_string(hide_password=False)


def test_a_secret_with_only_username_and_password_takes_host_from_db_host() -> None:
    from lambda_function.config import database_url, load_settings

    env = {"SNS_TOPIC_ARN": _IAM["SNS_TOPIC_ARN"], "DB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:x",
           "DB_HOST": "h.internal", "DB_NAME": "w"}

    class Secrets:
        def get_secret_value(self, SecretId):
            return {"SecretString": '{"username": "u", "password": "p"}'}

    url = database_url(load_settings(env), Secrets)
    assert (url.host, url.username, url.password, url.database) == ("h.internal", "u", "p", "w")


def test_scrubber_removes_an_rds_iam_token_wherever_it_appears() -> None:
    token = ("db.example.eu-west-1.rds.amazonaws.com:5432/?Action=connect&DBUser=loader&X-Amz-Algorithm=AWS4-HMAC-"
             "SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261203%2Feu-west-1%2Frds-db%2Faws4_request&X-Amz-Date="
             "20261203T060000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=5f1e0c9a")
    for text in (f"connection failed: password={token}", f"params {{'password': '{token}'}}", token):
        cleaned = Scrubber().text(text)
        assert "5f1e0c9a" not in cleaned and "AKIAEXAMPLE" not in cleaned and "Action=connect" not in cleaned


def test_ssl_negotiation_direct_needs_a_tls_sslmode_and_reaches_libpq() -> None:
    from lambda_function.config import tls_connect_args

    env = {**MINIMAL, "DB_SSLMODE": "verify-full", "DB_SSLNEGOTIATION": "direct"}
    assert tls_connect_args(load_settings(env))["sslnegotiation"] == "direct"
    with pytest.raises(ConfigurationError, match="DB_SSLNEGOTIATION=direct needs DB_SSLMODE"):
        load_settings({**MINIMAL, "DB_SSLNEGOTIATION": "direct"})
    with pytest.raises(ConfigurationError, match="DB_SSLNEGOTIATION must be postgres or direct"):
        load_settings({**MINIMAL, "DB_SSLNEGOTIATION": "sometimes"})


def test_a_tls_verification_failure_reads_as_configuration_not_an_outage() -> None:
    from lambda_function.config import tls_problem

    settings = load_settings({**MINIMAL, "DB_SSLMODE": "verify-full"})
    message = tls_problem('connection to server at "db", port 5432 failed: SSL error: certificate verify failed',
                          settings)
    assert message is not None and message.startswith("TLS to the database failed: SSL error: certificate verify")
    assert "DB_SSLMODE=verify-full" in message
    assert tls_problem("connection refused", settings) is None
    assert tls_problem("SSL error: unexpected eof while reading", settings) is None  # a drop: retry helps
