"""pytest-docker fixtures: the repository's docker-compose.yml as the session's `stack`.

Run with `tox -e docker` (python -m harness.stack.compose_check), which reports NOT RUN when no
Docker daemon is reachable. Collected by a plain `pytest` too: then every test here is skipped
with that same reason, never silently.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from harness.stack import StackInfo, StartedServices
from harness.stack.backends.base import DEFAULT_REGION, check_database
from harness.stack.backends.compose import DB_NAME, DB_USER, ComposeBackend
from harness.stack.errors import StackError
from harness.stack.info import RuntimeState
from harness.stack.ports import free_port
from harness.stack.services.compose_cli import default_compose_file, docker_problem
from harness.stack.services.localstack_runtime.server import localstack_answers


@pytest.fixture(scope="session", autouse=True)
def docker_daemon() -> None:
    problem = docker_problem()
    if problem is not None:
        pytest.skip(f"docker: NOT RUN — {problem}")


@pytest.fixture(scope="session")
def compose_variables(docker_daemon: None) -> Iterator[dict[str, str]]:
    """Free host ports and a fresh password for the compose file (pytest-docker passes os.environ)."""
    variables = {
        "HARNESS_POSTGRES_PORT": str(free_port()),
        "HARNESS_LOCALSTACK_PORT": str(free_port()),
        "HARNESS_POSTGRES_PASSWORD": os.environ.get("HARNESS_POSTGRES_PASSWORD") or secrets.token_urlsafe(16),
    }
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    yield variables
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(default_compose_file())


@pytest.fixture(scope="session")
def docker_compose_project_name() -> str:
    return f"harness-pytest-{os.getpid()}"


@pytest.fixture(scope="session")
def docker_setup(compose_variables: dict[str, str]) -> list[str]:
    return ["up -d --wait --wait-timeout 300 postgres localstack"]


@pytest.fixture(scope="session")
def docker_cleanup() -> list[str]:
    return ["down -v --remove-orphans"]


@pytest.fixture(scope="session")
def stack(docker_services: Any, docker_ip: str, compose_variables: dict[str, str]) -> StackInfo:
    """The compose stack, waited for and provisioned exactly as `harness up --backend compose` does."""
    password = compose_variables["HARNESS_POSTGRES_PASSWORD"]
    pg_port = docker_services.port_for("postgres", 5432)
    services = StartedServices(
        aws_endpoint_url=f"http://{docker_ip}:{docker_services.port_for('localstack', 4566)}",
        region=DEFAULT_REGION,
        database_url=f"postgresql+psycopg://{DB_USER}:{password}@{docker_ip}:{pg_port}/{DB_NAME}",
        runtime=RuntimeState(),
    )

    def answers() -> bool:
        try:
            check_database(services.database_url)
        except StackError:
            return False
        return localstack_answers(services.aws_endpoint_url)

    docker_services.wait_until_responsive(check=answers, timeout=120.0, pause=0.5)
    return ComposeBackend().provision(services)
