"""Files as R, SAS, Excel and instruments write them: a missing-value marker, another encoding, boolean
spellings, optional columns left out. Each against the real server: what the validator accepts, COPY reads
as the same value; what it refuses, COPY refuses too (or the README says why the validator is stricter).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from harness.stack import StackInfo
from lambda_function.checking import validate_stream
from lambda_function.contract import load_contracts
from lambda_function.loading.ddl import copy_sql
from lambda_function.reading.text_encodings import ENCODINGS
from tests.support.client import IngestClient


@pytest.fixture
def contracts(client: IngestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def write(*documents: str) -> IngestClient:
        for i, text in enumerate(documents):
            (tmp_path / f"c{i}.yaml").write_text(text)
        monkeypatch.setenv("TABLE_CONTRACTS", str(tmp_path))
        return client

    return write


def _server_reads(stack: StackInfo, data: bytes, encoding: str) -> str | None:
    """What COPY (the handler's options) makes of a one-column file: the text, or None when it refuses."""
    with psycopg.connect(stack.pg_url, autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS bytes_probe (t text)")
        conn.execute("TRUNCATE bytes_probe")
        try:
            with conn.cursor().copy(copy_sql("bytes_probe", ["t"], [], ",", "", ENCODINGS[encoding].postgres)) as copy:
                copy.write(data)
        except psycopg.Error:
            return None
        row = conn.execute("SELECT t FROM bytes_probe").fetchone()
        return None if row is None else row[0]


@pytest.mark.parametrize("encoding", ["windows-1252", "latin-1", "iso-8859-15"])
def test_every_byte_reads_the_same_in_the_validator_and_in_copy(stack: StackInfo, tmp_path: Path, encoding: str):
    (tmp_path / "b.yaml").write_text(f"file: b.csv\ntable: b\nmode: append\ndialect: {{encoding: {encoding}}}\n"
                                     "columns:\n  t: {type: text}\n")
    contract = load_contracts(tmp_path).lookup("b.csv")
    assert contract is not None
    disagreements = []
    for byte in range(256):
        field = b'"x' + (b'""' if byte == 0x22 else bytes([byte])) + b'y"'
        validator = validate_stream([b"t\n" + field + b"\n"], contract).ok
        server = _server_reads(stack, field + b"\n", encoding)
        expected = None
        if validator:
            expected = "x" + bytes([byte]).decode(ENCODINGS[encoding].codec) + "y"
        if validator != (server is not None) or (validator and server != expected):
            disagreements.append((hex(byte), validator, server))

    assert disagreements == []


def test_utf8_multibyte_characters_and_broken_sequences(stack: StackInfo, tmp_path: Path):
    (tmp_path / "u.yaml").write_text("file: u.csv\ntable: u\nmode: append\ncolumns:\n  t: {type: text}\n")
    contract = load_contracts(tmp_path).lookup("u.csv")
    assert contract is not None
    samples = ["é".encode(), "日本".encode(), "😀".encode(), "\ufffd".encode(), b"\xc3\x28", b"\xc0\x80",
               b"\xed\xa0\x80", b"\xf5\x80\x80\x80", b"\xe6\x97", b"\x80"]
    for sample in samples:
        field = b'"' + sample + b'"'
        validator = validate_stream([b"t\n" + field + b"\n"], contract).ok
        server = _server_reads(stack, field + b"\n", "utf-8")
        assert validator == (server is not None), sample
        if validator:
            assert server == sample.decode()


TYPED = {"i": "integer", "n": '"numeric(6,2)"', "r": "real", "d": "date", "ts": "timestamptz", "u": "uuid",
         "b": "boolean", "t": "text"}
VALUES = {"i": "7", "n": "1.25", "r": "2.5", "d": "2024-01-02", "ts": "2024-01-02T03:04:05Z",
          "u": "123e4567-e89b-12d3-a456-426614174000", "b": "true", "t": "hello"}


def _marker_contract(required: bool = False) -> str:
    columns = "".join(f"  {c}: {{type: {t}, required: {'true' if required else 'false'}}}\n" for c, t in TYPED.items())
    return "file: m.csv\ntable: m\nmode: append\ndialect: {missing: NA}\ncolumns:\n  k: {type: integer}\n" + columns


def test_an_unquoted_marker_is_null_in_every_type_and_a_quoted_one_is_text(contracts):
    client = contracts(_marker_contract())
    names = list(TYPED)
    rows = ["1," + ",".join("NA" for _ in names), "2," + ",".join(VALUES[c] for c in names),
            "3," + ",".join('"NA"' if c == "t" else "NA" for c in names)]
    data = ("k," + ",".join(names) + "\n" + "\n".join(rows) + "\n").encode()

    outcome = client.ingest("m.csv", data)

    assert outcome["status"] == "SUCCEEDED", outcome["errors"]
    nulls = client.query("SELECT k, " + ", ".join(f"{c} IS NULL" for c in names) + " FROM m ORDER BY k")
    assert nulls == [(1, *[True] * len(names)), (2, *[False] * len(names)),
                     (3, *[c != "t" for c in names])]
    assert client.query("SELECT t FROM m WHERE k = 3") == [("NA",)]


@pytest.mark.parametrize("column", [c for c in TYPED if c != "t"])
def test_a_quoted_marker_or_an_empty_field_in_a_typed_column_is_refused_as_postgresql_would(contracts, stack, column):
    client = contracts(_marker_contract())
    for field, rule in (('"NA"', None), ("", "an empty field is not missing here")):
        data = f"k,{column}\n1,{field}\n".encode()
        outcome = client.ingest("m.csv", data)
        assert outcome["status"] == "FAILED", (column, field)
        [error] = outcome["errors"]
        assert (error["row"], error["column"]) == (1, column)
        if rule:
            assert rule in error["rule"]


def test_an_empty_field_under_a_marker_is_an_empty_text(contracts):
    client = contracts(_marker_contract())

    outcome = client.ingest("m.csv", b'k,t\n1,\n2,""\n3,NA\n')

    assert outcome["status"] == "SUCCEEDED", outcome["errors"]
    assert client.query("SELECT k, t FROM m ORDER BY k") == [(1, ""), (2, ""), (3, None)]


def test_a_marker_in_a_required_column_is_a_required_value_left_empty(contracts):
    client = contracts(_marker_contract(required=True))

    outcome = client.ingest("m.csv", ("k," + ",".join(TYPED) + "\n1," + ",".join(
        "NA" if c == "i" else VALUES[c] for c in TYPED) + "\n").encode())

    assert outcome["status"] == "FAILED"
    assert [(e["row"], e["column"], e["value"]) for e in outcome["errors"]] == [(1, "i", "NA")]
    assert "required" in outcome["errors"][0]["rule"]


def test_every_boolean_spelling_postgresql_reads_loads_as_its_value(contracts):
    client = contracts("file: f.csv\ntable: f\nmode: append\ncolumns:\n  k: {type: integer}\n"
                       "  b: {type: boolean, true_values: [t, 'true', y, 'yes', 'on', '1'],"
                       " false_values: [f, 'false', n, 'no', 'off', '0']}\n")
    spellings = {"t": True, "TRUE": True, "y": True, "Yes": True, "ON": True, "1": True,
                 "F": False, "false": False, "n": False, "NO": False, "Off": False, "0": False}
    data = ("k,b\n" + "".join(f"{i},{s}\n" for i, s in enumerate(spellings))).encode()

    outcome = client.ingest("f.csv", data)

    assert outcome["status"] == "SUCCEEDED", outcome["errors"]
    assert [b for _, b in client.query("SELECT k, b FROM f ORDER BY k")] == list(spellings.values())


def test_a_boolean_spelling_the_column_does_not_list_is_refused(contracts):
    client = contracts("file: f.csv\ntable: f\nmode: append\ncolumns:\n  k: {type: integer}\n"
                       "  b: {type: boolean, true_values: ['1'], false_values: ['0']}\n")

    outcome = client.ingest("f.csv", b"k,b\n1,1\n2,true\n3,0\n")

    assert outcome["status"] == "FAILED"
    assert [(e["row"], e["value"], e["rule"]) for e in outcome["errors"]] == [(2, "true", "1 or 0 (any case)")]


@pytest.mark.parametrize("mode", ["append", "replace", "upsert"])
def test_an_optional_column_may_be_absent_from_the_header(contracts, mode):
    client = contracts(f"file: o.csv\ntable: o\nmode: {mode}\nprimary_key: [k]\ncolumns:\n  k: {{type: integer}}\n"
                       "  note: {type: text, required: false}\n  size: {type: integer, required: false}\n")
    first = client.ingest("o.csv", b"k,note,size\n1,one,10\n2,two,20\n")

    second = client.ingest("sub/o.csv", b"size,k\n30,3\n" + (b"40,1\n" if mode == "upsert" else b""))

    assert first["status"] == second["status"] == "SUCCEEDED", (first["errors"], second["errors"])
    rows = client.query("SELECT k, note, size FROM o ORDER BY k")
    expected = {"append": [(1, "one", 10), (2, "two", 20), (3, None, 30)],
                "replace": [(3, None, 30)],
                "upsert": [(1, "one", 40), (2, "two", 20), (3, None, 30)]}[mode]
    assert rows == expected  # upsert: note, absent from the file, keeps its stored value


def test_a_required_column_missing_from_the_header_is_named(contracts):
    client = contracts("file: o.csv\ntable: o\nmode: append\ncolumns:\n  k: {type: integer}\n"
                       "  note: {type: text, required: false}\n")

    outcome = client.ingest("o.csv", b"note\nx\n")

    assert outcome["status"] == "FAILED"
    assert outcome["errors"] == [{"row": None, "column": "k", "value": None,
                                  "rule": "required column missing from the header"}]
