"""Run the built zip the way Lambda would: unpacked alone, in a clean interpreter of the target Python.

Lambda's sys.path is the function's folder, then the runtime's own packages (boto3 and friends),
then the standard library. We rebuild exactly that: `python -I -S -B` (no site-packages, no
PYTHONPATH, no user site, no byte code written: /var/task is read-only), the unzipped folder
first, then a folder with the runtime-provided packages copied from this environment. Nothing
from the development virtualenv leaks in.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# What the Lambda Python runtime carries besides the standard library (boto3 and its dependencies).
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
RESULT_MARKER = "SMOKE-RESULT "

# Runs inside the clean interpreter: argv = task folder, runtime folder, event JSON.
INVOKE_SCRIPT = r"""
import json, sys, time
task, runtime, event = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path[:0] = [task, runtime]
started = time.perf_counter()
from lambda_function import lambda_handler
import_seconds = time.perf_counter() - started

class Context:
    aws_request_id = "smoke-0000"
    function_name = "csv-ingest-smoke"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:000000000000:function:csv-ingest-smoke"
    log_group_name = "/aws/lambda/csv-ingest-smoke"
    log_stream_name = "smoke"
    _deadline = time.monotonic() + 900
    def get_remaining_time_in_millis(self):
        return int((self._deadline - time.monotonic()) * 1000)

result = lambda_handler(event, Context())
files = sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)})
print("SMOKE-RESULT " + json.dumps({"result": result, "import_seconds": import_seconds,
                                    "python": list(sys.version_info[:3]), "module_files": files}, default=str))
"""


@dataclass(frozen=True)
class Interpreter:
    version: str
    path: Path


def _reports_version(path: Path, version: str) -> bool:
    try:
        done = subprocess.run(
            [str(path), "-I", "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return False
    return done.returncode == 0 and done.stdout.strip() == version


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path.parent.parent.name)) or (0,)


def find_interpreter(version: str) -> Interpreter | None:
    """A CPython of that minor version: this one, one on PATH, or a pyenv installation."""
    candidates: list[Path] = []
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        candidates.append(Path(getattr(sys, "_base_executable", sys.executable)))
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(Path(on_path))
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates += sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"), key=_version_key, reverse=True)
    for candidate in candidates:
        if candidate.is_file() and _reports_version(candidate, version):
            return Interpreter(version, candidate)
    return None


def unpack(zip_path: Path, destination: Path) -> Path:
    destination.mkdir(parents=True, exist_ok=False)  # must start empty
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(destination)
    return destination


def runtime_provided_dir(destination: Path, interpreters: Sequence[Interpreter] = ()) -> Path:
    """A folder standing in for the Lambda runtime's own packages, copied from this environment.

    The runtime's copies come byte-compiled, so each given interpreter compiles the folder once:
    the cold-import times measured against it then count only what the zip itself costs.
    """
    destination.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"{name} is not installed here; it stands in for the Lambda runtime's copy")
        origin = Path(spec.origin)
        if spec.submodule_search_locations:  # a package: copy its folder
            shutil.copytree(
                origin.parent, destination / name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(origin, destination / origin.name)
    for interpreter in interpreters:
        subprocess.run(
            [str(interpreter.path), "-I", "-S", "-m", "compileall", "-q", str(destination)],
            capture_output=True,
            check=True,
        )
    return destination


@dataclass(frozen=True)
class Invocation:
    returncode: int
    stdout: str
    stderr: str
    payload: dict[str, Any] | None  # what the inline script reported, when it got that far

    def explain(self) -> str:
        return f"exit {self.returncode}\n--- stdout ---\n{self.stdout[-4000:]}\n--- stderr ---\n{self.stderr[-4000:]}"


def invoke(
    interpreter: Interpreter,
    task_dir: Path,
    runtime_dir: Path,
    event: Mapping[str, Any],
    environment: Mapping[str, str],
    home: Path,
    timeout: float = 600,
) -> Invocation:
    """Call lambda_handler once in a fresh `python -I -S` with only the given environment (env -i style)."""
    home.mkdir(parents=True, exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "TZ": "UTC", **environment}
    # -B: Lambda's /var/task is read-only, so no run may leave byte code behind for the next one.
    command = [
        str(interpreter.path),
        "-I",
        "-S",
        "-B",
        "-c",
        INVOKE_SCRIPT,
        str(task_dir),
        str(runtime_dir),
        json.dumps(event),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=home, timeout=timeout, check=False)
    payload = None
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            payload = json.loads(line[len(RESULT_MARKER) :])
    return Invocation(done.returncode, done.stdout, done.stderr, payload)
