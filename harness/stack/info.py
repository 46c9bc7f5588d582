"""What a running stack is: public endpoints (stack.json) and private runtime state (pids, temp dirs)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

# Where the harness's function copies FAILED objects and their full error reports (issue 10).
QUARANTINE_PREFIX = "quarantine/"

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@dataclass(frozen=True)
class ProcessRecord:
    """A process the stack started. started_at pins its identity, so a recycled pid is never signalled."""

    name: str
    pid: int
    started_at: float


@dataclass
class RuntimeState:
    """Private state needed to stop exactly what was started; never part of stack.json."""

    processes: list[ProcessRecord] = field(default_factory=list)
    temp_dirs: list[str] = field(default_factory=list)
    # Ports the stack listens on: `down` waits until none of them accepts connections.
    ports: list[int] = field(default_factory=list)
    # Credentials that are not part of a public URL (e.g. external backends with real AWS) stay out.
    dummy_credentials: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RuntimeState:
        return cls(
            processes=[ProcessRecord(**p) for p in data.get("processes", [])],
            temp_dirs=list(data.get("temp_dirs", [])),
            ports=list(data.get("ports", [])),
            dummy_credentials=bool(data.get("dummy_credentials", True)),
        )


def libpq_url(database_url: str) -> str:
    """`postgresql+psycopg://…` (SQLAlchemy) as `postgresql://…` (libpq), password kept."""
    from sqlalchemy.engine import make_url  # not at import: `harness --help` stays light

    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(frozen=True)
class StackInfo:
    """The public face of a stack: the fields of `.harness/stack.json` (README, The harness CLI)."""

    backend: str
    aws_endpoint_url: str
    region: str
    bucket: str
    topic_arn: str
    events_queue_url: str
    notifications_queue_url: str
    database_url: str
    # The folder of table contracts the function reads (TABLE_CONTRACTS); "" means its bundled contracts/.
    table_contracts: str = ""
    runtime: RuntimeState = field(default_factory=RuntimeState, repr=False, compare=False)

    @property
    def pg_url(self) -> str:
        """The same database as a libpq URL (`postgresql://…`), for psql and other non-SQLAlchemy clients."""
        return libpq_url(self.database_url)

    def public_dict(self) -> dict[str, str]:
        public = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "runtime"}
        if not self.table_contracts:  # only when `up --contracts` chose a folder: the documented fields stay exact
            del public["table_contracts"]
        return {**public, "pg_url": self.pg_url}

    @classmethod
    def from_public_dict(cls, data: dict[str, Any], runtime: RuntimeState | None = None) -> StackInfo:
        names = [f.name for f in fields(cls) if f.name != "runtime" and (f.name in data or f.name in _REQUIRED)]
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"stack description lacks {', '.join(missing)}")
        return cls(**{n: str(data[n]) for n in names}, runtime=runtime or RuntimeState())

    def aws_environment(self) -> dict[str, str]:
        """What boto3 (and the aws CLI) need to talk to this stack's AWS side."""
        env = {"AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region}
        if self.aws_endpoint_url:  # empty for real AWS (external backend)
            env["AWS_ENDPOINT_URL"] = self.aws_endpoint_url
        if self.runtime.dummy_credentials:
            env.update(DUMMY_CREDENTIALS)
        return env

    def lambda_environment(self) -> dict[str, str]:
        """The function's configuration, as the deployed Lambda would see it."""
        env = {**self.aws_environment(), "DATABASE_URL": self.database_url, "SNS_TOPIC_ARN": self.topic_arn,
               "QUARANTINE_PREFIX": QUARANTINE_PREFIX}
        if self.table_contracts:
            env["TABLE_CONTRACTS"] = self.table_contracts
        return env

    def with_contracts(self, folder: str | None) -> StackInfo:
        """This stack with the function reading ``folder``'s contracts (None: as recorded)."""
        return self if not folder else replace(self, table_contracts=str(Path(folder).resolve()))


# What every stack.json holds; table_contracts is written only when `up --contracts` set it.
_REQUIRED = ("backend", "aws_endpoint_url", "region", "bucket", "topic_arn", "events_queue_url",
             "notifications_queue_url", "database_url")
