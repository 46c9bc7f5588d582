"""One handler process for `harness bench`: like a Lambda cold start, then optionally a warm invocation.

Run as `python -m harness.bench.worker PLAN.json RESULT.json` with the function's environment. It
imports `lambda_function`, invokes `lambda_handler` on each S3 event of the plan in turn (timing
each call), and writes the durations, outcomes and the process's peak resident memory (VmHWM from
/proc/self/status) to RESULT.json. Stdout is left to the function's own logs and metrics. A plan with
`"mode": "check"` times only the handler's checks over a local file instead (CPU seconds).
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

CHUNK = 1024 * 1024  # what the handler reads from S3 at a time


class BenchContext:
    """What Lambda passes as `context`: request id, a generous deadline, the function's identity."""

    function_name = "csv-ingest-bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:csv-ingest-bench"
    memory_limit_in_mb = "3008"

    def __init__(self, timeout_s: float) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def s3_event(bucket: str, key: str, etag: str, size: int) -> dict[str, Any]:
    """An S3 ObjectCreated notification as AWS sends it (the bench keys need no URL-encoding)."""
    return {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "awsRegion": "us-east-1",
                         "s3": {"bucket": {"name": bucket}, "object": {"key": key, "eTag": etag, "size": size}}}]}


def peak_rss_mb() -> float:
    """VmHWM: the peak resident set size of this process so far."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def empty_table(schema: str, table: str) -> None:
    """Between invocations (untimed): the warm run loads the same rows, so the table must be empty again."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'TRUNCATE "{schema}"."{table}"')


def run(plan: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    from lambda_function import lambda_handler  # timed as part of the cold start

    imported = time.perf_counter() - started
    runs = []
    for i, step in enumerate(plan["invocations"]):
        if i > 0 and step.get("empty_table_first"):
            empty_table(plan["schema"], plan["table"])
        event = s3_event(plan["bucket"], step["key"], step["etag"], step["size"])
        t0 = time.perf_counter()
        result = lambda_handler(event, BenchContext(plan.get("timeout_s", 900.0)))
        seconds = time.perf_counter() - t0
        (outcome,) = result["outcomes"]
        runs.append({"key": step["key"], "seconds": seconds, "status": outcome["status"],
                     "rows_loaded": outcome.get("rows_loaded"), "errors": outcome.get("errors", [])[:3],
                     "vmhwm_mb": peak_rss_mb()})
    return {"import_seconds": imported, "runs": runs}


def check(plan: dict[str, Any]) -> dict[str, Any]:
    """CPU seconds of the handler's own checks over a file already in memory (no S3, no database).

    The checking runs as the handler's does: a primary key's uniqueness within the file is left to the
    table's index when this version of the code can do that (`track_key`), so the figure is what a load pays.
    """
    from lambda_function import load_contracts

    contract = load_contracts(plan.get("contracts")).find(plan["table"])
    if contract is None:
        raise SystemExit(f"no contract for table {plan['table']!r}")
    data = Path(plan["path"]).read_bytes()
    chunks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]
    try:
        from lambda_function.checking import CheckedCsv
    except ImportError:  # an older checkout (bench --handler-dir): its validator is the handler's check
        from lambda_function.validate import validate_stream  # type: ignore[import-not-found,unused-ignore]

        started = time.process_time()
        result = validate_stream(chunks, contract)
        return {"cpu_seconds": time.process_time() - started, "rows": result.rows, "ok": result.ok}
    started = time.process_time()
    checked = CheckedCsv(chunks, contract, track_key=not contract.primary_key)
    checked.open()
    for _ in checked.blocks():
        pass
    return {"cpu_seconds": time.process_time() - started, "rows": checked.result.rows, "ok": checked.result.ok}


def main(argv: list[str]) -> int:
    plan_path, result_path = argv[1], argv[2]
    plan = json.loads(Path(plan_path).read_text())
    Path(result_path).write_text(json.dumps(check(plan) if plan.get("mode") == "check" else run(plan)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
