"""Figure arithmetic for `harness bench`: medians and spreads of repeated runs, rates, ratios, JSON shape.

Pure functions and plain dataclasses, so the numbers a person reads in the table and the numbers a
machine reads in `--json` come from one place (and are unit-tested without a stack).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

# Keys of BenchReport.pipelines, in display order.
IDEAL, HANDLER_COLD, HANDLER_WARM, NAIVE = "ideal", "handler_cold", "handler_warm", "naive"
PIPELINE_LABELS = {
    IDEAL: "ideal (S3 GET + COPY)",
    HANDLER_COLD: "handler, cold process",
    HANDLER_WARM: "handler, warm",
    NAIVE: "naive (read_csv+to_sql)",
}


@dataclass(frozen=True)
class Spread:
    """Median and range of repeated measurements."""

    median: float
    low: float
    high: float
    samples: int

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        if not values:
            raise ValueError("no measurements")
        return cls(statistics.median(values), min(values), max(values), len(values))

    def to_dict(self, digits: int = 4) -> dict[str, float | int]:
        return {"median": round(self.median, digits), "min": round(self.low, digits),
                "max": round(self.high, digits), "samples": self.samples}


def rows_per_second(rows: int, seconds: float) -> float:
    if seconds <= 0:
        raise ValueError(f"a run must take some time, got {seconds} s")
    return rows / seconds


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when either side was not measured (0)."""
    return None if denominator <= 0 or numerator <= 0 else numerator / denominator


@dataclass
class PipelineFigures:
    """One pipeline's runs: the rows each loaded and the seconds each took."""

    rows: int
    seconds: list[float] = field(default_factory=list)

    @property
    def time(self) -> Spread:
        return Spread.of(self.seconds)

    @property
    def rate(self) -> Spread:
        """Rows/s: the median rate is the rate of the median time (same run), the range likewise."""
        t = self.time
        return Spread(rows_per_second(self.rows, t.median), rows_per_second(self.rows, t.high),
                      rows_per_second(self.rows, t.low), t.samples)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "seconds": self.time.to_dict(), "rows_per_s": self.rate.to_dict(digits=0)}


@dataclass
class BenchReport:
    """Everything one `harness bench` run measured."""

    table: str
    rows: int
    seed: int
    repeat: int
    file_bytes: int
    small_rows: int
    pipelines: dict[str, PipelineFigures] = field(default_factory=dict)
    vmhwm_mb: list[float] = field(default_factory=list)  # handler cold process at `rows`
    vmhwm_small_mb: list[float] = field(default_factory=list)  # ... at `small_rows`
    import_seconds: list[float] = field(default_factory=list)
    machine: dict[str, Any] = field(default_factory=dict)
    loads: list[float] = field(default_factory=list)  # 1-minute load average sampled during the run
    rejected_rows: int = 0  # of `rows`, set aside by the handler (bench --reject-every); the ideal loads all
    columns: int = 0  # fields per record of the file
    check_seconds: list[float] = field(default_factory=list)  # CPU of the handler's checks over the file

    def rate(self, name: str) -> float:
        figures = self.pipelines.get(name)
        return figures.rate.median if figures and figures.seconds else 0.0

    def ratios(self) -> dict[str, float | None]:
        ideal, naive = self.rate(IDEAL), self.rate(NAIVE)
        cold, warm = self.rate(HANDLER_COLD), self.rate(HANDLER_WARM)
        return {
            "handler_vs_ideal": ratio(cold, ideal),
            "handler_warm_vs_ideal": ratio(warm, ideal),
            "handler_vs_naive": ratio(cold, naive),
        }

    def check_us_per_cell(self) -> float | None:
        """Median CPU of the handler's checks per field (µs): rows x columns cells."""
        if not self.check_seconds or not self.rows or not self.columns:
            return None
        return Spread.of(self.check_seconds).median / (self.rows * self.columns) * 1e6

    def memory_growth_mb(self) -> float | None:
        if not self.vmhwm_mb or not self.vmhwm_small_mb:
            return None
        return Spread.of(self.vmhwm_mb).median - Spread.of(self.vmhwm_small_mb).median

    def to_dict(self) -> dict[str, Any]:
        growth = self.memory_growth_mb()
        return {
            "table": self.table,
            "rows": self.rows,
            "seed": self.seed,
            "repeat": self.repeat,
            "file_bytes": self.file_bytes,
            "rejected_rows": self.rejected_rows,
            "pipelines": {name: figures.to_dict() for name, figures in self.pipelines.items() if figures.seconds},
            "ratios": {k: None if v is None else round(v, 3) for k, v in self.ratios().items()},
            "memory": {
                "small_rows": self.small_rows,
                "vmhwm_small_mb": Spread.of(self.vmhwm_small_mb).to_dict(1) if self.vmhwm_small_mb else None,
                "vmhwm_mb": Spread.of(self.vmhwm_mb).to_dict(1) if self.vmhwm_mb else None,
                "growth_mb": None if growth is None else round(growth, 1),
            },
            "columns": self.columns,
            "checks": {
                "cpu_seconds": Spread.of(self.check_seconds).to_dict(3) if self.check_seconds else None,
                "us_per_cell": None if (per := self.check_us_per_cell()) is None else round(per, 4),
            },
            "import_seconds": Spread.of(self.import_seconds).to_dict(3) if self.import_seconds else None,
            "machine": self.machine,
            "load_average": Spread.of(self.loads).to_dict(2) if self.loads else None,
        }
