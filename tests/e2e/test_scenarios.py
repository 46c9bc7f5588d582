"""The scenario catalogue under pytest: one test per scenario, on the session stack (moto + PostgreSQL)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from typing import TextIO

import pytest

from harness.scenarios import CATALOGUE, Scenario, run_scenario
from harness.stack import StackInfo


def _param(scenario: Scenario) -> object:
    marks = [pytest.mark.large, pytest.mark.slow] if scenario.large else []
    return pytest.param(scenario, id=scenario.name, marks=marks)


@pytest.fixture(scope="module")
def function_logs() -> Iterator[TextIO]:
    with open(os.devnull, "w") as sink:
        yield sink


@pytest.mark.parametrize("scenario", [_param(s) for s in CATALOGUE])
def test_scenario(stack: StackInfo, scenario: Scenario, function_logs: TextIO) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No application metrics")
        result = run_scenario(stack, scenario, log_stream=function_logs)
    assert result.passed, f"expected {result.expected}, got {result.actual}: {result.detail}"
