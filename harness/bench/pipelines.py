"""The pipelines `harness bench` compares, each loading one uploaded object into an empty table.

- ideal: S3 GET streamed straight into `COPY … FROM STDIN` (HEADER true), no parsing at all, into a
  table with the handler's own DDL (typed columns, primary key): the floor any loader pays.
- handler: `lambda_function.lambda_handler` in a fresh process per run (harness.bench.worker).
- naive: the seed's approach, pandas `read_csv` + `DataFrame.to_sql` with defaults.
Each run gets a fresh schema, dropped afterwards (the rows are counted first).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

from harness.stack import StackInfo, stack_client
from lambda_function.contract import Contract
from lambda_function.loading.ddl import copy_sql, create_table_sql, ident, qualified
from lambda_function.reading.objects import CHUNK_BYTES  # the ideal pipeline streams S3 as the handler does

SOURCE_ROOT = Path(__file__).resolve().parents[2]
# Run as a script, not with -m: with --handler-dir, PYTHONPATH names another checkout whose harness may differ.
WORKER = str(Path(__file__).with_name("worker.py"))
WORKER_TIMEOUT_S = 1800


class BenchError(RuntimeError):
    """A pipeline did not load what it should have: the figures would be meaningless."""


@dataclass(frozen=True)
class Uploaded:
    key: str
    etag: str
    size: int
    rows: int
    rejected: int = 0  # records the validator sets aside (bench --reject-every): the handler loads rows - rejected


def fresh_schema(label: str) -> str:
    return f"bench_{label}_{uuid.uuid4().hex[:8]}"


def upload(stack: StackInfo, path: Path, key: str, rows: int, rejected: int = 0) -> Uploaded:
    s3 = stack_client(stack, "s3")
    with path.open("rb") as body:
        response = s3.put_object(Bucket=stack.bucket, Key=key, Body=body)
    return Uploaded(key, response["ETag"].strip('"'), path.stat().st_size, rows, rejected)


def count_and_drop(stack: StackInfo, schema: str, table: str) -> int:
    with psycopg.connect(stack.pg_url, autocommit=True) as conn:
        # identifiers only, quoted by sql.ident()
        row = conn.execute(f"SELECT count(*) FROM {qualified(schema, table)}").fetchone()  # noqa: S608
        conn.execute(f"DROP SCHEMA IF EXISTS {ident(schema)} CASCADE")
    return int(row[0]) if row else 0


def run_ideal(stack: StackInfo, spec: Contract, obj: Uploaded) -> float:
    """Seconds for GET + COPY of the unparsed bytes (table created before the clock starts)."""
    schema = fresh_schema("ideal")
    s3 = stack_client(stack, "s3")
    with psycopg.connect(stack.pg_url) as conn:
        conn.execute(f"CREATE SCHEMA {ident(schema)}")
        conn.execute(create_table_sql(schema, spec))
        conn.commit()
        started = time.perf_counter()
        body = s3.get_object(Bucket=stack.bucket, Key=obj.key)["Body"]
        with conn.cursor() as cur, cur.copy(_copy_with_header(schema, spec)) as copy:
            for chunk in body.iter_chunks(CHUNK_BYTES):
                copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - started
    _expect(count_and_drop(stack, schema, spec.table), obj.rows, "ideal")
    return seconds


def _copy_with_header(schema: str, spec: Contract) -> str:
    # The benchmark files carry the spec's column order; HEADER true makes COPY skip the header line. The
    # file's own dialect (marker, encoding) is read as the handler reads it, or real files would not load.
    statement = copy_sql(qualified(schema, spec.table), list(spec.column_names), [], spec.delimiter, spec.missing,
                         spec.text_encoding.postgres)
    return statement.replace("HEADER false", "HEADER true")


def run_naive(stack: StackInfo, spec: Contract, obj: Uploaded) -> float:
    """Seconds for the seed's approach: the whole object into a DataFrame, then to_sql with defaults."""
    import pandas as pd
    import sqlalchemy as sa

    schema = fresh_schema("naive")
    engine = sa.create_engine(stack.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {ident(schema)}"))
        s3 = stack_client(stack, "s3")
        started = time.perf_counter()
        body = s3.get_object(Bucket=stack.bucket, Key=obj.key)["Body"]
        frame = pd.read_csv(body, sep=spec.delimiter, encoding=spec.text_encoding.codec,
                            na_values=[spec.missing] if spec.missing else None)
        frame.to_sql(spec.table, engine, schema=schema, index=False)
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    _expect(count_and_drop(stack, schema, spec.table), obj.rows, "naive")
    return seconds


@dataclass(frozen=True)
class HandlerRun:
    cold_seconds: float
    cold_vmhwm_mb: float
    warm_seconds: float | None
    import_seconds: float


def run_handler(stack: StackInfo, spec: Contract, obj: Uploaded, warm: Uploaded | None = None,
                handler_dir: Path | None = None) -> HandlerRun:
    """The handler in a fresh process (cold), then, if `warm` is given, a second invocation in it.

    `handler_dir`: a checkout whose `lambda_function` to measure instead of this one (before/after).
    """
    schema = fresh_schema("handler")
    steps = [{"key": obj.key, "etag": obj.etag, "size": obj.size}]
    if warm is not None:
        steps.append({"key": warm.key, "etag": warm.etag, "size": warm.size, "empty_table_first": True})
    plan = {"bucket": stack.bucket, "schema": schema, "table": spec.table, "invocations": steps}
    env = {**os.environ, **stack.lambda_environment(), "SNS_TOPIC_ARN": stack.topic_arn, "DB_SCHEMA": schema,
           "POWERTOOLS_LOG_LEVEL": "WARNING", "PYTHONPATH": str(handler_dir or SOURCE_ROOT)}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        plan_path, result_path = Path(tmp) / "plan.json", Path(tmp) / "result.json"
        plan_path.write_text(json.dumps(plan))
        proc = subprocess.run([sys.executable, WORKER, str(plan_path), str(result_path)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              timeout=WORKER_TIMEOUT_S, check=False)
        if proc.returncode != 0 or not result_path.exists():
            raise BenchError(f"handler process failed ({proc.returncode}): {proc.stderr[-2000:]}")
        result = json.loads(result_path.read_text())
    status = "PARTIAL" if obj.rejected else "SUCCEEDED"
    for run in result["runs"]:
        if run["status"] != status or run["rows_loaded"] != obj.rows - obj.rejected:
            raise BenchError(f"handler run on {run['key']}: {run['status']}, {run['rows_loaded']} rows, "
                             f"errors {run['errors']}")
    _expect(count_and_drop(stack, schema, spec.table), obj.rows - obj.rejected, "handler")
    cold = result["runs"][0]
    return HandlerRun(cold["seconds"], cold["vmhwm_mb"],
                      result["runs"][1]["seconds"] if warm is not None else None, result["import_seconds"])


def run_check(spec: Contract, path: Path, rows: int, contracts: Path | None, handler_dir: Path | None = None) -> float:
    """CPU seconds of the handler's checks over the file, in a fresh process of that version of the code."""
    plan = {"mode": "check", "path": str(path), "table": spec.table,
            "contracts": str(contracts) if contracts else None}
    env = {**os.environ, "PYTHONPATH": str(handler_dir or SOURCE_ROOT)}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        plan_path, result_path = Path(tmp) / "plan.json", Path(tmp) / "result.json"
        plan_path.write_text(json.dumps(plan))
        proc = subprocess.run([sys.executable, WORKER, str(plan_path), str(result_path)], env=env,
                              capture_output=True, text=True, timeout=WORKER_TIMEOUT_S, check=False)
        if proc.returncode != 0 or not result_path.exists():
            raise BenchError(f"check process failed ({proc.returncode}): {proc.stderr[-2000:]}")
        result = json.loads(result_path.read_text())
    if result["rows"] != rows:
        raise BenchError(f"the handler's checks read {result['rows']:,} rows of {path.name}, expected {rows:,}")
    return float(result["cpu_seconds"])


def import_seconds() -> float:
    """Importing the handler in a fresh interpreter (what a cold start pays before the handler runs)."""
    code = ("import time; t = time.perf_counter(); from lambda_function import lambda_handler; "
            "print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return float(out.stdout.strip().splitlines()[-1])


def _expect(found: int, expected: int, pipeline: str) -> None:
    if found != expected:
        raise BenchError(f"{pipeline} loaded {found:,} rows, expected {expected:,}")
