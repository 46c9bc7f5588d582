"""`harness scenarios` and `harness demo` through the CLI: JSON, JUnit XML, exit codes, a clean shutdown."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import psutil
import pytest
from typer.testing import CliRunner

from harness import state
from harness.cli import app
from harness.stack import StackInfo


def test_scenarios_json_and_junit_on_the_running_stack(stack: StackInfo, tmp_path: Path) -> None:
    state.save(stack, tmp_path)  # as if `harness up` had written it: the command must reuse it
    junit = tmp_path / "junit.xml"
    args = ["scenarios", "--select", "rejected-orders*", "--json", "--junit", str(junit), "--state-dir", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)
    assert set(entry) == {"name", "passed", "expected", "actual", "rows", "seconds", "detail"}
    assert entry["passed"] and entry["actual"] == "REJECTED"
    suite = ET.parse(junit).getroot().find("testsuite")  # noqa: S314 - written by the command above
    assert suite is not None and suite.get("tests") == "1" and suite.get("failures") == "0"


def test_scenarios_unknown_selection_exits_2_without_a_stack(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["scenarios", "--select", "no-such-thing", "--state-dir", str(tmp_path)])
    assert result.exit_code == 2


@pytest.mark.slow
def test_demo_runs_and_leaves_nothing_running() -> None:
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    for status in ("SUCCEEDED", "FAILED", "REJECTED", "SKIPPED"):
        assert status in result.output
    assert "harness scenarios" in result.output
    # one full message body, as a subscriber receives it: the FAILED upload with its error place and rule
    assert "the SNS message of the FAILED upload" in result.output
    for field in ('"status": "FAILED"', '"errors"', '"row"', '"column": "email"', '"rule"', '"request_id"'):
        assert field in result.output, field
    started = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert not [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
