"""Shared fixtures. The stack starts lazily: only tests that ask for `stack` (or `aws_env`) pay for it.

`stack` is the installed pytest plugin's `ingest_stack` (harness/pytest_plugin.py), so every run exercises
the fixture other repositories use: one stack per session, HARNESS_BACKEND's (embedded by default).
"""

from __future__ import annotations

import pytest

from harness.stack import StackInfo

pytest_plugins = ["tests.support.fixtures_plugin"]


@pytest.fixture(scope="session")
def stack(ingest_stack: StackInfo) -> StackInfo:
    """One stack for the whole test session: embedded (moto + real PostgreSQL) unless HARNESS_BACKEND names another."""
    return ingest_stack


@pytest.fixture
def aws_env(stack: StackInfo, monkeypatch: pytest.MonkeyPatch) -> StackInfo:
    """The Lambda's environment for this test: endpoint, region, dummy credentials, DB URL, topic."""
    for name, value in stack.lambda_environment().items():
        monkeypatch.setenv(name, value)
    return stack
