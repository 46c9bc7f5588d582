"""PostgreSQL's own regression literals (tests/support/corpora) against the validator and the real server.

Every literal the validator accepts, PostgreSQL accepts too and reads as exactly the value the validator
approved (floats bit for bit). Every literal the validator refuses that PostgreSQL would read is a form the
README's type table lists as refused (the `DOCUMENTED` spellings below, one per line of that table).
"""

from __future__ import annotations

import json
import re
import struct
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from harness.stack import StackInfo
from lambda_function.checking.rules import check_column, rule_for
from lambda_function.contract.model import Column
from lambda_function.contract.pgtypes import parse_type

CORPUS = json.loads((Path(__file__).resolve().parents[1] / "support" / "corpora" / "pg_literals.json").read_text())
COLUMN_TYPES = {"int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real",
                "float8": "double precision", "numeric": "numeric(1000,500)", "date": "date",
                "timestamp": "timestamp", "timestamptz": "timestamptz", "uuid": "uuid", "bool": "boolean",
                "char": "char(4)", "varchar": "varchar(4)", "text": "text"}
PG_TYPES = {"char": "char(4)", "varchar": "varchar(4)"}

_BLANKS = re.compile(r"^\s|\s$")
_NON_DECIMAL = re.compile(r"(?i)^[+-]?\s*0[xob]|_")
_NAN_INF = re.compile(r"(?i)^\s*[+-]?\s*(nan|inf|infinity)\s*$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")
_OFFSET = re.compile(r"(Z|[+-]\d{2}(:?\d{2})?)$")

# The README's "refused" column, as tests: (what it says, does this literal have that form?)
DOCUMENTED: dict[str, list[tuple[str, Callable[[str], bool]]]] = {
    "integer": [
        ("blanks around the digits", lambda v: bool(_BLANKS.search(v))),
        ("0x/0o/0b forms and _ separators (PostgreSQL 16+)", lambda v: bool(_NON_DECIMAL.search(v))),
    ],
    "float": [
        ("NaN and ±Infinity", lambda v: bool(_NAN_INF.match(v))),
        ("blanks around the number", lambda v: bool(_BLANKS.search(v))),
    ],
    "numeric": [
        ("NaN and ±Infinity", lambda v: bool(_NAN_INF.match(v))),
        ("exponents", lambda v: "e" in v.lower() and not v.lower().lstrip(" +-").startswith(("0x", "0o", "0b"))),
        ("blanks around the number", lambda v: bool(_BLANKS.search(v))),
        ("0x/0o/0b forms and _ separators (PostgreSQL 16+)", lambda v: bool(_NON_DECIMAL.search(v))),
    ],
    "date": [
        ("any spelling but YYYY-MM-DD (month names, / . and other orders, BC/AD, special words)",
         lambda v: not _DATE_ONLY.match(v)),
    ],
    "timestamp": [
        ("any spelling but ISO 8601 date and time (month and zone names, special words, BC)",
         lambda v: not _ISO_DATE_TIME.match(v) or bool(re.search(r"[A-Za-z]{2,}", v))),
        ("a date alone", lambda v: bool(_DATE_ONLY.match(v))),
        ("24:00:00", lambda v: bool(re.search(r"[T ]24:00", v))),
        ("blanks before the offset", lambda v: bool(re.search(r"\d \s*[+-]\d", v))),
    ],
    "timestamp without offset": [("an offset (the column is timestamp, not timestamptz)",
                                  lambda v: bool(_ISO_DATE_TIME.match(v) and _OFFSET.search(v)))],
    "timestamp with offset": [("no offset (the column is timestamptz)",
                               lambda v: bool(_ISO_DATE_TIME.match(v) and not _OFFSET.search(v)))],
    "uuid": [("braces, no hyphens, other groupings", lambda v: len(v) != 36 or not v[8] == v[13] == "-")],
    "boolean": [("spellings the column does not list (default: true/false), blanks",
                 lambda v: v.strip().lower() not in ("true", "false") or v != v.strip())],
    "length": [("char(n)/varchar(n): a length PostgreSQL would pad or cut", lambda v: True)],
}
FAMILY = {"int2": "integer", "int4": "integer", "int8": "integer", "float4": "float", "float8": "float",
          "numeric": "numeric", "date": "date", "timestamp": "timestamp", "timestamptz": "timestamp",
          "uuid": "uuid", "bool": "boolean", "char": "length", "varchar": "length", "text": "length"}


def _verdicts(kind: str) -> tuple[list[str], list[str], Column]:
    column = Column("v", parse_type(COLUMN_TYPES[kind]))
    literals = [v for v in CORPUS[kind] if v != ""]  # an empty field is a missing value, not a literal
    ok = check_column(column, rule_for(column), literals)
    return ([v for v, good in zip(literals, ok, strict=True) if good],
            [v for v, good in zip(literals, ok, strict=True) if not good], column)


def _server(stack: StackInfo, sql: str, literals: list[str]) -> list[tuple[object, ...]]:
    engine = sa.create_engine(stack.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL TimeZone = 'UTC'"))
            conn.execute(sa.text("SET LOCAL DateStyle = 'ISO, YMD'"))
            return [tuple(r) for r in conn.execute(sa.text(sql), {"v": literals})]
    finally:
        engine.dispose()


def _reads(stack: StackInfo, kind: str, literals: list[str]) -> dict[str, object]:
    pg = PG_TYPES.get(kind, COLUMN_TYPES[kind])
    shown = {"float4": "float4send(l::real)", "float8": "float8send(l::float8)",
             "timestamptz": "l::timestamptz::text", "bool": "l::boolean"}.get(kind, f"l::{pg}::text")
    rows = _server(stack, f"SELECT l, {shown} FROM unnest(CAST(:v AS text[])) AS l", literals)
    return {r[0]: bytes(r[1]) if isinstance(r[1], memoryview) else r[1] for r in rows}  # type: ignore[misc]


def _same(kind: str, column: Column, literal: str, server: object) -> bool:
    value = rule_for(column).type.value(literal)
    if kind in ("int2", "int4", "int8"):
        return int(str(server)) == value
    if kind == "numeric":
        return Decimal(str(server)) == value
    if kind in ("float4", "float8"):
        return server == struct.pack(">f" if kind == "float4" else ">d", value)
    if kind == "date":
        return date.fromisoformat(str(server)) == value
    if kind in ("timestamp", "timestamptz"):
        moment = datetime.fromisoformat(str(server).replace(" ", "T") + (":00" if kind == "timestamptz" else ""))
        return moment == (value.astimezone(UTC) if kind == "timestamptz" else value)
    if kind == "uuid":
        return uuid.UUID(str(server)) == value
    return server == value


@pytest.mark.parametrize("kind", list(CORPUS))
def test_every_accepted_literal_reads_as_the_validated_value(stack: StackInfo, kind: str) -> None:
    accepted, _refused, column = _verdicts(kind)
    valid = dict(_server(stack, f"SELECT l, pg_input_is_valid(l, '{PG_TYPES.get(kind, COLUMN_TYPES[kind])}') "
                                "FROM unnest(CAST(:v AS text[])) AS l", accepted))
    assert [v for v in accepted if not valid[v]] == []  # nothing the server would refuse
    reads = _reads(stack, kind, accepted)

    assert [(v, reads[v]) for v in accepted if not _same(kind, column, v, reads[v])] == []
    assert accepted  # the corpus holds plain literals of every type


@pytest.mark.parametrize("kind", list(CORPUS))
def test_every_refused_literal_the_server_reads_is_a_documented_refusal(stack: StackInfo, kind: str) -> None:
    _accepted, refused, _column = _verdicts(kind)
    valid = dict(_server(stack, f"SELECT l, pg_input_is_valid(l, '{PG_TYPES.get(kind, COLUMN_TYPES[kind])}') "
                                "FROM unnest(CAST(:v AS text[])) AS l", refused))
    readable = [v for v in refused if valid[v]]
    forms = DOCUMENTED[FAMILY[kind]] + DOCUMENTED.get({"timestamp": "timestamp without offset",
                                                        "timestamptz": "timestamp with offset"}.get(kind, ""), [])

    assert [v for v in readable if not any(test(v) for _, test in forms)] == []
