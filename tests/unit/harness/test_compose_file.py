"""docker-compose.yml pins every image, health-checks every service and agrees with the compose backend."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.stack.backends.compose import AWS_SERVICES, DB_NAME, DB_USER
from harness.stack.services.compose_cli import ComposeProject, default_compose_file

COMPOSE_FILE = Path(__file__).resolve().parents[3] / "docker-compose.yml"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE_FILE.read_text())["services"])


def _default(value: str) -> str:
    """The value compose uses when no variable is set: `${NAME:-default}` -> default."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_the_backend_uses_the_repository_compose_file() -> None:
    assert default_compose_file() == COMPOSE_FILE


def test_every_image_is_pinned_to_an_exact_version(services: dict[str, Any]) -> None:
    for name, spec in services.items():
        image = _default(spec["image"])
        repository, _, tag = image.rpartition(":")
        assert repository and re.fullmatch(r"\d+\.\d+(\.\d+)?(-[a-z]+)?", tag), f"{name}: {image} is not pinned"


def test_localstack_defaults_to_the_last_free_tag_and_takes_a_token(services: dict[str, Any]) -> None:
    localstack = services["localstack"]
    assert localstack["image"] == "localstack/localstack:${LOCALSTACK_TAG:-4.14.0}"
    assert localstack["environment"]["LOCALSTACK_AUTH_TOKEN"] == "${LOCALSTACK_AUTH_TOKEN:-}"
    assert localstack["environment"]["SERVICES"].split(",") == ["s3", "sns", "sqs", "secretsmanager"]


def test_every_service_has_a_health_check(services: dict[str, Any]) -> None:
    assert all(spec.get("healthcheck", {}).get("test") for spec in services.values())


def test_postgres_credentials_and_ports_match_the_backend(services: dict[str, Any]) -> None:
    env = services["postgres"]["environment"]
    assert (env["POSTGRES_USER"], env["POSTGRES_DB"]) == (DB_USER, DB_NAME)
    assert env["POSTGRES_PASSWORD"].startswith("${HARNESS_POSTGRES_PASSWORD:-")
    published = {name: " ".join(spec["ports"]) for name, spec in services.items()}
    assert "${HARNESS_POSTGRES_PORT:-5432}:5432" in published["postgres"]
    for service, container_port, variable, _answers in AWS_SERVICES.values():
        assert f"${{{variable}:-{container_port}}}:{container_port}" in published[service]
        assert published[service].startswith("127.0.0.1:")  # never on every interface


def test_moto_is_only_started_under_its_profile(services: dict[str, Any]) -> None:
    assert services["moto"]["profiles"] == ["moto"]
    assert "profiles" not in services["localstack"] and "profiles" not in services["postgres"]


def test_command_lines() -> None:
    project = ComposeProject(file="/x/docker-compose.yml", project="harness-ab12", profiles=("moto",))
    base = ["docker", "compose", "-f", "/x/docker-compose.yml", "-p", "harness-ab12", "--profile", "moto"]
    assert project.up_command(("postgres", "moto"), 90) == [
        *base, "up", "-d", "--wait", "--wait-timeout", "90", "postgres", "moto",
    ]  # fmt: skip
    assert project.port_command("postgres", 5432) == [*base, "port", "postgres", "5432"]
    assert project.down_command() == [*base, "down", "-v", "--remove-orphans"]
    assert ComposeProject.from_dict(project.to_dict()) == project
