"""Shared fixtures. The stack starts lazily: only tests that ask for `stack` (or `aws_env`) pay for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.stack import StackInfo, backend_name, ephemeral_stack

pytest_plugins = ["tests.support.fixtures_plugin"]


@pytest.fixture(scope="session")
def stack() -> Iterator[StackInfo]:
    """One stack for the whole test session: embedded (moto + real PostgreSQL) unless HARNESS_BACKEND names another."""
    with ephemeral_stack(backend_name()) as info:
        yield info


@pytest.fixture
def aws_env(stack: StackInfo, monkeypatch: pytest.MonkeyPatch) -> StackInfo:
    """The Lambda's environment for this test: endpoint, region, dummy credentials, DB URL, topic."""
    for name, value in stack.lambda_environment().items():
        monkeypatch.setenv(name, value)
    return stack
