"""Where `harness up` records its stack: `.harness/stack.json` (public) and `runtime.json` (private).

The folder is HARNESS_STATE_DIR (or --state-dir) when set, so tests and parallel checkouts never
share a stack by accident; otherwise the nearest `.harness/` holding a stack in the current folder or
its parents (like git finds `.git/`), else `./.harness` (where `harness up` creates one).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from harness.stack import NoRunningStack, RuntimeState, StackInfo

STACK_FILE = "stack.json"
RUNTIME_FILE = "runtime.json"
LOCK_FILE = "lock"


DEFAULT_DIR = ".harness"


def state_dir(explicit: Path | str | None = None) -> Path:
    chosen = explicit or os.environ.get("HARNESS_STATE_DIR")
    if chosen:
        return Path(chosen)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / DEFAULT_DIR / STACK_FILE).is_file():
            return folder / DEFAULT_DIR
    return Path(DEFAULT_DIR)


def _where_looked(directory: Path) -> str:
    if directory == Path(DEFAULT_DIR) and not os.environ.get("HARNESS_STATE_DIR"):
        return f"looked for {DEFAULT_DIR}/{STACK_FILE} in {Path.cwd()} and its parents; HARNESS_STATE_DIR is not set"
    return f"nothing in {directory.resolve()}/"


def save(info: StackInfo, directory: Path) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    # 0600: stack.json holds the database password (inside its URL).
    _write_private(directory / RUNTIME_FILE, info.runtime.to_dict())
    _write_private(directory / STACK_FILE, info.public_dict())


def load(directory: Path) -> StackInfo | None:
    """The recorded stack, or None when there is none. Running or not is for the caller to check."""
    stack_file = directory / STACK_FILE
    if not stack_file.exists():
        return None
    try:
        public = json.loads(stack_file.read_text())
        runtime_file = directory / RUNTIME_FILE
        runtime = RuntimeState.from_dict(json.loads(runtime_file.read_text())) if runtime_file.exists() else None
        return StackInfo.from_public_dict(public, runtime)
    except (OSError, ValueError, TypeError) as exc:
        raise NoRunningStack(f"{stack_file} is unreadable ({exc}); run `harness down` to clear it") from exc


def require(directory: Path) -> StackInfo:
    info = load(directory)
    if info is None:
        raise NoRunningStack(f"no running stack ({_where_looked(directory)}); start one with `harness up`")
    return info


def clear(directory: Path) -> None:
    for name in (STACK_FILE, RUNTIME_FILE):  # the lock file stays: a waiter may hold it open
        (directory / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        directory.rmdir()  # only when empty: other tools may keep files here


@contextlib.contextmanager
def exclusive(directory: Path) -> Iterator[None]:
    """Serialise `up` and `down` on one state dir, so two of them never start or stop one stack twice."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(directory / LOCK_FILE, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_private(path: Path, data: Mapping[str, object]) -> None:
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, path)  # readers never see half a file
