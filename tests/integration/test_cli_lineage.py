"""The lineage story through the real CLI on its own stack (README, "Where did this row come from?").

`harness up --contracts` with a replace_file contract that unloads on removal: three daily files, a corrected
second day, the third deleted (its ObjectRemoved event through `harness watch`), `harness loads` showing all of
it, a row joined to the object version and contract it came from, and `harness unload` by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from harness import state
from harness.cli import app
from harness.stack import stack_client

runner = CliRunner()
READINGS = """match: "readings-*.csv"
table: readings
mode: replace_file
on_object_removed: unload
primary_key: [sensor, taken_at]
columns:
  sensor:   {type: text}
  taken_at: {type: timestamptz}
  celsius:  {type: "numeric(5,1)"}
"""


def _run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def day(path: Path, n: int, offset: float = 0.0) -> Path:
    rows = "".join(f"s{s},2026-12-0{n}T{h:02d}:00:00Z,{s + h / 10 + offset:.1f}\n" for s in (1, 2) for h in range(3))
    path.write_text("sensor,taken_at,celsius\n" + rows)
    return path


@pytest.fixture(scope="module")
def stack_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("lineage")
    (root / "contracts").mkdir()
    (root / "contracts" / "readings.yaml").write_text(READINGS)
    directory = root / ".harness"
    code, output = _run("up", "--state-dir", str(directory), "--contracts", str(root / "contracts"))
    assert code == 0, output
    yield directory
    _run("down", "--state-dir", str(directory))


def test_three_days_a_correction_and_a_deletion_as_the_ledger_and_the_rows_tell_it(stack_dir: Path,
                                                                                    tmp_path: Path):
    where = ("--state-dir", str(stack_dir))
    info = state.require(stack_dir)
    events = stack_client(info, "s3").get_bucket_notification_configuration(Bucket=info.bucket)
    assert {e for c in events["QueueConfigurations"] for e in c["Events"]} == {"s3:ObjectCreated:*",
                                                                            "s3:ObjectRemoved:*"}
    for n in (1, 2, 3):
        code, output = _run("replay", str(day(tmp_path / f"r{n}.csv", n)), "--key", f"daily/readings-2026-12-0{n}.csv",
                            "--no-logs", *where)
        assert code == 0 and "6 rows loaded" in output, output
    code, output = _run("replay", str(day(tmp_path / "r2c.csv", 2, offset=0.05)), "--key",
                        "daily/readings-2026-12-02.csv", "--no-logs", *where)
    assert code == 0 and "6 rows loaded, 6 of the earlier version replaced (load 4)" in output, output

    stack_client(info, "s3").delete_object(Bucket=info.bucket, Key="daily/readings-2026-12-03.csv")
    code, output = _run("watch", "--max-events", "1", "--no-logs", *where)
    assert code == 0 and "UNLOADED daily/readings-2026-12-03.csv -> readings: 6 rows removed (loads [3])" in output

    code, output = _run("loads", "--json", *where)
    loads = json.loads(output)
    assert [(e["load_id"], e["key"][-6:], e["status"], e["rows_loaded"], e["rows_removed"], e["replaced_by"],
             e["unloaded_at"] is not None) for e in loads] == [
        (1, "01.csv", "SUCCEEDED", 6, 0, None, False), (2, "02.csv", "SUCCEEDED", 6, 0, 4, True),
        (3, "03.csv", "SUCCEEDED", 6, 0, None, True), (4, "02.csv", "SUCCEEDED", 6, 6, None, False),
        (5, "03.csv", "UNLOADED", 0, 6, None, False)]
    assert len({e["contract"] for e in loads}) == 1
    code, table = _run("loads", "--key", "daily/readings-2026-12-02.csv", *where)
    assert "replaced by load 4" in table and "readings-2026-12-01" not in table
    code, output = _run("messages", "--status", "UNLOADED", *where)
    assert output.count("UNLOADED readings-2026-12-03.csv -> readings: UNLOADED, 6 rows removed") == 1

    with psycopg.connect(info.pg_url) as conn:
        joined = conn.execute(
            "SELECT t.sensor, t.taken_at::date::text, t.celsius::text, l.object_key, l.etag, l.contract "
            "FROM readings t JOIN ingest_ledger l ON l.load_id = t._ingest_load_id "
            "WHERE t.sensor = 's1' AND t.taken_at = '2026-12-02T01:00:00Z'").fetchall()
        days = conn.execute("SELECT taken_at::date::text, count(*) FROM readings GROUP BY 1 ORDER BY 1").fetchall()
    assert joined == [("s1", "2026-12-02", "1.2", "daily/readings-2026-12-02.csv", loads[3]["etag"],
                       loads[3]["contract"])]  # the corrected value, from the corrected version
    assert days == [("2026-12-01", 6), ("2026-12-02", 6)]


def test_unload_by_hand_asks_first_and_refuses_a_key_without_a_contract(stack_dir: Path, tmp_path: Path):
    where = ("--state-dir", str(stack_dir))
    key = "byhand/readings-2026-12-09.csv"
    code, output = _run("replay", str(day(tmp_path / "r9.csv", 9)), "--key", key, "--no-logs", *where)
    assert code == 0, output

    declined = _run("unload", key, *where, stdin="n\n")
    done = _run("unload", key, "--yes", *where)
    again = _run("unload", key, "--yes", *where)
    refused = _run("unload", "byhand/other.csv", "--yes", *where)

    assert declined[0] == 2 and "remove 6 rows of 1 load(s) of byhand/readings-2026-12-09.csv" in declined[1]
    assert done[0] == 0 and "UNLOADED byhand/readings-2026-12-09.csv -> readings: 6 rows removed" in done[1]
    assert again[0] == 0 and "nothing loaded from byhand/readings-2026-12-09.csv is left to unload" in again[1]
    assert refused[0] == 1 and "'byhand/other.csv' is not a whitelisted name" in refused[1]
    code, output = _run("loads", "--key", key, "--json", *where)
    assert [e["status"] for e in json.loads(output)] == ["SUCCEEDED", "UNLOADED"]
