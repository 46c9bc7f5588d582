"""Differential tests per contract type: what the validator accepts, the real PostgreSQL reads as the same value.

Each accepted literal is loaded by the handler (original bytes to COPY, real moto + real PostgreSQL) and
read back: `::text` against the text of the value the validator parsed, floats by their bit pattern.
Each rejected literal is FAILED with the type's rule, and nothing is loaded.
"""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from lambda_function.checking.rules import rule_for
from lambda_function.contract import load_contracts
from tests.support.client import IngestClient

TYPES = {
    "smallint": "smallint", "integer": "integer", "bigint": "bigint", "numeric": "numeric(7,3)", "real": "real",
    "double": "double precision", "boolean": "boolean", "date": "date", "timestamp": "timestamp",
    "timestamptz": "timestamptz", "uuid": "uuid", "text": "text", "varchar": "varchar(5)", "char": "char(3)",
}

ACCEPTED = {
    "smallint": ["-32768", "32767", "0", "-0", "+7", "007", "00000000000000000000000000000001"],
    "integer": ["-2147483648", "2147483647", "+1", "0100"],
    "bigint": ["-9223372036854775808", "9223372036854775807", "000000000000000000009223372036854775807"],
    "numeric": ["9999.999", "-9999.999", ".5", "5.", "+0.001", "0000001.250", "-0", "0.000"],
    "real": ["3.4028235e38", "-3.4028234e38", "1.17549435e-38", "1e-45", "1.4e-45", "0.1", "16777217", "-0",
             "1E10", ".5", "5.", "+2", "340282356779733661637539395458142568447"],
    "double": ["1.7976931348623157e308", "4.9406564584124654e-324", "2.2250738585072014e-308", "0.1",
               "-0", "9007199254740993", "1e-5", "+3.5", "123456789012345678901234567890"],
    "boolean": ["true", "false", "TRUE", "False", "tRuE"],
    "date": ["0001-01-01", "9999-12-31", "2024-02-29", "2000-02-29", "1900-02-28"],
    "timestamp": ["2024-02-29T23:59:59.999999", "2024-01-01 00:00", "0001-01-01T00:00:00", "2024-01-01T12:30:45.1",
                  "9999-12-31 23:59:59"],
    "timestamptz": ["2024-05-01T12:30:00Z", "2024-05-01T12:30:00+15:59", "2024-05-01T12:30:00-15:59",
                    "2024-05-01T12:30:00.123456+05:30", "2024-05-01 12:30+05", "2024-05-01T12:30:00-0530",
                    "2024-12-31T23:59:59.5-00:00"],
    "uuid": ["123e4567-e89b-12d3-a456-426614174000", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
             "00000000-0000-0000-0000-000000000000"],
    "text": ["plain", "  spaced  ", "ünïcødé 日本", '"quoted, with comma"', '"line\nbreak"', "tab\there", "\\N",
             "NULL"],
    "varchar": ["abcde", "日本語!!", "a", "  a  "],
    "char": ["abc", "a b", "日本語", "ab "],
}

REJECTED = {  # most of these PostgreSQL would read, but not as written (or not at all)
    "smallint": [("32768", "fits smallint"), ("1.0", "digits only"), (" 1", "digits only"), ("1_000", "digits only"),
                 ("0x1F", "digits only"), ("1e3", "digits only")],
    "integer": [("2147483648", "fits integer"), ("-2147483649", "fits integer")],
    "bigint": [("9223372036854775808", "fits bigint")],
    "numeric": [("10000", "at most 4 integer digits (numeric(7,3))"),
                ("1.2345", "at most 3 fraction digits (numeric(7,3))"), ("1e2", "decimal number"),
                ("NaN", "decimal number"), ("Infinity", "decimal number"), ("1,5", "decimal number")],
    "real": [("3.4028236e38", "within real range"), ("1e-46", "within real range"), ("NaN", "finite"),
             ("inf", "finite"), ("0x1p3", "decimal number")],
    "double": [("1.8e308", "within double precision range"), ("1e-400", "within double precision range"),
               ("-Infinity", "finite"), (" 1", "decimal number"), ("1e5e", "decimal number"),
               ("1ee5", "decimal number"), ("0E2E", "decimal number"), ("1E+2E", "decimal number")],
    "boolean": [("t", "true or false"), ("yes", "true or false"), ("1", "true or false"), ("on", "true or false")],
    "date": [("2023-02-29", "real calendar date"), ("1900-02-29", "real calendar date"),
             ("0000-01-01", "real calendar"),
             ("2024-1-01", "YYYY-MM-DD"), ("20240101", "YYYY-MM-DD"), ("2024-01-01 ", "YYYY-MM-DD")],
    "timestamp": [("2024-01-01T24:00:00", "real calendar date and time"), ("2024-01-01T00:00:00.1234567", "at most 6"),
                  ("2024-01-01T00:00:60", "ISO 8601"), ("2024-01-01T00:00:00Z", "without an offset"),
                  ("2024-01-01T00", "ISO 8601")],
    "timestamptz": [("2024-05-01T12:30:00", "with offset or Z"), ("2024-05-01T12:30:00+16:00", "with offset or Z"),
                    ("2024-05-01T12:30:00.1234567Z", "at most 6 fraction digits"),
                    ("2024-05-01T12:30:00 UTC", "with offset or Z"), ("2024-05-01T12:30:00+05:60", "with offset")],
    "uuid": [("123e4567e89b12d3a456426614174000", "UUID"), ("{123e4567-e89b-12d3-a456-426614174000}", "UUID")],
    "varchar": [("abcdef", "at most 5 characters (varchar(5))"), ("abc   ", "at most 5 characters")],
    "char": [("ab", "exactly 3 characters (char(3))"), ("abcd", "exactly 3 characters (char(3))")],
}


@pytest.fixture(scope="module")
def contracts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("type-contracts")
    for name, pg in TYPES.items():
        (folder / f"{name}.yaml").write_text(
            f"file: lit-{name}.csv\ntable: lit_{name}\nmode: append\nprimary_key: [id]\n"
            f"columns:\n  id: {{type: integer}}\n  v: {{type: \"{pg}\"}}\n")
    return folder


@pytest.fixture
def typed_client(client: IngestClient, contracts_dir: Path, monkeypatch: pytest.MonkeyPatch) -> IngestClient:
    monkeypatch.setenv("TABLE_CONTRACTS", str(contracts_dir))
    return client


def _csv(literals: list[str]) -> bytes:
    return ("id,v\n" + "".join(f"{i},{v}\n" for i, v in enumerate(literals))).encode()


def _unquote(literal: str) -> str:
    return literal[1:-1].replace('""', '"') if literal.startswith('"') else literal


def _pg_text(name: str, value: object) -> str:
    """How PostgreSQL prints the value the validator parsed (DateStyle ISO, TimeZone UTC)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if name == "numeric":
        assert isinstance(value, Decimal)
        text = str(value.quantize(Decimal("0.001")))
        return "0.000" if text == "-0.000" else text
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        text = f"{moment.year:04d}-{moment:%m-%d %H:%M:%S}"
        text += f".{moment.microsecond:06d}".rstrip("0") if moment.microsecond else ""
        return text + ("+00" if value.tzinfo else "")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_accepted_literals_load_and_postgresql_reads_the_validated_value(typed_client, contracts_dir, name):
    literals = ACCEPTED[name]
    contract = load_contracts(contracts_dir).lookup(f"lit-{name}.csv")
    assert contract is not None
    rule = rule_for(contract.column("v")).type
    for literal in literals:
        assert rule_for(contract.column("v")).explain(_unquote(literal)) is None, literal

    outcome = typed_client.ingest(f"lit-{name}.csv", _csv(literals))

    assert outcome["status"] == "SUCCEEDED", outcome["errors"]
    rows = dict(_read(typed_client, name))
    for i, literal in enumerate(literals):
        text = _unquote(literal)
        expected = rule.value(text)
        if name in ("real", "double"):
            fmt = ">f" if name == "real" else ">d"
            assert rows[i] == struct.pack(fmt, expected), (literal, rows[i], expected)
        elif name == "char":
            assert rows[i] == text, literal  # bpchar as stored: exactly as written, never padded
        else:
            assert rows[i] == _pg_text(name, expected), (literal, rows[i], expected)


def _read(client: IngestClient, name: str) -> list[tuple[int, object]]:
    column = {"real": "float4send(v)", "double": "float8send(v)", "char": "v"}.get(name, "v::text")
    with client.engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL TimeZone = 'UTC'"))
        conn.execute(sa.text("SET LOCAL DateStyle = 'ISO, YMD'"))
        result = conn.execute(sa.text(f'SELECT id, {column} FROM "{client.schema}"."lit_{name}" ORDER BY id'))
        return [(r[0], bytes(r[1]) if isinstance(r[1], memoryview) else r[1]) for r in result]


@pytest.mark.parametrize(("name", "literal", "rule_part"),
                         [(n, lit, part) for n, cases in REJECTED.items() for lit, part in cases])
def test_rejected_literals_fail_with_the_type_rule_and_load_nothing(typed_client, name, literal, rule_part):
    quoted = f'"{literal}"' if "," in literal else literal

    outcome = typed_client.ingest(f"lit-{name}.csv", _csv([ACCEPTED[name][0], quoted]))

    assert outcome["status"] == "FAILED"
    [error] = outcome["errors"]
    assert (error["row"], error["column"], error["value"]) == (2, "v", literal)
    assert rule_part in error["rule"], error["rule"]
    assert typed_client.checksum(f"lit_{name}") == "absent"
