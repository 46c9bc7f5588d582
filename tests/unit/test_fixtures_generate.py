"""Clean generated files: deterministic, well-formed CSV, realistic and varied, streamable."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import math
import os
import re
import subprocess
import sys
from collections import Counter

import pytest

import fixtures
from fixtures.csvtext import parse, quote, records_to_bytes
from fixtures.schema import LATEST_DAY

TABLES = ("users", "test")
ISO_ALPHA2 = re.compile(r"^[A-Z]{2}$")
OFFSET_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?(Z|[+-]\d\d:\d\d)$")


def records(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""), strict=True))


@pytest.mark.parametrize("table", TABLES)
def test_same_seed_and_size_give_identical_bytes(table: str) -> None:
    assert fixtures.generate(table, 500, 11).data == fixtures.generate(table, 500, 11).data


@pytest.mark.parametrize("table", TABLES)
def test_different_seeds_give_different_files(table: str) -> None:
    assert fixtures.generate(table, 200, 1).data != fixtures.generate(table, 200, 2).data


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("rows", [0, 1, 7, 1234])
def test_row_count_and_header_in_design_order(table: str, rows: int) -> None:
    made = fixtures.generate(table, rows, 5)
    parsed = parse(made.data)
    assert parsed[0] == list(fixtures.TABLES[table].columns)
    assert len(parsed) - 1 == rows == made.rows
    assert all(len(record) == len(parsed[0]) for record in parsed)
    assert made.object_name == f"{table}.csv"


@pytest.mark.parametrize("table", TABLES)
def test_plain_lf_line_endings_and_standard_quoting(table: str) -> None:
    data = fixtures.generate(table, 3000, 3).data
    assert b"\r" not in data
    assert data.endswith(b"\n")
    # Re-serialising with the csv module (QUOTE_MINIMAL, "\n") reproduces the file byte for byte.
    assert records_to_bytes(parse(data)) == data


@pytest.mark.parametrize("value", ["plain", "a,b", 'say "hi"', "two\nlines", "", " spaced ", "naïve;x"])
def test_quote_matches_csv_module(value: str) -> None:
    expected = records_to_bytes([[value, "x"]]).decode().removesuffix(",x\n")
    assert quote(value) == expected


def test_quote_also_protects_a_lone_carriage_return() -> None:
    # csv.writer with lineterminator "\n" leaves "\r" bare, which readers (PostgreSQL too) take for
    # a line end; no generated value holds "\r", but quote() is safe anyway.
    assert quote("cr\rhere") == '"cr\rhere"'


def test_users_are_realistic_and_varied() -> None:
    rows = records(fixtures.generate("users", 5000, 8).data)
    names = [r["full_name"] for r in rows]
    assert any(not n.isascii() for n in names)  # accents and other scripts
    assert any(re.search(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]", n) for n in names)  # CJK
    assert any("'" in n for n in names) and any("," in n for n in names) and any('"' in n for n in names)
    assert all(0 < len(n.strip()) <= 200 for n in names)
    emails = [r["email"] for r in rows]
    assert len({e.casefold() for e in emails}) == len(emails)
    assert all(re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", e) for e in emails)
    assert any(e != e.lower() for e in emails)
    assert all(ISO_ALPHA2.match(r["country_code"]) for r in rows)
    dates = [dt.date.fromisoformat(r["signup_date"]) for r in rows]
    assert max(dates) <= LATEST_DAY <= dt.datetime.now(dt.UTC).date()
    assert {r["is_active"] for r in rows} >= {"true", "false", "TRUE", "False"}
    ids = [int(r["user_id"]) for r in rows]
    assert len(set(ids)) == len(ids) and min(ids) >= 1


def test_measurements_are_realistic_and_varied() -> None:
    rows = records(fixtures.generate("test", 5000, 8).data)
    assert len({r["test_id"] for r in rows}) == len(rows)
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", r["test_id"])
               for r in rows)  # fmt: skip
    values = [float(r["value"]) for r in rows]
    assert all(math.isfinite(v) for v in values)
    assert all(repr(float(r["value"])) == r["value"] for r in rows)  # repr text: round-trips bit-exact
    magnitudes = {math.floor(math.log10(abs(v))) for v in values if v}
    assert min(magnitudes) < -100 and max(magnitudes) > 100
    assert any(v < 0 for v in values)
    assert any(len(r["value"].lstrip("-").replace(".", "")) >= 16 for r in rows)  # many significant digits
    stamps = [r["measured_at"] for r in rows]
    assert all(OFFSET_TS.match(s) for s in stamps)
    assert {s[-1] for s in stamps} >= {"Z"} and any(s.endswith("+05:45") for s in stamps)
    assert all(dt.datetime.fromisoformat(s).tzinfo is not None for s in stamps)
    passed = Counter(r["passed"] for r in rows)
    assert passed[""] > 0 and passed["true"] > 0 and passed["false"] > 0
    assert all(1 <= len(r["assay"]) <= 100 and 1 <= len(r["unit"]) <= 20 for r in rows)


def test_test_rows_reference_users_of_the_same_seed() -> None:
    users = {r["user_id"] for r in records(fixtures.generate("users", 300, 21).data)}
    tests = records(fixtures.generate("test", 2000, 21, users=300).data)
    assert {r["user_id"] for r in tests} <= users
    assert min(int(u) for u in users) == fixtures.user_id_base(21) + 1


def test_streamed_gzip_file_equals_in_memory_bytes(tmp_path) -> None:
    rows = 20_000  # the streaming path at a modest size; the chunk boundary has its own test
    written = fixtures.write(tmp_path / "test.csv.gz", "test", rows, 4, gzipped=True)
    raw = (tmp_path / "test.csv.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # gzip mtime 0
    data = gzip.decompress(raw)
    assert data == fixtures.generate("test", rows, 4).data
    assert len(parse(data)) - 1 == rows == written.rows
    assert written.size == len(raw) and written.gzipped
    again = fixtures.write(tmp_path / "other-name.gz", "test", rows, 4, gzipped=True)
    assert again.path.read_bytes() == raw  # the file name does not leak into the gzip header


def test_chunks_join_across_the_chunk_boundary() -> None:
    rows = fixtures.CHUNK_ROWS + 3
    chunks = list(fixtures.iter_chunks("users", rows, 2))
    assert len(chunks) == 3  # header + a full chunk + 3 rows
    ids = [int(r["user_id"]) for r in records(b"".join(chunks))]
    assert ids == list(range(ids[0], ids[0] + rows))


def test_gzipped_helper_is_deterministic() -> None:
    made = fixtures.generate("users", 100, 1)
    assert made.gzipped() == made.gzipped()
    assert gzip.decompress(made.gzipped()) == made.data


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"rows": -1}, "rows"), ({"seed": -3}, "seed"), ({"users": 0}, "users"), ({"table": "orders"}, "table")],
)
def test_bad_arguments_are_refused(kwargs: dict, message: str) -> None:
    args = {"table": "test", "rows": 1, "seed": 0, **kwargs}
    users = args.pop("users", 1000)
    with pytest.raises(ValueError, match=message):
        fixtures.generate(args["table"], args["rows"], args["seed"], users=users)


def test_bad_arguments_fail_before_a_file_is_written(tmp_path) -> None:
    with pytest.raises(ValueError, match="seed"):
        fixtures.write(tmp_path / "users.csv", "users", 10, -1)
    assert not (tmp_path / "users.csv").exists()


def test_output_does_not_depend_on_the_process(tmp_path) -> None:
    # Fresh interpreters with different hash seeds: no set/dict order or per-process state leaks in.
    script = (
        "import hashlib, fixtures\n"
        "for table in ('users', 'test'):\n"
        "    print(hashlib.sha256(fixtures.generate(table, 400, 12, 'duplicate_header').data).hexdigest())\n"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        digests.add(done.stdout)
    in_process = "".join(
        hashlib.sha256(fixtures.generate(t, 400, 12, "duplicate_header").data).hexdigest() + "\n"
        for t in ("users", "test")
    )
    assert digests == {in_process}
