"""The shape of a scenario: uploads, what each must end in, and the table state afterwards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["SUCCEEDED", "PARTIAL", "FAILED", "REJECTED", "SKIPPED", "UNLOADED"]
TableState = int | Literal["unchanged"]


@dataclass(frozen=True)
class Generated:
    """A file made by `fixtures.generate(table, rows, seed, defect, contracts=contracts)`.

    ``first_row``/``last_row`` keep only those records of that file (slices of one file never clash on a
    key: keys are unique by construction within it).
    """

    table: str
    rows: int
    seed: int = 1
    defect: str | None = None
    contracts: str | None = None
    first_row: int = 1
    last_row: int | None = None
    revision: int = 0  # a corrected version of the same file: the same keys, other values


@dataclass(frozen=True)
class Upload:
    """One object put into the scenario's bucket, and the outcome of each S3 event it produces.

    `outcomes` lists one status per invocation, in delivery order: a multipart upload that moto
    reports twice expects ("SUCCEEDED", "SKIPPED"). `deliveries` re-invokes each event that many
    times (S3 delivers at least once). `error_at_defect`: the FAILED message names the injected
    defect's row and column.
    """

    key: str
    content: Generated | bytes
    outcomes: tuple[Status, ...] = ("SUCCEEDED",)
    gzip: bool = False
    multipart: bool = False
    deliveries: int = 1
    error_at_defect: bool = False
    # moto reports a multipart upload twice (the second event SKIPPED); AWS and LocalStack once.
    # True: on other backends the last expected outcome may be absent. On moto it is required.
    last_event_moto_only: bool = False
    # The folder of contracts the function reads for this upload (a contract changed mid-scenario; None: the
    # scenario's), and whether its message must list schema changes the load applied (None: not checked).
    contracts: str | None = None
    schema_changes: bool | None = None
    # The key's object is deleted instead (content unused): its ObjectRemoved event goes to the function.
    delete: bool = False


@dataclass(frozen=True)
class Scenario:
    """A named case: uploads in order (or all at once when `concurrent`), then the tables' state.

    `tables` maps table name -> row count, or "unchanged" (same content as before the last upload);
    `changed` names tables whose content must differ from before the last upload (a corrected re-upload).
    `kind` selects a special flow: "uploads" (default), "database_down", "test_event".
    """

    name: str
    description: str
    uploads: tuple[Upload, ...] = ()
    tables: dict[str, TableState] = field(default_factory=dict)
    concurrent: bool = False
    kind: Literal["uploads", "database_down", "test_event"] = "uploads"
    large: bool = False
    contracts: str | None = None  # the folder of contracts the function reads (None: the bundled ones)
    changed: tuple[str, ...] = ()

    @property
    def expected(self) -> str:
        if self.kind == "database_down":
            return "RetriesExhausted x3"
        if self.kind == "test_event":
            return "ignored"
        return ", ".join(" + ".join(u.outcomes) if u.outcomes else "none" for u in self.uploads)


@dataclass
class Result:
    name: str
    passed: bool
    expected: str
    actual: str
    rows: dict[str, int]
    seconds: float
    detail: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)  # the SNS bodies (not in to_dict: --json is fixed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "expected": self.expected,
            "actual": self.actual,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "detail": self.detail,
        }
