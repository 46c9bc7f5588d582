"""Command lines for `docker compose`, and the one check that tells whether Docker can be used."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.stack.errors import StackError

PROBE_TIMEOUT_SECONDS = 20.0
UP_TIMEOUT_SECONDS = 600.0  # a first `up` pulls the images


@dataclass(frozen=True)
class ComposeProject:
    """One compose project: the file, the project name, and the variables it is interpolated with."""

    file: str
    project: str
    profiles: tuple[str, ...] = ()
    # ${...} values for the compose file (host ports, password). Kept so `down` sees the same file.
    variables: dict[str, str] = field(default_factory=dict)

    def command(self, *args: str) -> list[str]:
        argv = ["docker", "compose", "-f", self.file, "-p", self.project]
        for profile in self.profiles:
            argv += ["--profile", profile]
        return [*argv, *args]

    def up_command(self, services: tuple[str, ...], wait_seconds: int) -> list[str]:
        # --wait returns once every service's health check passes (or fails: non-zero exit).
        return self.command("up", "-d", "--wait", "--wait-timeout", str(wait_seconds), *services)

    def down_command(self) -> list[str]:
        return self.command("down", "-v", "--remove-orphans")

    def port_command(self, service: str, container_port: int) -> list[str]:
        return self.command("port", service, str(container_port))

    def run(self, argv: list[str], timeout: float) -> str:
        return run_docker(argv, timeout, {**os.environ, **self.variables})

    def host_port(self, service: str, container_port: int) -> int:
        """The published host port, as compose reports it (`127.0.0.1:49153`)."""
        output = self.run(self.port_command(service, container_port), PROBE_TIMEOUT_SECONDS).strip()
        try:
            return int(output.splitlines()[-1].rsplit(":", 1)[1])
        except (IndexError, ValueError):
            raise StackError(f"`docker compose port {service} {container_port}` said {output!r}") from None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ComposeProject:
        return cls(
            file=str(data["file"]),
            project=str(data["project"]),
            profiles=tuple(data.get("profiles", ())),
            variables=dict(data.get("variables", {})),
        )


def run_docker(argv: list[str], timeout: float, env: dict[str, str] | None = None) -> str:
    """Run a docker command; a failure becomes a StackError with the command and its last lines."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except FileNotFoundError:
        raise StackError("no `docker` client on PATH") from None
    except subprocess.TimeoutExpired:
        raise StackError(f"`{' '.join(argv)}` did not finish in {timeout:.0f}s") from None
    if done.returncode != 0:
        raise StackError(f"`{' '.join(argv)}` failed ({done.returncode}):\n{_last_lines(done)}")
    return done.stdout


def docker_problem() -> str | None:
    """Why Docker cannot run the compose stack here (client, daemon, compose plugin), or None."""
    if shutil.which("docker") is None:
        return "no `docker` client on PATH"
    checks = (
        (["docker", "info", "--format", "{{.ServerVersion}}"], "no Docker daemon reachable (docker info failed: {})"),
        (["docker", "compose", "version"], "no Docker Compose v2 plugin (docker compose version failed: {})"),
    )
    for argv, message in checks:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return message.format(exc)
        if done.returncode != 0:
            return message.format(_last_lines(done, 1) or f"exit code {done.returncode}")
    return None


def require_docker() -> None:
    problem = docker_problem()
    if problem:
        raise StackError(f"the compose backend needs Docker: {problem}")


def default_compose_file() -> Path:
    explicit = os.environ.get("HARNESS_COMPOSE_FILE")
    if explicit:
        return Path(explicit)
    return Path(__file__).resolve().parents[3] / "docker-compose.yml"  # the repository's own


def _last_lines(done: subprocess.CompletedProcess[str], count: int = 8) -> str:
    text = (done.stderr or "").strip() or (done.stdout or "").strip()
    return "\n".join(line.strip() for line in text.splitlines()[-count:])
