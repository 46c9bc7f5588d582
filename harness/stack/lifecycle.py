"""Choose a backend, bring a stack up, take it down; plus a context manager for tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness.stack.backends.base import StackBackend
from harness.stack.backends.compose import ComposeBackend
from harness.stack.backends.embedded import EmbeddedBackend
from harness.stack.backends.external import ExternalBackend
from harness.stack.backends.localstack_host import LocalStackBackend
from harness.stack.errors import StackError
from harness.stack.info import StackInfo

BACKENDS: dict[str, type[StackBackend]] = {
    EmbeddedBackend.name: EmbeddedBackend,
    ExternalBackend.name: ExternalBackend,
    LocalStackBackend.name: LocalStackBackend,
    ComposeBackend.name: ComposeBackend,
}
DEFAULT_BACKEND = EmbeddedBackend.name


def backend_name(explicit: str | None = None) -> str:
    return explicit or os.environ.get("HARNESS_BACKEND") or DEFAULT_BACKEND


def get_backend(name: str | None = None, **options: Any) -> StackBackend:
    chosen = backend_name(name)
    if chosen not in BACKENDS:
        raise StackError(f"unknown backend {chosen!r}; choose one of {', '.join(sorted(BACKENDS))}")
    return BACKENDS[chosen](**options)


def start_stack(name: str | None = None, **options: Any) -> StackInfo:
    """Start, health-check and provision a stack; returns its description (public + runtime)."""
    return get_backend(name, **options).up()


def stop_stack(info: StackInfo) -> None:
    """Stop exactly what `start_stack` started (by pid) and remove its temp folders. Idempotent."""
    backend_class = BACKENDS.get(info.backend)
    if backend_class is None:
        raise StackError(f"unknown backend {info.backend!r} in the stack description")
    # stop() is a classmethod: it works from the recorded runtime state only (another process may call it).
    backend_class.stop(info.runtime)


@contextmanager
def ephemeral_stack(name: str | None = None, **options: Any) -> Iterator[StackInfo]:
    info = start_stack(name, **options)
    try:
        yield info
    finally:
        stop_stack(info)
