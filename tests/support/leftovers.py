"""What a stack left behind in a private TMPDIR: processes still running there, files still there.

A test gives the code under test its own TMPDIR (0755, so `nobody` reaches PostgreSQL's folder in it);
everything a stack starts or writes is then under that folder, and nothing of other tests is.
"""

from __future__ import annotations

import os
from pathlib import Path


def processes_using(folder: Path) -> list[Path]:
    """/proc entries whose command line or working directory names `folder`."""
    return [p for p in Path("/proc").glob("[0-9]*") if str(folder) in _cmdline_and_cwd(p)]


def files_left(folder: Path) -> list[Path]:
    """Entries of `folder` except the reusable copy of the PostgreSQL binaries (kept by design, when complete:
    made when the wheel's folder is not reachable by `nobody`; never a half-copied staging folder)."""
    return [p for p in folder.iterdir() if not _is_binaries_cache(p)]


def _is_binaries_cache(path: Path) -> bool:
    return path.name.startswith(f"harness-pginstall-{os.geteuid()}-") and ".staging-" not in path.name \
        and (path / ".complete").is_file()


def _cmdline_and_cwd(proc: Path) -> str:
    try:
        cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        return f"{cmdline} {os.readlink(proc / 'cwd')}"
    except OSError:
        return ""
