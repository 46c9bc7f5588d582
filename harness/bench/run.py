"""`harness bench`: the handler against raw COPY and against the seed's approach, on one embedded stack.

`plan_steps` says what will run (so the CLI can size its progress bar); `run_bench` runs it for each
contract asked for and returns one BenchReport each (harness.bench.figures). The data files are
generated once and cached under .harness/cache/bench/, keyed by table, rows and seed, or taken from
`--data DIR` (a real file named as its contract accepts, e.g. nycflights13's flights.csv).
"""

from __future__ import annotations

import hashlib
import os
import platform
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path

import fixtures
from fixtures.csvtext import parse, records_to_bytes
from harness.bench.figures import HANDLER_COLD, HANDLER_WARM, IDEAL, NAIVE, BenchReport, PipelineFigures
from harness.bench.pipelines import import_seconds, run_check, run_handler, run_ideal, run_naive, upload
from harness.stack import StackInfo, ephemeral_stack
from lambda_function import load_contracts
from lambda_function.contract import Contract

CACHE_DIR = Path(".harness/cache/bench")
NAIVE_MAX_ROWS = 200_000  # the seed's approach holds the whole file in memory and inserts row by row

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BenchOptions:
    tables: tuple[str, ...] = ("test",)
    rows: int = 1_000_000
    repeat: int = 3
    seed: int = 0
    naive_rows: int = NAIVE_MAX_ROWS
    cache_dir: Path = CACHE_DIR
    handler_dir: Path | None = None  # measure another checkout's lambda_function (before/after figures)
    contracts: Path | None = None  # a folder of contracts (TABLE_CONTRACTS for the function too)
    reject_every: int | None = None  # every Nth record gets a value the validator refuses (reject_rows tables)
    data: Path | None = None  # real files, named as their contracts accept, used instead of generated ones
    rows_by_table: tuple[tuple[str, int], ...] = ()  # --table notes:200000: another row count for one contract

    def rows_for(self, table: str) -> int:
        return dict(self.rows_by_table).get(table, self.rows)

    @property
    def table(self) -> str:
        return self.tables[0]

    @property
    def small_rows(self) -> int:
        return max(1, self.rows // 10)

    @property
    def naive_size(self) -> int:
        return min(self.rows, self.naive_rows)


def plan_steps(options: BenchOptions) -> list[str]:
    """The labels of every measured step, in order (one progress tick each)."""
    steps = []
    for table in options.tables:
        steps.append(f"{table}: files")
        for k in range(1, options.repeat + 1):
            steps += [f"{table}: ideal #{k}", f"{table}: handler cold+warm #{k}",
                      f"{table}: handler at {options.small_rows:,} rows #{k}", f"{table}: naive #{k}",
                      f"{table}: checks #{k}"]
    steps += [f"import time #{k}" for k in range(1, options.repeat + 1)]
    return steps


def cached_file(options: BenchOptions, rows: int, table: str | None = None) -> Path:
    """The benchmark file for `rows`, generated once (atomically: a half-written file is never reused)."""
    spec = _contract(options, table)
    if options.data is not None and (options.data / spec.example_name()).is_file():
        return _real_file(options, spec, rows)
    # A contract of one's own is part of the file's identity: its source's digest is in the name.
    tag = "" if options.contracts is None else "-" + hashlib.sha256(Path(spec.source).read_bytes()).hexdigest()[:8]
    bad = f"-bad{options.reject_every}" if options.reject_every else ""
    path = options.cache_dir / f"{spec.table}{tag}-{rows}-seed{options.seed}{bad}.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        fixtures.write(partial, spec.table, rows, options.seed, contracts=options.contracts)
        if options.reject_every:
            spoil_every(partial, spec, options.reject_every)
        partial.replace(path)
    return path


def spoil_every(path: Path, spec: Contract, every: int) -> int:
    """Write NaN into the first real/double column of every `every`-th record: the validator refuses it
    (finite numbers only) while PostgreSQL reads it, so the ideal COPY still loads every record."""
    column = next((c.name for c in spec.columns if c.type.base in ("real", "double precision")), None)
    if column is None:
        raise ValueError(f"--reject-every needs a real or double precision column; {spec.table} has none")
    if spec.on_error != "reject_rows":
        raise ValueError(f"--reject-every needs a contract with on_error: reject_rows; {spec.table} has "
                         f"{spec.on_error}")
    header, *records = _records(path, spec)
    index = header.index(column)
    for n in range(every - 1, len(records), every):
        records[n][index] = "NaN"
    _write_records(path, spec, [header, *records])
    return len(records) // every


def _real_file(options: BenchOptions, spec: Contract, rows: int) -> Path:
    """The first `rows` records of a real file (the whole file when it has fewer), cut once into the cache."""
    source = options.data / spec.example_name()  # type: ignore[operator]
    path = options.cache_dir / f"{spec.table}-real-{source.stat().st_size}-{rows}.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        header, *records = _records(source, spec)
        partial = path.with_name(path.name + ".partial")
        _write_records(partial, spec, [header, *records[:rows]])
        partial.replace(path)
    return path


def file_rows(path: Path, spec: Contract) -> int:
    return len(_records(path, spec)) - 1


def _records(path: Path, spec: Contract) -> list[list[str]]:
    """A file's records, header first, read in the contract's delimiter and encoding."""
    return parse(path.read_bytes(), spec.delimiter, spec.text_encoding.codec)


def _write_records(path: Path, spec: Contract, records: list[list[str]]) -> None:
    path.write_bytes(records_to_bytes(records, spec.delimiter, spec.text_encoding.codec))


def rejected_count(options: BenchOptions, rows: int) -> int:
    return rows // options.reject_every if options.reject_every else 0


def _contract(options: BenchOptions, table: str | None = None) -> Contract:
    name = table or options.table
    spec = load_contracts(options.contracts).find(name)
    if spec is None:
        raise ValueError(f"no contract for table {name!r}")
    return spec


def machine_info() -> dict[str, object]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gb": round(mem_kb / 1024**2, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            # before the bench starts anything: what other work the machine was doing
            "load_at_start": [round(x, 2) for x in os.getloadavg()]}


def run_bench(options: BenchOptions, progress: Progress | None = None,
              stack_factory: Callable[[], AbstractContextManager[StackInfo]] | None = None) -> list[BenchReport]:
    """Run every step of plan_steps on a stack of its own (an ephemeral embedded one by default)."""
    if options.rows < 10 or options.repeat < 1:
        raise ValueError("bench needs at least 10 rows and 1 repeat")
    specs = [_contract(options, table) for table in options.tables]
    tick = progress or (lambda label: None)
    reports = []
    factory = stack_factory or (lambda: ephemeral_stack("embedded"))
    with factory() as started:
        stack = started.with_contracts(str(options.contracts) if options.contracts else None)
        for table, spec in zip(options.tables, specs, strict=True):
            reports.append(_bench_contract(stack, spec, replace(options, rows=options.rows_for(table)), tick))
        for _ in _repeats(options):
            reports[0].import_seconds.append(import_seconds())
            _done(reports[0], tick, "import")
    return reports


def _bench_contract(stack: StackInfo, spec: Contract, options: BenchOptions, tick: Progress) -> BenchReport:
    big, small, naive = (cached_file(options, n, spec.table)
                         for n in (options.rows, options.small_rows, options.naive_size))
    rows, small_rows, naive_rows = (file_rows(path, spec) for path in (big, small, naive))
    report = BenchReport(table=spec.table, rows=rows, seed=options.seed, repeat=options.repeat,
                         file_bytes=big.stat().st_size, small_rows=small_rows, machine=machine_info(),
                         rejected_rows=rejected_count(options, rows), columns=_header_width(big, spec))
    report.pipelines = {IDEAL: PipelineFigures(rows), HANDLER_COLD: PipelineFigures(rows),
                        HANDLER_WARM: PipelineFigures(rows), NAIVE: PipelineFigures(naive_rows)}
    name = spec.example_name()
    big_obj = upload(stack, big, f"bench/{spec.table}/cold/{name}", rows, rejected_count(options, rows))
    warm_obj = upload(stack, big, f"bench/{spec.table}/warm/{name}", rows, rejected_count(options, rows))
    small_obj = upload(stack, small, f"bench/{spec.table}/small/{name}", small_rows,
                       rejected_count(options, small_rows))
    naive_obj = upload(stack, naive, f"bench/{spec.table}/naive/{name}", naive_rows)
    _sample_load(report)
    tick(f"{spec.table}: files")
    for _ in _repeats(options):
        report.pipelines[IDEAL].seconds.append(run_ideal(stack, spec, big_obj))
        _done(report, tick, "ideal")
        run = run_handler(stack, spec, big_obj, warm=warm_obj, handler_dir=options.handler_dir)
        report.pipelines[HANDLER_COLD].seconds.append(run.cold_seconds)
        if run.warm_seconds is not None:
            report.pipelines[HANDLER_WARM].seconds.append(run.warm_seconds)
        report.vmhwm_mb.append(run.cold_vmhwm_mb)
        _done(report, tick, "handler")
        small_run = run_handler(stack, spec, small_obj, handler_dir=options.handler_dir)
        report.vmhwm_small_mb.append(small_run.cold_vmhwm_mb)
        _done(report, tick, "handler small")
        report.pipelines[NAIVE].seconds.append(run_naive(stack, spec, naive_obj))
        _done(report, tick, "naive")
        report.check_seconds.append(run_check(spec, big, rows, options.contracts, options.handler_dir))
        _done(report, tick, "checks")
    return report


def _header_width(path: Path, spec: Contract) -> int:
    with path.open("rb") as handle:
        return handle.readline().count(spec.delimiter.encode()) + 1


def _repeats(options: BenchOptions) -> Iterator[int]:
    yield from range(options.repeat)


def _sample_load(report: BenchReport) -> None:
    report.loads.append(os.getloadavg()[0])


def _done(report: BenchReport, tick: Progress, label: str) -> None:
    _sample_load(report)
    tick(label)
