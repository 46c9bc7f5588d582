"""Run scenarios against a stack: upload, take the real S3 events, invoke via the Lambda emulation, check."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import fixtures
from fixtures.csvtext import parse, records_to_bytes
from harness.emulator.runtime import DEFAULT_HANDLER, FunctionConfig, LambdaRuntime, function_environment
from harness.scenarios.lane import Lane
from harness.scenarios.model import Generated, Result, Scenario, Upload
from harness.stack import StackInfo


@dataclass
class Observed:
    statuses: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)  # SNS bodies, in the order received


def run_scenario(stack: StackInfo, scenario: Scenario, log_stream: TextIO | None = None) -> Result:
    started = time.monotonic()
    observed = Observed()
    lane = Lane(stack.with_contracts(scenario.contracts), scenario.name)
    try:
        with function_environment(lane.environment()):
            if scenario.kind == "database_down":
                _database_down(lane, scenario, observed, log_stream)
            elif scenario.kind == "test_event":
                _test_event(lane, observed, log_stream)
            else:
                _uploads(lane, scenario, observed, log_stream)
    except Exception as exc:
        observed.problems.append(f"{type(exc).__name__}: {exc}")
    finally:
        lane.close()
    actual = ", ".join(observed.statuses) or "none"
    return Result(
        scenario.name,
        not observed.problems,
        scenario.expected,
        actual,
        observed.rows,
        time.monotonic() - started,
        "; ".join(observed.problems),
        observed.messages,
    )


def _runtime(env: Mapping[str, str], log_stream: TextIO | None, retries: int = 2) -> LambdaRuntime:
    config = FunctionConfig(
        region=env.get("AWS_REGION", "us-east-1"),
        maximum_retry_attempts=retries,
        retry_delays_seconds=(0.05, 0.1),
        environment=dict(env),
    )
    return LambdaRuntime(config, DEFAULT_HANDLER, log_stream=log_stream)


def content_bytes(upload: Upload) -> tuple[bytes, fixtures.InjectedDefect | None]:
    if isinstance(upload.content, Generated):
        c = upload.content
        made = fixtures.generate(c.table, c.rows, c.seed, c.defect, contracts=c.contracts, revision=c.revision)
        data, defect = made.data, made.defect
        if c.first_row > 1 or c.last_row is not None:
            spec = fixtures.layout(c.table, c.contracts)
            header, *records = parse(data, spec.delimiter, spec.codec)
            data = records_to_bytes([header, *records[c.first_row - 1 : c.last_row]], spec.delimiter, spec.codec)
    else:
        data, defect = upload.content, None
    return (gzip.compress(data, compresslevel=1) if upload.gzip else data), defect


def _uploads(lane: Lane, scenario: Scenario, observed: Observed, log_stream: TextIO | None) -> None:
    runtime = _runtime(lane.environment(), log_stream)
    before: dict[str, str] = {}
    if scenario.concurrent:
        _concurrently(lane, runtime, scenario.uploads, observed)
    else:
        for index, upload in enumerate(scenario.uploads):
            if index == len(scenario.uploads) - 1:
                before = {t: lane.checksum(t) for t, s in scenario.tables.items()
                          if s == "unchanged" or t in scenario.changed}
            function = runtime if upload.contracts is None else _runtime(
                {**lane.environment(), "TABLE_CONTRACTS": upload.contracts}, log_stream)
            statuses, defect = _one_upload(lane, function, upload, observed)
            _check_messages(lane.messages(expect=len(statuses)), upload, defect, observed, lane.stack.backend)
    _check_tables(lane, scenario, before, observed)


def _one_upload(
    lane: Lane, runtime: LambdaRuntime, upload: Upload, observed: Observed, lock: threading.Lock | None = None
) -> tuple[list[str], Any]:
    """Upload (or delete), invoke for each of its events; the statuses and the injected defect (messages: the
    caller's)."""
    defect = None
    if upload.delete:
        lane.delete(upload.key)
    else:
        data, defect = content_bytes(upload)
        lane.put(upload.key, data, upload.multipart)
        del data
    fewest = min(len(outcomes) for outcomes in _acceptable(upload, lane.stack.backend))
    wanted = max(1, fewest // max(1, upload.deliveries))
    events = lane.events(wait_for=wanted) if lock is None else _events_for(lane, upload.key, wanted, lock)
    responses = []
    for event in events:
        for _ in range(upload.deliveries):
            invocation = runtime.invoke_async(event.event)
            if not invocation.succeeded:
                observed.problems.append(f"{upload.key}: invocation failed: {invocation.attempts[-1].error_message}")
            responses.append(invocation.response or {})
    statuses = [o.get("status", "?") for r in responses for o in r.get("outcomes", [])]
    observed.statuses.append(" + ".join(statuses) or "none")
    if tuple(statuses) not in _acceptable(upload, lane.stack.backend):
        observed.problems.append(f"{upload.key}: expected {list(upload.outcomes)}, got {statuses}")
    if upload.error_at_defect and defect is not None:
        bodies = [o for r in responses for o in r.get("outcomes", [])]
        errors = [e for b in bodies for e in b.get("errors", [])]
        if not any(_at_defect(e, defect) for e in errors):
            shown = [(e.get("row"), e.get("column")) for e in errors[:3]]
            observed.problems.append(f"{upload.key}: no error at row {defect.row} column {defect.column}: {shown}")
    return statuses, defect


def _acceptable(upload: Upload, backend: str) -> set[tuple[str, ...]]:
    """The outcome sequences this backend may produce (see Upload.last_event_moto_only)."""
    if upload.last_event_moto_only and backend != "embedded":
        return {upload.outcomes, upload.outcomes[:-1]}
    return {upload.outcomes}


def _events_for(lane: Lane, key: str, wanted: int, lock: threading.Lock) -> list[Any]:
    """Concurrent uploads share the lane's queue: each thread takes the events naming its key."""
    mine: list[Any] = []
    deadline = time.monotonic() + 20
    while len(mine) < wanted and time.monotonic() < deadline:
        with lock:
            pool = lane.unclaimed
            pool.extend(lane.events(wait_for=0, timeout=1, settle=0))
            mine.extend(n for n in pool if key in n.keys)
            pool[:] = [n for n in pool if key not in n.keys]
    return mine


def _concurrently(lane: Lane, runtime: LambdaRuntime, uploads: tuple[Upload, ...], observed: Observed) -> None:
    lock = threading.Lock()
    per_thread = [Observed() for _ in uploads]
    defects: dict[str, Any] = {}

    def work(upload: Upload, into: Observed) -> None:
        try:
            _, defects[upload.key] = _one_upload(lane, runtime, upload, into, lock)
        except Exception as exc:
            into.problems.append(f"{upload.key}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(u, o)) for u, o in zip(uploads, per_thread, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for o in per_thread:
        observed.statuses.extend(o.statuses)
        observed.problems.extend(o.problems)
    # Messages are read once both are in: the capture queue is shared by the two uploads.
    received = lane.messages(expect=len(observed.statuses))
    for upload in uploads:
        _check_messages(received, upload, defects.get(upload.key), observed, lane.stack.backend)


def _at_defect(error: dict[str, Any], defect: Any) -> bool:
    """The error names the injected row, and its column when the defect has one (a header defect has none)."""
    return bool(error.get("row") == defect.row and (defect.column is None or error.get("column") == defect.column))


def _check_messages(
    received: list[dict[str, Any]], upload: Upload, defect: Any, observed: Observed, backend: str
) -> None:
    """The SNS messages about this upload's key: one per outcome, statuses and errors as expected."""
    messages = [m for m in received if isinstance(m["message"], dict) and m["message"].get("key") == upload.key]
    observed.messages.extend(m["message"] for m in messages)
    got = [m["message"].get("status") for m in messages]
    if tuple(sorted(got)) not in {tuple(sorted(outcomes)) for outcomes in _acceptable(upload, backend)}:
        observed.problems.append(f"{upload.key}: SNS said {got}, expected {list(upload.outcomes)}")
    for m in messages:
        if m["attributes"].get("status") != m["message"].get("status"):
            observed.problems.append(f"{upload.key}: message attribute status differs from the body")
        changed = bool(m["message"].get("schema_changes"))
        if upload.schema_changes is not None and m["message"].get("status") == "SUCCEEDED" \
                and changed != upload.schema_changes:
            observed.problems.append(f"{upload.key}: schema_changes {m['message'].get('schema_changes')}, expected "
                                     f"{'some' if upload.schema_changes else 'none'}")
        if upload.error_at_defect and defect is not None and m["message"].get("status") == "FAILED":
            errors = m["message"].get("errors", [])
            if not any(_at_defect(e, defect) for e in errors):
                observed.problems.append(f"{upload.key}: SNS message lacks the error at row {defect.row}")


def _check_tables(lane: Lane, scenario: Scenario, before: dict[str, str], observed: Observed) -> None:
    for table, state in scenario.tables.items():
        count = lane.count(table)
        observed.rows[table] = count or 0
        if table in scenario.changed and lane.checksum(table) == before.get(table):
            observed.problems.append(f"table {table} did not change")
        if state == "unchanged":
            if lane.checksum(table) != before.get(table):
                observed.problems.append(f"table {table} changed")
        elif (count or 0) != state:
            observed.problems.append(f"table {table}: {count} rows, expected {state}")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_down(lane: Lane, scenario: Scenario, observed: Observed, log_stream: TextIO | None) -> None:
    env = {**lane.environment(), "DATABASE_URL": f"postgresql+psycopg://nobody:x@127.0.0.1:{_closed_port()}/nowhere"}
    published: list[dict[str, Any]] = []
    runtime = _runtime(env, log_stream)

    def publish(record: dict[str, Any]) -> None:
        published.append(record)
        lane.sns.publish(TopicArn=lane.topic_arn, Message=json.dumps(record))

    runtime._publish_failure = publish  # the on-failure destination is the lane's topic
    with function_environment(env):
        for upload in scenario.uploads:
            data, _ = content_bytes(upload)
            lane.put(upload.key, data, upload.multipart)
            for event in lane.events():
                runtime.invoke_async(event.event)
    records = [m["message"] for m in lane.messages(expect=1) if isinstance(m["message"], dict)]
    failures = [r for r in records if "requestContext" in r]
    observed.statuses = [
        f"{r['requestContext'].get('condition')} x{r['requestContext'].get('approximateInvokeCount')}" for r in failures
    ]
    if len(failures) != 1:
        observed.problems.append(f"expected 1 on-failure record on the topic, got {len(failures)}")
        return
    context = failures[0]["requestContext"]
    if context.get("condition") != "RetriesExhausted" or context.get("approximateInvokeCount") != 3:
        observed.problems.append(f"unexpected destination record context {context}")
    if len(records) != 1:
        observed.problems.append(f"outcome messages published although nothing was processed: {records}")


def _test_event(lane: Lane, observed: Observed, log_stream: TextIO | None) -> None:
    """moto sent s3:TestEvent when the lane configured its notification: the function ignores it."""
    events = [n for n in lane.events(wait_for=1, timeout=5) if n.is_test_event]
    if not events:
        observed.problems.append("no s3:TestEvent arrived")
        return
    runtime = _runtime(lane.environment(), log_stream, retries=0)
    for event in events:
        invocation = runtime.invoke_async(event.event)
        outcomes = (invocation.response or {}).get("outcomes")
        observed.statuses.append("ignored" if invocation.succeeded and outcomes == [] else f"outcomes={outcomes}")
        if not invocation.succeeded or outcomes != []:
            observed.problems.append(f"test event not ignored: {invocation.attempts[-1]}")
    if lane.messages(settle=0.5):
        observed.problems.append("a message was published for s3:TestEvent")


def run_all(
    stack: StackInfo,
    scenarios: list[Scenario],
    on_result: Callable[[Result], None] | None = None,
    log_stream: TextIO | None = None,
) -> list[Result]:
    """Each scenario in turn, each in its own lane; `on_result` after each one."""
    results = []
    for scenario in scenarios:
        result = run_scenario(stack, scenario, log_stream)
        results.append(result)
        if on_result:
            on_result(result)
    return results
