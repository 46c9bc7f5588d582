"""Contracts written for the tests, not shipped (tests/support/contract_files/)."""

from __future__ import annotations

import shutil
from pathlib import Path

# readings.yaml: every type and every constraint key a contract may use.
FOLDER = Path(__file__).resolve().parent / "contract_files"
READINGS = (FOLDER / "readings.yaml").read_text()


def write_readings(folder: Path) -> Path:
    """readings.yaml copied into ``folder``; returns the folder."""
    shutil.copy(FOLDER / "readings.yaml", folder)
    return folder
