"""LocalStack (host mode, best effort: upstream froze the free edition) plus embedded PostgreSQL."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from harness.stack.backends.base import DEFAULT_REGION, StackBackend, StartedServices, check_database
from harness.stack.errors import StackError
from harness.stack.info import RuntimeState
from harness.stack.services.localstack_runtime.install import ensure_venv
from harness.stack.services.localstack_runtime.server import (
    localstack_answers,
    spawn_localstack,
    stop_localstack,
    wait_localstack_ready,
)
from harness.stack.services.postgres.server import POSTGRES_DIR_PREFIX, start_postgres, stop_postgres

LOCALSTACK_DIR_PREFIX = "harness-localstack-"


class LocalStackBackend(StackBackend):
    name = "localstack"

    def start(self) -> StartedServices:
        python = ensure_venv()  # first use only: builds the venv (about 30 s with a warm pip cache)
        root = Path(tempfile.mkdtemp(prefix=LOCALSTACK_DIR_PREFIX))
        runtime = RuntimeState(temp_dirs=[str(root)], dummy_credentials=True)
        try:
            localstack = spawn_localstack(python, root)
            runtime.processes.append(localstack.process)
            runtime.ports.append(localstack.port)
            postgres = start_postgres()
            runtime.processes.append(postgres.process)
            runtime.temp_dirs.append(str(postgres.temp_dir))
            runtime.ports.append(postgres.port)
            wait_localstack_ready(localstack)
        except BaseException:
            self.stop(runtime)
            raise
        return StartedServices(
            aws_endpoint_url=localstack.endpoint_url,
            region=DEFAULT_REGION,
            database_url=postgres.database_url,
            runtime=runtime,
        )

    def health_check(self, services: StartedServices) -> None:
        if not localstack_answers(services.aws_endpoint_url):
            raise StackError(f"LocalStack at {services.aws_endpoint_url} does not answer")
        check_database(services.database_url)

    @classmethod
    def stop(cls, runtime: RuntimeState) -> None:
        postgres_dir = next((Path(d) for d in runtime.temp_dirs if Path(d).name.startswith(POSTGRES_DIR_PREFIX)), None)
        for record in runtime.processes:
            if record.name == "postgres":
                stop_postgres(record, postgres_dir)
            elif record.name == "localstack":
                stop_localstack(record)
        for temp_dir in runtime.temp_dirs:
            shutil.rmtree(temp_dir, ignore_errors=True)
