"""Integration fixtures: an isolated IngestClient per test on the session's embedded stack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.stack import StackInfo
from tests.support.client import IngestClient


@pytest.fixture
def client(stack: StackInfo, monkeypatch: pytest.MonkeyPatch) -> Iterator[IngestClient]:
    c = IngestClient(stack, monkeypatch)
    yield c
    c.close()
