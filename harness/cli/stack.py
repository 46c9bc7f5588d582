"""`harness up / status / down / replay / watch`: the local stack and the emulated S3 trigger."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO, TypeVar

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from harness import state
from harness.cli.consoles import console_for
from harness.cli.output import outcomes_of, print_exports, print_invocation, print_replay, print_stack
from harness.emulator.messages import record
from harness.emulator.replay import ReplayReport
from harness.emulator.replay import replay as run_replay
from harness.emulator.runtime import DEFAULT_HANDLER, LambdaRuntime
from harness.emulator.trigger import EventsQueue, runtime_for
from harness.emulator.trigger import watch as run_watch
from harness.stack import NoRunningStack, ResourceNames, StackError, StackInfo, backend_name, get_backend, stop_stack
from harness.stack.health import is_healthy, probe

console = console_for()
errors = console_for(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

StateDir = Annotated[
    Path | None, typer.Option("--state-dir", envvar="HARNESS_STATE_DIR", help="Where stack.json lives.")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
EnvFlag = Annotated[bool, typer.Option("--env", help="Only `export` lines on stdout: eval \"$(harness up --env)\".")]
ContractsOpt = Annotated[Path | None, typer.Option(
    "--contracts", envvar="TABLE_CONTRACTS", file_okay=False,
    help="Folder of table contracts the function reads [default: the one `up` recorded, else contracts/].")]
HandlerOpt = Annotated[
    str, typer.Option("--handler", envvar="HARNESS_HANDLER", help="Lambda handler, module.function.")
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Function timeout in seconds.")]
RetriesOpt = Annotated[int, typer.Option("--retries", min=0, max=2, help="Async retries after an error.")]
DelayOpt = Annotated[float, typer.Option("--retry-delay", min=0.0, help="Seconds between attempts.")]
LogsOpt = Annotated[bool, typer.Option("--logs/--no-logs", help="Show the function's own logs (on stderr).")]


def _clear_errors(command: F) -> F:
    """Stack problems end in one message and a non-zero exit code, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except StackError as exc:
            errors.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _running_stack(directory: Path) -> StackInfo:
    info = state.require(directory)
    if not is_healthy(info):
        raise StackError(f"the stack recorded in {directory}/ is not running; `harness down` then `harness up`")
    return info


def up(
    backend: Annotated[
        str | None,
        typer.Option("--backend", envvar="HARNESS_BACKEND", help="embedded | localstack | compose | external."),
    ] = None,
    aws_endpoint_url: Annotated[
        str | None, typer.Option(envvar="HARNESS_AWS_ENDPOINT_URL", help="external: AWS endpoint.")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(envvar="HARNESS_DATABASE_URL", help="external: SQLAlchemy URL.")
    ] = None,
    region: Annotated[str | None, typer.Option(help="external: AWS region.")] = None,
    bucket: Annotated[str, typer.Option(help="Bucket to create.")] = ResourceNames.bucket,
    contracts: ContractsOpt = None,
    state_dir: StateDir = None,
    as_json: JsonFlag = False,
    env: EnvFlag = False,
) -> None:
    """Start the AWS emulator and PostgreSQL in the background, provision them, write stack.json."""
    directory = state.state_dir(state_dir)
    _check_contracts(contracts)
    with state.exclusive(directory):
        existing = state.load(directory)
        replaced = ""
        if existing is not None:
            if is_healthy(existing):
                _show_stack(existing, directory, as_json, note="already running", env=env)
                return
            # A crashed stack: stop whatever of it is left before starting a fresh one.
            stop_stack(existing)
            state.clear(directory)
            replaced = "; replaced a stack that was no longer running"
        name = backend_name(backend)
        options: dict[str, Any] = {"names": ResourceNames(bucket=bucket)}
        if name == "external":
            options.update(database_url=database_url, aws_endpoint_url=aws_endpoint_url, region=region)
        started = time.monotonic()
        with _signals_raise():
            info = get_backend(name, **options).up().with_contracts(str(contracts) if contracts else None)
        try:
            _removal_events(info)
            state.save(info, directory)
        except BaseException:
            stop_stack(info)
            raise
    _show_stack(info, directory, as_json, note=f"started in {time.monotonic() - started:.1f}s{replaced}", env=env)


def status(state_dir: StateDir = None, as_json: JsonFlag = False, env: EnvFlag = False) -> None:
    """Show the recorded stack and whether each part still answers (exit 1 when not running)."""
    directory = state.state_dir(state_dir)
    info = state.load(directory)
    parts = probe(info) if info else []
    running = info is not None and all(p.ok for p in parts)
    if as_json:
        payload = {
            "running": running,
            "stack": info.public_dict() if info else None,
            "parts": [vars(p) for p in parts],
        }
        console.print_json(json.dumps(payload))
    elif info is None:
        errors.print(f"no stack recorded in {directory.resolve()}/ ([bold]harness up[/] starts one)")
    elif env:
        print_stack(errors, info, directory, note="running" if running else "NOT running", parts=parts)
        print_exports(info)
    else:
        print_stack(console, info, directory, note="running" if running else "NOT running", parts=parts)
    if not running:
        raise typer.Exit(1)


def down(state_dir: StateDir = None, as_json: JsonFlag = False) -> None:
    """Stop exactly what `up` started and remove its temporary folders. Safe to repeat."""
    directory = state.state_dir(state_dir)
    started = time.monotonic()
    info = None
    if directory.is_dir():
        with state.exclusive(directory):
            try:
                info = state.load(directory)
            except NoRunningStack as exc:  # unreadable state: nothing we can stop by pid
                errors.print(f"warning: {exc}; clearing it", highlight=False)
            if info is not None:
                stop_stack(info)
            state.clear(directory)
    elapsed = time.monotonic() - started
    if as_json:
        console.print_json(json.dumps({"stopped": info is not None, "seconds": round(elapsed, 3)}))
    elif info is None:
        console.print("nothing to stop")
    else:
        pids = ", ".join(str(p.pid) for p in info.runtime.processes) or "none"
        console.print(f"stopped {info.backend} stack (pids {pids}) in {elapsed:.1f}s")


def replay(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV file to upload.")],
    key: Annotated[str | None, typer.Option("--key", help="Object key, e.g. incoming/users.csv "
                                                          "[default: FILE's name]")] = None,
    times: Annotated[int, typer.Option("--times", min=1, help="Upload and trigger N times.")] = 1,
    handler: HandlerOpt = DEFAULT_HANDLER,
    timeout: TimeoutOpt = 300.0,
    retries: RetriesOpt = 2,
    retry_delay: DelayOpt = 0.2,
    logs: LogsOpt = True,
    contracts: ContractsOpt = None,
    state_dir: StateDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Upload FILE as KEY, take the real S3 event(s), invoke the handler, show what happened.

    Exit code as for `validate`: 0 it loaded (SUCCEEDED, PARTIAL, SKIPPED), 1 FAILED (or the function
    itself failed), 3 REJECTED.
    """
    directory = state.state_dir(state_dir)
    _check_contracts(contracts)
    stack = _running_stack(directory).with_contracts(str(contracts) if contracts else None)
    key = key or file.name
    runtime = _function(stack, handler, timeout, retries, retry_delay, logs)
    size = file.stat().st_size
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    with Progress(*columns, console=errors, transient=True, disable=as_json) as progress:
        task = progress.add_task(f"upload {file.name}", total=size * times)
        report = run_replay(stack, runtime, file, key, times=times, on_bytes=lambda n: progress.advance(task, n))
    record(directory, report.notifications)
    if as_json:
        console.print_json(json.dumps(report.to_dict(), default=str))
    else:
        print_replay(console, report)
    raise typer.Exit(replay_exit_code(report))


def replay_exit_code(report: ReplayReport) -> int:
    if not all(inv.succeeded for inv in report.invocations):
        return 1
    statuses = {o.get("status") for inv in report.invocations for o in outcomes_of(inv.response)}
    return 1 if "FAILED" in statuses else 3 if "REJECTED" in statuses else 0


def watch(
    handler: HandlerOpt = DEFAULT_HANDLER,
    timeout: TimeoutOpt = 300.0,
    retries: RetriesOpt = 2,
    retry_delay: DelayOpt = 0.2,
    max_events: Annotated[int | None, typer.Option(hidden=True, help="Stop after N events.")] = None,
    logs: LogsOpt = True,
    contracts: ContractsOpt = None,
    trigger: Annotated[str, typer.Option(
        "--trigger", help="direct: asynchronous invocation with retries (template Trigger=direct); queue: an SQS "
                          "event source mapping with partial batch responses, redelivery and a DLQ (Trigger=queue).",
    )] = "direct",
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=10, help="queue: messages per call.")] = 1,
    state_dir: StateDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Invoke the handler for every upload to the bucket until Ctrl-C."""
    if trigger not in ("direct", "queue"):
        raise typer.BadParameter(f"{trigger!r} is not one of direct, queue", param_hint="--trigger")
    directory = state.state_dir(state_dir)
    _check_contracts(contracts)
    stack = _running_stack(directory).with_contracts(str(contracts) if contracts else None)
    _removal_events(stack)
    runtime = _function(stack, handler, timeout, retries, retry_delay, logs)
    if not as_json:
        console.print(f"watching s3://{stack.bucket} (Ctrl-C stops)", highlight=False)

    def show(_notification: Any, invocation: Any) -> None:
        if as_json:
            line = {"request_id": invocation.request_id, "succeeded": invocation.succeeded}
            line |= {"response": invocation.response, "destination_record": invocation.destination_record}
            print(json.dumps(line, default=str), flush=True)
        else:
            print_invocation(console, invocation)

    try:
        if trigger == "queue":
            _watch_queue(stack, runtime, batch_size, as_json, max_events)
        else:
            run_watch(runtime, EventsQueue(stack), show, max_events=max_events)
    except KeyboardInterrupt:
        if not as_json:
            console.print("stopped watching")


def _watch_queue(stack: StackInfo, runtime: LambdaRuntime, batch_size: int, as_json: bool,
                 max_events: int | None) -> None:
    from harness.emulator.queue_trigger import SqsEventSource

    source = SqsEventSource(stack, runtime, batch_size=batch_size)
    if not as_json:
        console.print(f"queue trigger: batches of {batch_size}, failed messages return after "
                      f"{source.visibility_seconds}s, dead-letter queue {source.dlq_url}", highlight=False)

    def show(batch: Any) -> None:
        if as_json:
            line = {"request_id": batch.invocation.request_id, "succeeded": batch.invocation.succeeded,
                    "messages": batch.message_ids, "failed": batch.failed_ids, "response": batch.invocation.response}
            print(json.dumps(line, default=str), flush=True)
            return
        print_invocation(console, batch.invocation, retried=False)
        if batch.failed_ids:
            console.print(f"  {len(batch.failed_ids)} of {len(batch.message_ids)} message(s) left in the queue "
                          "for redelivery", highlight=False)

    source.run(show, max_batches=max_events)


def _check_contracts(folder: Path | None) -> None:
    """A folder the function could not load is a usage error now, not a FAILED per file later."""
    if folder is None:
        return
    from lambda_function.contract.loader import check_folder

    _whitelist, problems = check_folder(folder)
    for problem in problems:
        errors.print(f"error: {problem}", highlight=False, markup=False)
    if problems:
        raise typer.Exit(2)


def _removal_events(stack: StackInfo) -> None:
    """Deletions reach the function too when a contract it runs unloads on removal (the template's
    UnloadOnRemoval=true); otherwise the bucket notifies uploads only."""
    from harness.stack.clients import stack_client
    from harness.stack.provision import send_removal_events, unloads_on_removal

    if unloads_on_removal(stack.table_contracts):
        send_removal_events(stack_client(stack, "s3"), stack_client(stack, "sqs"), stack.bucket,
                            stack.events_queue_url)


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGTERM/SIGHUP during start unwind like Ctrl-C, so what was started is stopped, not orphaned."""

    def interrupt(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@functools.cache
def _discard() -> TextIO:
    """Where --no-logs sends the function's output: a real file, so its descriptor can be redirected."""
    return open(os.devnull, "w")  # one per process, kept open for every invocation


def _function(
    stack: StackInfo, handler: str, timeout: float, retries: int, retry_delay: float, logs: bool
) -> LambdaRuntime:
    return runtime_for(
        stack,
        handler,
        timeout_seconds=timeout,
        retries=retries,
        retry_delays=(retry_delay,),
        log_stream=None if logs else _discard(),
    )


def _show_stack(info: StackInfo, directory: Path, as_json: bool, note: str, env: bool = False) -> None:
    if as_json:
        console.print_json(json.dumps({**info.public_dict(), "note": note}))
    elif env:  # eval "$(harness up --env)": only export lines on stdout, the table for people on stderr
        print_stack(errors, info, directory, note=note)
        print_exports(info)
    else:
        print_stack(console, info, directory, note=note)


def register(app: typer.Typer) -> None:
    for command in (up, status, down, replay, watch):
        app.command(name=command.__name__)(_clear_errors(command))
