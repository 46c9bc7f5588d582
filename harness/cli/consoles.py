"""Rich consoles for people: fitted to the window in a terminal, plain and full-width when piped.

Piped or redirected (`| grep`, `> out.txt`, a CI log), rich assumes 80 columns and folds or cuts what
does not fit: a scenarios table read `│ SUC` for SUCCEEDED. There the width is instead a ceiling no
line reaches, so every table is as wide as its content; rich already leaves out colour and styles
when the stream is not a terminal (unless FORCE_COLOR asks for them).
"""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console

PIPED_WIDTH = 10_000  # a ceiling, never padding: tables and text take only the width they need


def console_for(*, stderr: bool = False, **options: Any) -> Console:
    """A Console on stdout (or stderr) that does not cut its output at 80 columns when that stream is piped."""
    stream = sys.stderr if stderr else sys.stdout
    if not _is_terminal(stream) and "width" not in options:
        options["width"] = PIPED_WIDTH
    return Console(stderr=stderr, **options)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams (test runners, daemons)
        return False
