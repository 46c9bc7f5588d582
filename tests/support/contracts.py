"""Contracts written for the tests, not shipped (tests/support/contract_files/)."""

from __future__ import annotations

import shutil
from pathlib import Path

# readings.yaml: every type and every constraint key a contract may use.
# instrument.yaml: a file written the real-world way (windows-1252, NA, 1/0 and Y/N booleans, optional columns).
# meter.yaml: replace_file with on_object_removed: unload (lineage).
FOLDER = Path(__file__).resolve().parent / "contract_files"
READINGS = (FOLDER / "readings.yaml").read_text()
INSTRUMENT = (FOLDER / "instrument.yaml").read_text(encoding="utf-8")


def write_readings(folder: Path) -> Path:
    """readings.yaml copied into ``folder``; returns the folder."""
    return write_contract(folder, "readings")


def write_contract(folder: Path, name: str) -> Path:
    """``name``.yaml copied into ``folder``; returns the folder."""
    shutil.copy(FOLDER / f"{name}.yaml", folder)
    return folder
