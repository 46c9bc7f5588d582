"""The `large` marker: scenarios with a million-row file (deselect with `-m "not large"`)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "large: streams a file of a million rows or more (~15 s)")
