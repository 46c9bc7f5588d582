"""`docker-compose.yml` as a backend: PostgreSQL plus LocalStack (or moto) in containers.

The project is recorded in a small folder of its own (runtime temp_dirs), so `down` runs
`docker compose down -v` for exactly that project, from any process.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from harness.stack.backends.base import DEFAULT_REGION, StackBackend, StartedServices, check_database
from harness.stack.errors import StackError
from harness.stack.info import RuntimeState
from harness.stack.ports import LOOPBACK, free_port
from harness.stack.provision import ResourceNames
from harness.stack.services.compose_cli import (
    PROBE_TIMEOUT_SECONDS,
    UP_TIMEOUT_SECONDS,
    ComposeProject,
    default_compose_file,
    require_docker,
)
from harness.stack.services.localstack_runtime.server import localstack_answers
from harness.stack.services.moto_server import moto_answers

COMPOSE_DIR_PREFIX = "harness-compose-"
PROJECT_FILE = "compose-project.json"
DB_USER = "harness"  # as in docker-compose.yml
DB_NAME = "ingest"
HEALTH_TIMEOUT_SECONDS = 120.0

# AWS side -> (compose service, container port, variable naming its host port, "does it answer?")
AWS_SERVICES: dict[str, tuple[str, int, str, Callable[[str], bool]]] = {
    "localstack": ("localstack", 4566, "HARNESS_LOCALSTACK_PORT", localstack_answers),
    "moto": ("moto", 5000, "HARNESS_MOTO_PORT", moto_answers),
}


class ComposeBackend(StackBackend):
    name = "compose"

    def __init__(
        self,
        names: ResourceNames | None = None,
        *,
        aws: str | None = None,
        compose_file: Path | None = None,
        project: str | None = None,
        health_timeout: float = HEALTH_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__(names)
        self.aws = aws or os.environ.get("HARNESS_COMPOSE_AWS") or "localstack"
        if self.aws not in AWS_SERVICES:
            raise StackError(f"HARNESS_COMPOSE_AWS must be one of {', '.join(AWS_SERVICES)}, not {self.aws!r}")
        self.compose_file = compose_file or default_compose_file()
        # A fresh project name per stack: two checkouts (or a test run) never share containers.
        self.project = project or os.environ.get("HARNESS_COMPOSE_PROJECT") or f"harness-{secrets.token_hex(4)}"
        self.health_timeout = health_timeout

    def start(self) -> StartedServices:
        require_docker()
        if not self.compose_file.is_file():
            raise StackError(f"compose file {self.compose_file} not found (set HARNESS_COMPOSE_FILE)")
        service, container_port, port_variable, _answers = AWS_SERVICES[self.aws]
        password = os.environ.get("HARNESS_POSTGRES_PASSWORD") or secrets.token_urlsafe(24)
        compose = ComposeProject(
            file=str(self.compose_file),
            project=self.project,
            profiles=(self.aws,) if self.aws == "moto" else (),
            variables={
                "HARNESS_POSTGRES_PORT": str(free_port()),
                port_variable: str(free_port()),
                "HARNESS_POSTGRES_PASSWORD": password,
            },
        )
        record_dir = Path(tempfile.mkdtemp(prefix=COMPOSE_DIR_PREFIX))
        # Recorded before `up`: a half-started project is taken down like a whole one.
        _write_project(record_dir, compose)
        runtime = RuntimeState(temp_dirs=[str(record_dir)], dummy_credentials=True)
        try:
            compose.run(compose.up_command(("postgres", service), int(self.health_timeout)), UP_TIMEOUT_SECONDS)
            aws_port = compose.host_port(service, container_port)
            pg_port = compose.host_port("postgres", 5432)
            runtime.ports += [aws_port, pg_port]
        except BaseException:
            self.stop(runtime)
            raise
        return StartedServices(
            aws_endpoint_url=f"http://{LOOPBACK}:{aws_port}",
            region=DEFAULT_REGION,
            database_url=f"postgresql+psycopg://{DB_USER}:{password}@{LOOPBACK}:{pg_port}/{DB_NAME}",
            runtime=runtime,
        )

    def health_check(self, services: StartedServices) -> None:
        wait_until_healthy(services, AWS_SERVICES[self.aws][3], self.health_timeout)

    @classmethod
    def stop(cls, runtime: RuntimeState) -> None:
        for temp_dir in runtime.temp_dirs:
            project_file = Path(temp_dir) / PROJECT_FILE
            if project_file.exists():
                compose = ComposeProject.from_dict(json.loads(project_file.read_text()))
                compose.run(compose.down_command(), UP_TIMEOUT_SECONDS)
            shutil.rmtree(temp_dir, ignore_errors=True)


def wait_until_healthy(services: StartedServices, aws_answers: Callable[[str], bool], timeout: float) -> None:
    """Poll both parts until they answer: a container reported healthy may still be binding its port."""
    deadline = time.monotonic() + timeout
    aws_ok = False
    while True:
        aws_ok = aws_ok or aws_answers(services.aws_endpoint_url)
        problem = None if aws_ok else f"AWS emulator at {services.aws_endpoint_url} does not answer"
        if aws_ok:
            try:
                check_database(services.database_url)
                return
            except StackError as exc:
                problem = str(exc)
        if time.monotonic() >= deadline:
            raise StackError(f"compose stack not healthy after {timeout:.0f}s: {problem}")
        time.sleep(min(0.5, PROBE_TIMEOUT_SECONDS))


def _write_project(record_dir: Path, compose: ComposeProject) -> None:
    path = record_dir / PROJECT_FILE
    # 0600: the variables hold the database password.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(compose.to_dict(), handle, indent=2)
