"""Concurrent invocations, each its own process as in AWS: nothing doubled, nothing mixed."""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

from tests.support.client import IngestClient
from tests.support.reliability_worker import invoke_at


def _run_together(jobs: list[tuple[dict, dict]]) -> list[dict]:
    start_at = time.time() + 4.0  # every worker has imported the handler by then
    with ProcessPoolExecutor(len(jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(invoke_at, env, event, start_at) for env, event in jobs]
        return [f.result(timeout=120) for f in futures]


def _env(client: IngestClient) -> dict[str, str]:
    names = ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
             "AWS_SESSION_TOKEN", "DATABASE_URL", "SNS_TOPIC_ARN", "DB_SCHEMA")
    return {n: os.environ[n] for n in names if n in os.environ}


def test_same_event_to_four_concurrent_invocations_loads_once(client: IngestClient, make_csv):
    put = client.upload("test.csv", make_csv("test", rows=20_000, seed=41).data)
    client.real_events()
    event = client.s3_event("test.csv", put["ETag"])

    results = _run_together([(_env(client), event)] * 4)

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
        jobs.append((_env(client), client.s3_event(key, put["ETag"])))
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
