"""End-to-end scenarios: a catalogue (data) and a runner against any stack backend."""

from harness.scenarios.catalogue import CATALOGUE, select
from harness.scenarios.model import Generated, Result, Scenario, Upload
from harness.scenarios.runner import run_all, run_scenario

__all__ = ["CATALOGUE", "Generated", "Result", "Scenario", "Upload", "run_all", "run_scenario", "select"]
