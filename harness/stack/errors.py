"""The one error type the stack raises: the CLI turns it into a clear message, never a traceback."""

from __future__ import annotations


class StackError(RuntimeError):
    """Starting, checking, provisioning or stopping a stack failed (message says what and where)."""


class NoRunningStack(StackError):
    """A command needs a running stack and there is none."""
