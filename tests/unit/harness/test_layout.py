"""The house rules, checked: packages by role, no module named after something importable, small files."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("lambda_function", "harness", "fixtures")
HOUSE = (*PACKAGES, "tests")  # the 400-line rule holds for the tests too
OURS = set(PACKAGES)


def _modules() -> list[Path]:
    return [p for package in PACKAGES for p in (REPO / package).rglob("*.py") if "__pycache__" not in p.parts]


def test_harness_is_organised_in_packages_by_role() -> None:
    top = sorted(p.name for p in (REPO / "harness").glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert len(top) <= 6, top
    roles = {p.name for p in (REPO / "harness").iterdir() if (p / "__init__.py").is_file()}
    assert {"cli", "stack", "emulator", "scenarios", "bench", "deploy"} <= roles


def test_no_module_is_named_after_a_stdlib_module_or_an_installed_distribution() -> None:
    # A script's own folder goes first on sys.path: a harness/x/packaging.py would hide `packaging`.
    taken = (set(importlib.metadata.packages_distributions()) | set(sys.stdlib_module_names)) - OURS
    clashes = [str(p.relative_to(REPO)) for p in _modules()
               if (p.parent.name if p.stem == "__init__" else p.stem) in taken]
    assert clashes == []


@pytest.mark.parametrize("package", HOUSE)
def test_no_file_over_400_lines(package: str) -> None:
    long = {str(p.relative_to(REPO)): n for p in (REPO / package).rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


def test_every_folder_of_modules_is_a_package() -> None:
    folders = {p.parent for p in _modules()}
    assert [str(f.relative_to(REPO)) for f in folders if not (f / "__init__.py").is_file()] == []


def test_the_handler_package_stands_alone() -> None:
    for path in (REPO / "lambda_function").rglob("*.py"):
        text = path.read_text()
        assert "import harness" not in text and "from harness" not in text, path
        assert "import fixtures" not in text and "from fixtures" not in text, path
