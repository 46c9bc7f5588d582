"""The function's configuration, read from its environment once per container.

Any problem raises ConfigurationError naming the variable: an operator error that Lambda's error
metric and alarm catch, before anything is loaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL
from .reading.blocks import BLOCK_BYTES, MAX_RECORD_BYTES
from .reading.decompress import MAX_DECOMPRESSED_BYTES

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Settings:
    topic_arn: str
    database_url: str | None
    db_secret_arn: str | None
    db_schema: str = "public"
    ingest_prefix: str = ""
    quarantine_prefix: str | None = None
    quarantine_bucket: str | None = None  # None: the ingested object's own bucket
    block_bytes: int = BLOCK_BYTES
    max_record_bytes: int = MAX_RECORD_BYTES
    max_object_bytes: int = 10 * 1024**3
    max_decompressed_bytes: int = MAX_DECOMPRESSED_BYTES
    max_errors_in_message: int = 50
    redact_values: bool = False
    deadline_margin_ms: int = 10_000
    lock_wait_ms: int = 300_000
    table_contracts: str | None = None  # folder of contracts; None: the one beside the package
    db_iam_auth: bool = False  # RDS IAM: a fresh token per physical connection, no stored password
    db_host: str | None = None
    db_port: int = 5432
    db_name: str | None = None
    db_user: str | None = None
    db_sslmode: str | None = None
    db_sslrootcert: str | None = None
    db_sslnegotiation: str | None = None  # libpq >= 17: "direct" opens TLS without asking first


SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    topic = env.get("SNS_TOPIC_ARN", "").strip()
    if not topic:
        raise ConfigurationError("SNS_TOPIC_ARN is required (the topic that receives one message per outcome)")
    parts = topic.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns" or not parts[5]:
        raise ConfigurationError(f"SNS_TOPIC_ARN must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME): {topic!r}")
    url = env.get("DATABASE_URL", "").strip() or None
    secret = env.get("DB_SECRET_ARN", "").strip() or None
    iam = _bool(env, "DB_IAM_AUTH")
    identity = _identity(env, iam)
    if not url and not secret and not iam:
        raise ConfigurationError("DATABASE_URL, DB_SECRET_ARN or DB_IAM_AUTH=true is required (where to load the rows)")
    if url:
        _check_url(url)
    if iam and not secret and not (identity["db_host"] and identity["db_user"]):
        missing = "DB_HOST" if not identity["db_host"] else "DB_USER"
        raise ConfigurationError(f"{missing} is required with DB_IAM_AUTH=true (the RDS endpoint and database user "
                                 "the token is made for)")
    schema = env.get("DB_SCHEMA", "").strip() or "public"
    quarantine = env.get("QUARANTINE_PREFIX", "").strip() or None
    if quarantine and not quarantine.endswith("/"):
        quarantine += "/"
    return Settings(
        topic_arn=topic,
        database_url=url,
        db_secret_arn=secret,
        db_schema=schema,
        ingest_prefix=env.get("INGEST_PREFIX", ""),
        quarantine_prefix=quarantine,
        quarantine_bucket=env.get("QUARANTINE_BUCKET", "").strip() or None,
        block_bytes=_int(env, "BLOCK_BYTES", Settings.block_bytes, 64 * 1024),
        max_record_bytes=_int(env, "MAX_RECORD_BYTES", Settings.max_record_bytes, 1024),
        max_object_bytes=_int(env, "MAX_OBJECT_BYTES", Settings.max_object_bytes),
        max_decompressed_bytes=_int(env, "MAX_DECOMPRESSED_BYTES", Settings.max_decompressed_bytes),
        max_errors_in_message=_int(env, "MAX_ERRORS_IN_MESSAGE", Settings.max_errors_in_message),
        redact_values=_bool(env, "REDACT_VALUES"),
        deadline_margin_ms=_int(env, "DEADLINE_MARGIN_MS", Settings.deadline_margin_ms, 0),
        lock_wait_ms=_int(env, "LOCK_WAIT_MS", Settings.lock_wait_ms, 0),
        table_contracts=env.get("TABLE_CONTRACTS", "").strip() or None,
        db_iam_auth=iam,
        **identity,
    )


def _identity(env: Mapping[str, str], iam: bool) -> dict[str, Any]:
    """DB_HOST/PORT/NAME/USER (beside a secret holding only username and password) and TLS settings."""
    sslmode = env.get("DB_SSLMODE", "").strip().lower() or None
    if sslmode is not None and sslmode not in SSL_MODES:
        raise ConfigurationError(f"DB_SSLMODE must be one of {', '.join(SSL_MODES)}, got {sslmode!r}")
    if iam and sslmode != "verify-full":
        raise ConfigurationError("DB_SSLMODE must be verify-full with DB_IAM_AUTH=true (the token is a credential: "
                                 f"send it only to a verified server), got {sslmode or 'unset'}")
    rootcert = env.get("DB_SSLROOTCERT", "").strip() or None
    if rootcert and not os.path.isfile(rootcert):
        raise ConfigurationError(f"DB_SSLROOTCERT names no readable file: {rootcert!r}")
    return {"db_host": env.get("DB_HOST", "").strip() or None,
            "db_port": _int(env, "DB_PORT", 5432),
            "db_name": env.get("DB_NAME", "").strip() or None,
            "db_user": env.get("DB_USER", "").strip() or None,
            "db_sslmode": sslmode, "db_sslrootcert": rootcert, "db_sslnegotiation": _negotiation(env, sslmode)}


def _negotiation(env: Mapping[str, str], sslmode: str | None) -> str | None:
    value = env.get("DB_SSLNEGOTIATION", "").strip().lower() or None
    if value not in (None, "postgres", "direct"):
        raise ConfigurationError(f"DB_SSLNEGOTIATION must be postgres or direct, got {value!r}")
    if value == "direct" and sslmode not in ("require", "verify-ca", "verify-full"):
        raise ConfigurationError("DB_SSLNEGOTIATION=direct needs DB_SSLMODE require, verify-ca or verify-full, "
                                 f"got {sslmode or 'unset'}")
    return value


def _check_url(url: str) -> URL:
    from sqlalchemy.engine import make_url  # SQLAlchemy loads at the first invocation, not at import
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise ConfigurationError("DATABASE_URL is not a valid SQLAlchemy URL (postgresql+psycopg://…)") from None
    if parsed.get_backend_name() != "postgresql":
        raise ConfigurationError(f"DATABASE_URL must be a postgresql URL, got {parsed.get_backend_name()!r}")
    return parsed.set(drivername="postgresql+psycopg")


def database_url(settings: Settings, secrets_client_factory: Any) -> URL:
    """The SQLAlchemy URL, from DATABASE_URL, the Secrets Manager secret (fetched once per container) or
    DB_HOST/DB_PORT/DB_NAME/DB_USER. With IAM auth it carries no password: `iam_token_hook` adds one."""
    if settings.database_url:
        url = _check_url(settings.database_url)
        return url.set(password=None) if settings.db_iam_auth else url
    secret: dict[str, Any] = {}
    if settings.db_secret_arn:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider
        from aws_lambda_powertools.utilities.parameters.exceptions import TransformParameterError

        try:  # Powertools' provider: one fetch per container (cached), JSON decoded by it
            fetched = SecretsProvider(boto3_client=secrets_client_factory()).get(
                settings.db_secret_arn, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
            if not isinstance(fetched, dict):
                raise TypeError("not an object")
            secret = fetched
        except (TransformParameterError, TypeError) as exc:
            raise ConfigurationError(f"DB_SECRET_ARN must hold a JSON object ({type(exc).__name__})") from None
    host = secret.get("host") or settings.db_host
    user = secret.get("username") or settings.db_user
    password = None if settings.db_iam_auth else secret.get("password")
    for value, field, variable in ((host, "host", "DB_HOST"), (user, "username", "DB_USER")):
        if not value:
            raise ConfigurationError(f"{variable} is required: the database secret has no {field}")
    if password is None and not settings.db_iam_auth:
        raise ConfigurationError("DB_SECRET_ARN must hold a password (or set DB_IAM_AUTH=true)")
    from sqlalchemy.engine import URL

    return URL.create("postgresql+psycopg", username=user, password=password, host=host,
                      port=int(secret.get("port") or settings.db_port),
                      database=secret.get("dbname") or secret.get("database") or settings.db_name or "postgres")


def tls_connect_args(settings: Settings) -> dict[str, str]:
    args = {}
    if settings.db_sslmode:
        args["sslmode"] = settings.db_sslmode
    if settings.db_sslrootcert:
        args["sslrootcert"] = settings.db_sslrootcert
    if settings.db_sslnegotiation:
        args["sslnegotiation"] = settings.db_sslnegotiation
    return args


# The secret is read when a runtime is built (once per warm container); a rotated password needs a new one.
SECRET_MAX_AGE_SECONDS = 3600

# libpq's words for a TLS failure that only an operator can fix (never a transient outage).
# Not "SSL error" alone: "SSL error: unexpected eof" is a dropped connection, which a retry can fix.
_TLS_FAILURES = ("certificate verify failed", "does not match host name", "root certificate file",
                 "server does not support SSL", "certificate has expired", "self-signed certificate",
                 "unable to get local issuer certificate")


def tls_problem(error: str, settings: Settings) -> str | None:
    """A configuration message naming TLS when a connection error is a TLS verification failure, else None."""
    found = next((f for f in _TLS_FAILURES if f.lower() in error.lower()), None)
    if found is None:
        return None
    detail = error.rsplit("failed:", 1)[-1].strip() or found
    return (f"TLS to the database failed: {detail} (DB_SSLMODE={settings.db_sslmode or 'unset'}, "
            f"DB_SSLROOTCERT={settings.db_sslrootcert or 'unset'}): check that the CA bundle signs the server's "
            "certificate and that DB_HOST is the name in it")


def iam_token_hook(url: URL, region: str | None, rds_client_factory: Any) -> Any:
    """A SQLAlchemy `do_connect` listener: a fresh RDS IAM token (valid 15 minutes) for every new physical
    connection, passed as the password parameter, never stored in the URL or the pool's settings."""

    clients: list[Any] = []  # one rds client per engine, made at the first connection

    def do_connect(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        if not clients:
            clients.append(rds_client_factory())
        cparams["password"] = clients[0].generate_db_auth_token(
            DBHostname=url.host, Port=url.port or 5432, DBUsername=url.username, Region=region)

    return do_connect


# Keep database credentials (passwords, RDS IAM tokens) out of logs, results and messages.
_URL_PASSWORD = re.compile(r"(\w+(?:\+\w+)?://[^:/@\s]+:)([^@\s]+)(@)")
# An RDS IAM token is a presigned URL without a scheme: host:port/?Action=connect&...&X-Amz-Signature=...
_IAM_TOKEN = re.compile(r"[^\s'\"=]*\?Action=connect&[^\s'\"]*")
_SIGNATURE = re.compile(r"(X-Amz-(?:Signature|Security-Token|Credential)=)[^&\s'\"]+")
_PASSWORD_PARAM = re.compile(r"(password=)('[^']*'|\S+)")


@dataclass(frozen=True)
class Scrubber:
    secrets: tuple[str, ...] = ()

    @classmethod
    def for_url(cls, url: URL) -> Scrubber:
        return cls(tuple(s for s in (url.password,) if s))

    def text(self, text: str) -> str:
        text = _URL_PASSWORD.sub(r"\1***\3", text)
        text = _IAM_TOKEN.sub("***", text)
        text = _SIGNATURE.sub(r"\1***", text)
        text = _PASSWORD_PARAM.sub(r"\1***", text)
        for secret in self.secrets:
            text = text.replace(str(secret), "***")
        return text
