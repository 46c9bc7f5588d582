"""pytest plugin with factories for seeded fixture files (users.csv / test.csv, clean or broken).

Load it from the root conftest with ``pytest_plugins = ["tests.support.fixtures_plugin"]``. Example::

    def test_rejects_bad_email(make_csv):
        broken = make_csv("users", rows=50, seed=3, defect="bad_email")
        ...  # broken.data, broken.defect.row, broken.defect.column

    def test_replay(csv_file):
        written = csv_file("test", rows=10_000, gzipped=True)  # .../test.csv.gz
        ...  # written.path, written.rows

To parametrize over defects: ``fixtures.defects_for("users")`` or :func:`defect_cases`.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Protocol

import pytest

import fixtures
from fixtures.schema import DEFAULT_USERS, layout


class MakeCsv(Protocol):
    def __call__(
        self, table: str, rows: int = 100, seed: int = 0, defect: str | None = None, *, users: int = ...
    ) -> fixtures.GeneratedFile: ...


class CsvFile(Protocol):
    def __call__(
        self,
        table: str,
        rows: int = 100,
        seed: int = 0,
        defect: str | None = None,
        *,
        gzipped: bool = False,
        name: str | None = None,
        users: int = ...,
    ) -> fixtures.WrittenFile: ...


def defect_cases() -> list[tuple[str, str]]:
    """Every (table, defect kind) pair, for ``pytest.mark.parametrize("table,kind", defect_cases())``."""
    return [(table, kind) for table in fixtures.TABLES for kind in fixtures.defects_for(table)]


@pytest.fixture
def make_csv() -> MakeCsv:
    """Factory: a generated file in memory (``.data`` bytes, ``.defect`` location or None)."""

    def make(
        table: str, rows: int = 100, seed: int = 0, defect: str | None = None, *, users: int = DEFAULT_USERS
    ) -> fixtures.GeneratedFile:
        return fixtures.generate(table, rows, seed, defect, users=users)

    return make


@pytest.fixture
def csv_file(tmp_path: Path) -> CsvFile:
    """Factory: a generated file on disk under ``tmp_path``, named as its object (``users.csv[.gz]``).

    Each call gets its own folder, so several files keep their whitelisted names; ``name``
    overrides the file name (e.g. ``"Users.csv"`` for a key the whitelist rejects).
    """
    counter = itertools.count(1)

    def write(
        table: str,
        rows: int = 100,
        seed: int = 0,
        defect: str | None = None,
        *,
        gzipped: bool = False,
        name: str | None = None,
        users: int = DEFAULT_USERS,
    ) -> fixtures.WrittenFile:
        object_name = layout(table).object_name + (".gz" if gzipped else "")
        path = tmp_path / f"csv-{next(counter)}" / (name or object_name)
        return fixtures.write(path, table, rows, seed, defect, users=users, gzipped=gzipped)

    return write
