"""Concurrent invocations, each its own process as in AWS: nothing doubled, nothing mixed."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from tests.support.activity import Watcher, function_env, wait_ready
from tests.support.client import IngestClient
from tests.support.reliability_worker import invoke_at, invoke_when


def _run_together(jobs: list[tuple[dict, dict]]) -> list[dict]:
    start_at = time.time() + 4.0  # every worker has imported the handler by then
    with ProcessPoolExecutor(len(jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(invoke_at, env, event, start_at) for env, event in jobs]
        return [f.result(timeout=120) for f in futures]


def test_same_event_to_four_concurrent_invocations_loads_once(client: IngestClient, make_csv):
    put = client.upload("test.csv", make_csv("test", rows=20_000, seed=41).data)
    client.real_events()
    event = client.s3_event("test.csv", put["ETag"])

    results = _run_together([(function_env(client), event)] * 4)

    assert all("error" not in r for r in results), results
    statuses = sorted(r["outcomes"][0]["status"] for r in results)
    assert statuses == ["SKIPPED", "SKIPPED", "SKIPPED", "SUCCEEDED"]
    assert client.count("test") == 20_000
    assert sorted(m.body["status"] for m in client.messages()) == statuses


def test_concurrent_replaces_and_appends_are_each_all_or_nothing(client: IngestClient, make_csv):
    users_a = make_csv("users", rows=3_000, seed=51).data
    users_b = make_csv("users", rows=5_000, seed=52).data
    tests = [make_csv("test", rows=4_000, seed=60 + i).data for i in range(3)]
    jobs = []
    for key, data in [("a/users.csv", users_a), ("b/users.csv", users_b)] + [
            (f"t{i}/test.csv", d) for i, d in enumerate(tests)]:
        put = client.upload(key, data)
        jobs.append((function_env(client), client.s3_event(key, put["ETag"])))
    client.real_events(expect=len(jobs))

    results = _run_together(jobs)

    assert all("error" not in r for r in results), results
    assert [r["outcomes"][0]["status"] for r in results] == ["SUCCEEDED"] * 5
    assert client.count("test") == 3 * 4_000
    loaded = set(client.query("SELECT user_id, email FROM users"))
    as_a, as_b = (_user_keys(users_a), _user_keys(users_b))
    assert loaded in (as_a, as_b), "the replaced table must equal exactly one file, never a mix"


def _user_keys(data: bytes) -> set[tuple[int, str]]:
    import csv
    import io

    rows = csv.DictReader(io.StringIO(data.decode()))
    return {(int(r["user_id"]), r["email"]) for r in rows}


def test_two_appends_into_one_table_are_inside_copy_at_the_same_time(client: IngestClient, make_csv, tmp_path):
    files = [make_csv("test", rows=150_000, seed=70 + i).data for i in range(2)]
    # The table exists already (the first load into a new table creates it while others wait: load.py).
    assert client.ingest("first/test.csv", make_csv("test", rows=10, seed=69).data)["status"] == "SUCCEEDED"
    client.messages()

    jobs = []
    for i, data in enumerate(files):
        put = client.upload(f"a{i}/test.csv", data)
        jobs.append((function_env(client), client.s3_event(f"a{i}/test.csv", put["ETag"])))
    client.real_events(expect=len(jobs))
    go = [tmp_path / f"go-{i}" for i in range(len(jobs))]

    with Watcher(client, "test") as watcher, ProcessPoolExecutor(
            len(jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(invoke_when, env, event, str(flag)) for (env, event), flag in zip(jobs, go, strict=True)]
        wait_ready(go)  # both have imported the handler, whatever the machine's load
        for flag in go:
            flag.touch()
        results = [f.result(timeout=180) for f in futures]

    assert [r["outcomes"][0]["status"] for r in results] == ["SUCCEEDED", "SUCCEEDED"], results
    assert max(copying for copying, _ in watcher.samples) == 2, "appends share the table: both COPY at once"
    assert client.count("test") == 300_010


def test_a_replace_waits_for_a_running_append_and_a_later_append_waits_for_it(
        client: IngestClient, make_csv, tmp_path, monkeypatch):
    import shutil

    from lambda_function.contract import default_folder

    shutil.copy(default_folder() / "users.yaml", tmp_path)
    (tmp_path / "users_add.yaml").write_text(
        (default_folder() / "users.yaml").read_text().replace("file: users.csv", 'match: "users-add-*.csv"')
        .replace("mode: replace", "mode: append"))
    monkeypatch.setenv("TABLE_CONTRACTS", str(tmp_path))
    big_append = make_csv("users", rows=300_000, seed=52).data       # ids 761,251..1,061,250
    replacing = make_csv("users", rows=5_000, seed=53).data          # ids 1,372,061..1,377,060
    later_append = make_csv("users", rows=5_000, seed=54).data       # ids 1,949,821..1,954,820
    jobs = []
    for key, data in [("x/users-add-1.csv", big_append), ("x/users.csv", replacing),
                      ("x/users-add-2.csv", later_append)]:
        put = client.upload(key, data)
        jobs.append((function_env(client), client.s3_event(key, put["ETag"])))
    client.real_events(expect=len(jobs))
    go = [tmp_path / f"go-{i}" for i in range(len(jobs))]

    # Each step starts when the previous one is seen in pg_stat_activity, not after a guessed delay.
    with Watcher(client, "users") as watcher, ProcessPoolExecutor(
            len(jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(invoke_when, env, event, str(flag)) for (env, event), flag in zip(jobs, go, strict=True)]
        go[0].touch()
        watcher.wait_for(lambda copying, waiting: copying >= 1)   # the append holds the table (shared)
        go[1].touch()
        watcher.wait_for(lambda copying, waiting: waiting >= 1)   # the replace waits for it
        go[2].touch()
        watcher.wait_for(lambda copying, waiting: waiting >= 2)   # and the later append waits behind it
        results = [f.result(timeout=180) for f in futures]

    assert [r["outcomes"][0]["status"] for r in results] == ["SUCCEEDED"] * 3, results
    assert max(copying for copying, _ in watcher.samples) == 1, "a replace never shares the table"
    assert max(waiting for _, waiting in watcher.samples) == 2, "the replace and the later append both waited"
    # Order: the running append, then the replace (wiping it), then the append that queued behind it.
    ids = {row[0] for row in client.query("SELECT user_id FROM users")}
    assert len(ids) == 10_000 and min(ids) > 1_372_060 and max(ids) <= 1_954_820
