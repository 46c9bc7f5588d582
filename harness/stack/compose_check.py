"""`python -m harness.stack.compose_check [pytest args]`: the Docker test suites, or a clear NOT RUN.

No Docker daemon runs on our machines or in CI, so `tox -e docker` must say plainly that it did
not run these tests (exit 0) rather than fail, or pass by skipping them quietly.
"""

from __future__ import annotations

import subprocess
import sys

from harness.stack.services.compose_cli import docker_problem


def pytest_command(extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "-m", "docker", "tests/docker", *extra]


def main(argv: list[str] | None = None) -> int:
    problem = docker_problem()
    if problem is not None:
        print(f"docker: NOT RUN — {problem}", flush=True)
        return 0
    return subprocess.call(pytest_command(list(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    raise SystemExit(main())
