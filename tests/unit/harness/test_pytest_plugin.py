"""harness.pytest_plugin without a stack: it is installed as an entry point, and where its contracts come from.

Each case runs a pytest session of its own (its own folder and pytest.ini), as another repository would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

# The entry point by its name, and no other installed plugin: two seconds less per session here (Faker's and
# Hypothesis's plugins take most of a plain session's start-up).
NO_AUTOLOAD = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
ONLY_THIS_PLUGIN = ("-p", "csv_ingest")

PRINT_SETTINGS = """\
from harness.pytest_plugin import SETTINGS

def test_print_settings(pytestconfig):
    settings = pytestconfig.stash[SETTINGS]
    print(f"\\nCONTRACTS={settings.contracts} FROM={settings.contracts_source} STATE={settings.state_dir}")
"""


def test_the_plugin_is_installed_under_pytest11() -> None:
    (entry,) = [e for e in entry_points(group="pytest11") if e.value == "harness.pytest_plugin"]
    assert entry.name == "csv_ingest"


def _settings(root: Path, *args: str, ini: str = "", cwd: Path | None = None, **env: str) -> str:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text(f"[pytest]\naddopts = -p no:cacheprovider\n{ini}")
    (root / "test_settings.py").write_text(PRINT_SETTINGS)
    inherited = {k: v for k, v in os.environ.items()
                 if k not in ("HARNESS_STATE_DIR", "TABLE_CONTRACTS") and not k.startswith("PYTEST_")}
    command = [sys.executable, "-m", "pytest", *ONLY_THIS_PLUGIN, "-q", "-s", str(root / "test_settings.py"), *args]
    done = subprocess.run(command, cwd=cwd or root, env={**inherited, **env, **NO_AUTOLOAD}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("CONTRACTS=")]
    return line


@pytest.mark.parametrize(("args", "ini", "env", "expected"), [
    (("--ingest-contracts", "from-option"), "ingest_contracts = from-ini", {"TABLE_CONTRACTS": "from-env"},
     "CONTRACTS={here}/from-option FROM=--ingest-contracts"),
    ((), "ingest_contracts = from-ini", {"TABLE_CONTRACTS": "from-env"},
     "CONTRACTS={root}/from-ini FROM=ingest_contracts in {root}/pytest.ini"),
    ((), "", {"TABLE_CONTRACTS": "from-env"}, "CONTRACTS={here}/from-env FROM=TABLE_CONTRACTS"),
    ((), "", {}, "CONTRACTS=None FROM=the default"),
], ids=["option-first", "then-ini-relative-to-its-file", "then-env-relative-to-the-invocation", "else-default"])
def test_contracts_come_from_the_option_then_the_ini_then_table_contracts(
    tmp_path: Path, args: tuple[str, ...], ini: str, env: dict[str, str], expected: str
) -> None:
    root, here = tmp_path / "project", tmp_path / "elsewhere"
    here.mkdir()
    line = _settings(root, *args, ini=ini, cwd=here, **env)
    assert line == expected.format(root=root, here=here) + " STATE=None"


def test_harness_state_dir_is_read_when_the_session_starts(tmp_path: Path) -> None:
    line = _settings(tmp_path / "project", HARNESS_STATE_DIR="state")
    assert line.endswith(f"STATE={tmp_path / 'project' / 'state'}")
