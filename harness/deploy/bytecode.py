"""Optional (`harness package --compile`): ship byte code compiled by the target Python.

Lambda's /var/task is read-only, so without .pyc files every cold start compiles every module it
imports (measured: ~2.6 s of a cold `import lambda_function` on python3.11, against ~0.7 s with
byte code). The .pyc files are "unchecked-hash" ones: no timestamps (the zip stays reproducible)
and no source check at import (the code of a deployed function never changes). They can only be
made by an interpreter of the target version, so the option needs one on this machine.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from harness.deploy.archive import FILE_MODE, ZipEntry
from harness.deploy.resolve import PackagingError
from harness.deploy.smoke import find_interpreter

COMPILE_SCRIPT = r"""
import compileall, py_compile, sys
ok = compileall.compile_dir(sys.argv[1], quiet=1, workers=1, stripdir=sys.argv[1], prependdir="/var/task",
                            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
sys.exit(0)  # a module that does not compile (a template, old syntax) just keeps no .pyc
"""


def _stage_sources(entries: Sequence[ZipEntry], staging: Path) -> None:
    wheels: dict[Path, zipfile.ZipFile] = {}
    try:
        for entry in entries:
            if not entry.arcname.endswith(".py"):
                continue
            target = staging / entry.arcname
            target.parent.mkdir(parents=True, exist_ok=True)
            if entry.member is None:
                shutil.copyfile(entry.source, target)
                continue
            wheel = wheels.get(entry.source)
            if wheel is None:
                wheel = wheels[entry.source] = zipfile.ZipFile(entry.source)
            with wheel.open(entry.member) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink)
    finally:
        for wheel in wheels.values():
            wheel.close()


def compiled_entries(entries: Sequence[ZipEntry], python: str, staging: Path) -> list[ZipEntry]:
    """`__pycache__/*.cpython-XY.pyc` entries for the .py entries; `staging` must outlive the zip writing."""
    interpreter = find_interpreter(python)
    if interpreter is None:
        raise PackagingError(f"--compile needs a CPython {python} on this machine (PATH or ~/.pyenv/versions)")
    _stage_sources(entries, staging)
    done = subprocess.run(
        [str(interpreter.path), "-I", "-S", "-c", COMPILE_SCRIPT, str(staging)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise PackagingError(f"byte-compiling with {interpreter.path} failed:\n{done.stderr.strip()}")
    origins = {entry.arcname: entry.origin for entry in entries}
    compiled = []
    for pyc in sorted(staging.rglob("__pycache__/*.pyc")):
        arcname = PurePosixPath(*pyc.relative_to(staging).parts)
        module = arcname.parent.parent / (arcname.name.split(".", 1)[0] + ".py")
        origin = origins.get(module.as_posix())
        if origin is not None:
            compiled.append(ZipEntry(arcname.as_posix(), origin, pyc.stat().st_size, FILE_MODE, pyc))
    return compiled
