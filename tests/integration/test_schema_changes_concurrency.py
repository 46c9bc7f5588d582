"""A safe schema change while appends into the same table run: it waits for them, and they are not disturbed.

Each invocation is its own process (as in AWS); steps are ordered by what pg_stat_activity shows. The
running append is held at its ledger entry (after its COPY, still holding the shared table lock) by a lock
this test takes on the ledger, so that the order does not depend on how fast 150,000 rows load.
"""

from __future__ import annotations

import multiprocessing
import shutil
from concurrent.futures import ProcessPoolExecutor

import sqlalchemy as sa

import fixtures
from lambda_function.contract import default_folder
from tests.support.activity import Watcher, function_env, wait_ready
from tests.support.client import IngestClient
from tests.support.reliability_worker import invoke_when

NOTE = "  note: {type: text, required: false, max_length: 40}\n"


def test_a_safe_change_waits_for_a_running_append_which_is_not_disturbed(client: IngestClient, make_csv, tmp_path,
                                                                          monkeypatch):
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    after.mkdir()
    shutil.copy(default_folder() / "test.yaml", before)
    (after / "test.yaml").write_text((default_folder() / "test.yaml").read_text() + NOTE)
    monkeypatch.setenv("TABLE_CONTRACTS", str(before))
    assert client.ingest("first/test.csv", make_csv("test", rows=10, seed=90).data)["status"] == "SUCCEEDED"
    client.messages()

    running = make_csv("test", rows=150_000, seed=91).data               # the old layout, still being deployed
    changing = fixtures.generate("test", 1_000, 92, contracts=after).data  # the new layout: note added
    queued = make_csv("test", rows=1_000, seed=93).data                  # the old layout again, after the change
    jobs = []
    for key, data, folder in [("a/test.csv", running, before), ("b/test.csv", changing, after),
                              ("c/test.csv", queued, before)]:
        put = client.upload(key, data)
        jobs.append(({**function_env(client), "TABLE_CONTRACTS": str(folder)}, client.s3_event(key, put["ETag"])))
    client.real_events(expect=len(jobs))
    go = [tmp_path / f"go-{i}" for i in range(len(jobs))]

    engine = sa.create_engine(client.stack.database_url)
    with Watcher(client, "test") as watcher, ProcessPoolExecutor(
            len(jobs), mp_context=multiprocessing.get_context("spawn")) as pool, engine.connect() as holder:
        futures = [pool.submit(invoke_when, env, event, str(flag)) for (env, event), flag in zip(jobs, go, strict=True)]
        wait_ready(go)
        # reads of the ledger pass; the running append's INSERT of its entry waits until this commits
        holder.execute(sa.text(f'LOCK TABLE "{client.schema}".ingest_ledger IN SHARE ROW EXCLUSIVE MODE'))
        go[0].touch()
        watcher.wait_for(lambda copying, waiting: copying >= 1)  # the old-layout append holds the shared lock
        go[1].touch()
        watcher.wait_for(lambda copying, waiting: waiting >= 1)  # the change waits for the exclusive one
        go[2].touch()
        watcher.wait_for(lambda copying, waiting: waiting >= 2)  # and the next append queues behind it
        holder.commit()
        results = [f.result(timeout=180) for f in futures]
    engine.dispose()

    outcomes = [r["outcomes"][0] for r in results]
    assert [o["status"] for o in outcomes] == ["SUCCEEDED"] * 3, results
    assert [o["rows_loaded"] for o in outcomes] == [150_000, 1_000, 1_000]
    assert [o["schema_changes"] for o in outcomes] == [
        [], [f'ALTER TABLE "{client.schema}"."test" ADD COLUMN "note" text'], []]
    assert max(copying for copying, _ in watcher.samples) == 1, "the change never shares the table"
    assert client.count("test") == 152_010
    assert client.query("SELECT count(note) FROM test")[0][0] > 0  # the new layout's values arrived
