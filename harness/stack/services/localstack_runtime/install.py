"""The private virtual environment LocalStack's host-mode runtime runs from (created on first use).

LocalStack is not a dependency of the project: its pins clash with ours, and upstream froze the
free edition. So it lives in its own venv under the user's cache dir, built once with exact pins
and reused; a marker file records the pins, so changing them here rebuilds it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.stack.errors import StackError

# 4.13.1 is the last localstack-core that runs on Python 3.11 (4.14.0's wheel says >=3.10 but uses
# 3.12 syntax); everything after 4.14 needs an auth token anyway. The upper bounds keep pip from
# picking releases newer than this frozen runtime can import. moto-ext is LocalStack's fork of
# moto; base-runtime leaves it out but SNS needs it: this is the build published with 4.13.1.
LOCALSTACK_PINS = (
    "localstack-core[base-runtime]==4.13.1",
    "moto-ext==5.1.20.post44",
    "cbor2<6",
    "pyopenssl<26",
    "localstack-twisted<26",
)
MARKER_FILE = "harness-pins.txt"
INSTALL_TIMEOUT_SECONDS = 900


def venv_dir() -> Path:
    explicit = os.environ.get("HARNESS_LOCALSTACK_VENV")
    if explicit:
        return Path(explicit)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "s3-csv-ingest" / "localstack-venv"


def venv_python(directory: Path) -> Path:
    return directory / "bin" / "python"


def is_ready(directory: Path) -> bool:
    marker = directory / MARKER_FILE
    return venv_python(directory).exists() and marker.exists() and marker.read_text() == _pins_text()


def ensure_venv(directory: Path | None = None) -> Path:
    """The venv's python, building the venv first when it is missing or has other pins."""
    directory = directory or venv_dir()
    if is_ready(directory):
        return venv_python(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(directory):
        if not is_ready(directory):  # another process may have built it while we waited
            _build(directory)
    return venv_python(directory)


def _build(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    log = directory.parent / f"{directory.name}-build.log"
    _run([sys.executable, "-m", "venv", str(directory)], log)
    pip = [str(venv_python(directory)), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    _run([*pip, *LOCALSTACK_PINS], log)
    # Written last: a build that was interrupted has no marker and is redone next time.
    (directory / MARKER_FILE).write_text(_pins_text())
    log.unlink(missing_ok=True)


def _run(argv: list[str], log: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")}
    with open(log, "ab") as out:
        try:
            done = subprocess.run(
                argv, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=INSTALL_TIMEOUT_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise StackError(f"could not build the LocalStack venv ({exc}); see {log}") from exc
    if done.returncode != 0:
        lines = [line for line in log.read_text(errors="replace").splitlines() if not line.startswith("WARNING")]
        detail = "\n".join(lines[-8:])
        raise StackError(f"could not build the LocalStack venv: `{' '.join(argv[:4])} ...` failed:\n{detail}")


def _pins_text() -> str:
    return f"python {sys.version_info.major}.{sys.version_info.minor}\n" + "\n".join(LOCALSTACK_PINS) + "\n"


@contextmanager
def _build_lock(directory: Path) -> Iterator[None]:
    with open(directory.parent / f"{directory.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
