"""The scenario catalogue under pytest: one test per scenario, on the session stack (moto + PostgreSQL)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from typing import TextIO

import pytest

from harness.scenarios import CATALOGUE, Scenario, run_scenario, select
from harness.stack import StackInfo
from lambda_function.contract import default_folder
from tests.support.contracts import FOLDER

# Contracts the bundled catalogue does not know: the test-only readings (every type and key), instrument
# (windows-1252, NA, 1/0 booleans) and meter (replace_file, unloads on removal), and the shipped example orders.
# Their generated scenarios run here except the per-defect ones, which tests/integration/test_contract_defects.py
# drives through the same handler (one lane, ~4x faster); five of them stay, so the generated defect scenario
# itself is exercised.
SAMPLED_DEFECTS = ("defect-pattern_broken-site", "defect-duplicate_case-code", "defect-unterminated_quote",
                   "defect-undefined_byte-lab", "defect-not_in_enum-quality")
GENERATED = [s for folder in (FOLDER, default_folder() / "examples") for s in select(contracts=folder)
             if "-defect-" not in s.name or s.name.endswith(SAMPLED_DEFECTS)]


def _param(scenario: Scenario) -> object:
    marks = [pytest.mark.large, pytest.mark.slow] if scenario.large else []
    return pytest.param(scenario, id=scenario.name, marks=marks)


@pytest.fixture(scope="module")
def function_logs() -> Iterator[TextIO]:
    with open(os.devnull, "w") as sink:
        yield sink


@pytest.mark.parametrize("scenario", [_param(s) for s in CATALOGUE] + [
    pytest.param(s, id=s.name, marks=pytest.mark.contracts) for s in GENERATED])
def test_scenario(stack: StackInfo, scenario: Scenario, function_logs: TextIO) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No application metrics")
        result = run_scenario(stack, scenario, log_stream=function_logs)
    assert result.passed, f"expected {result.expected}, got {result.actual}: {result.detail}"
