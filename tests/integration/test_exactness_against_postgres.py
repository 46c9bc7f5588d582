"""Bounds and uniqueness judge the value PostgreSQL stores, exactly: the three bugs a differential fuzzer found.

Each case goes through the handler (real moto, real PostgreSQL) with column `v` beside `note: text`,
append, and the server is asked what it makes of the same literals.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.client import IngestClient


@pytest.fixture
def contract_for(client: IngestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def write(column: str) -> IngestClient:
        (tmp_path / "v.yaml").write_text(f"file: v.csv\ntable: v\nmode: append\ncolumns:\n  v: {column}\n"
                                         "  note: {type: text}\n")
        monkeypatch.setenv("TABLE_CONTRACTS", str(tmp_path))
        return client

    return write


def _file(*values: str) -> bytes:
    return ("v,note\n" + "".join(f"{v},row {i}\n" for i, v in enumerate(values, 1))).encode()


def _server(client: IngestClient, sql: str) -> object:
    with client.engine.begin() as conn:
        return conn.execute(sa.text(sql)).scalar()


def test_a_real_bound_compares_the_one_rounding_postgresql_does(contract_for):
    client = contract_for("{type: real, maximum: 1}")
    literal = "1.000000059604644775390625000001"  # just above the midpoint of 1 and the next float4

    outcome = client.ingest("v.csv", _file(literal))

    assert _server(client, f"SELECT '{literal}'::real > 1") is True
    assert outcome["status"] == "FAILED"
    assert [(e["row"], e["column"], e["rule"]) for e in outcome["errors"]] == [(1, "v", "≤ 1")]


def test_a_real_bound_that_float4_cannot_hold_is_rounded_like_the_values(contract_for):
    client = contract_for("{type: real, maximum: 0.1}")

    outcome = client.ingest("v.csv", _file("0.1", "0.10000000149011612"))  # the same float4

    assert outcome["status"] == "SUCCEEDED", outcome["errors"]


def test_real_uniqueness_is_float4_equality(contract_for):
    client = contract_for("{type: real, unique: true}")
    same = ("1.0000001192092896", "1.000000178813934326171874999999")
    different = ("1", "1.000000059604644775390625000001")
    assert _server(client, f"SELECT '{same[0]}'::real = '{same[1]}'::real") is True
    assert _server(client, f"SELECT '{different[0]}'::real = '{different[1]}'::real") is False

    duplicate = client.ingest("v.csv", _file(*same))
    distinct = client.ingest("v.csv", _file(*different))

    assert duplicate["status"] == "FAILED"
    assert duplicate["errors"][0]["rule"].startswith("unique in the file (first at row 1)")
    assert distinct["status"] == "SUCCEEDED", distinct["errors"]


def test_numeric_uniqueness_keeps_every_digit(contract_for):
    client = contract_for('{type: "numeric(30,0)", unique: true}')

    outcome = client.ingest("v.csv", _file("123456789012345678901234567890", "123456789012345678901234567891"))
    repeat = client.ingest("v.csv", _file("123456789012345678901234567890", "0123456789012345678901234567890"))

    assert outcome["status"] == "SUCCEEDED", outcome["errors"]
    assert repeat["status"] == "FAILED" and repeat["errors"][0]["row"] == 2


@pytest.mark.parametrize("kind", ["numeric(18,2)", "numeric(20,2)"])  # int64-scaled and exact-decimal paths
def test_numeric_bounds_are_the_decimal_as_written(contract_for, kind):
    client = contract_for(f'{{type: "{kind}", maximum: 1234567890123456.89}}')

    inside = client.ingest("v.csv", _file("1234567890123456.89"))
    above = client.ingest("v.csv", _file("1234567890123456.90"))

    assert inside["status"] == "SUCCEEDED", inside["errors"]
    assert above["status"] == "FAILED"
    assert above["errors"][0]["rule"] == "≤ 1234567890123456.89"


def test_a_wide_numeric_bound_beyond_any_float_is_exact(contract_for):
    client = contract_for('{type: "numeric(30,4)", minimum: -49093491519217664985000.6196, '
                          'maximum: 12345678901234567.89}')

    outcome = client.ingest("v.csv", _file("-49093491519217664985000.6196", "12345678901234567.89"))
    beyond = client.ingest("v.csv", _file("12345678901234567.8901", "-49093491519217664985000.6197"))

    assert outcome["status"] == "SUCCEEDED", outcome["errors"]
    assert [e["row"] for e in beyond["errors"]] == [1, 2]
