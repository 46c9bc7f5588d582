"""The LocalStack backend's configuration: where its venv lives, which pins, and its private paths."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from harness.stack.errors import StackError
from harness.stack.services.localstack_runtime.install import (
    LOCALSTACK_PINS,
    MARKER_FILE,
    _pins_text,
    _run,
    is_ready,
    venv_dir,
)
from harness.stack.services.localstack_runtime.server import localstack_environment


def test_the_venv_lives_in_the_user_cache_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HARNESS_LOCALSTACK_VENV", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert venv_dir() == tmp_path / "s3-csv-ingest" / "localstack-venv"
    monkeypatch.setenv("HARNESS_LOCALSTACK_VENV", str(tmp_path / "elsewhere"))
    assert venv_dir() == tmp_path / "elsewhere"


def test_pins_are_exact_for_localstack_and_its_moto_fork() -> None:
    assert "localstack-core[base-runtime]==4.13.1" in LOCALSTACK_PINS
    assert any(pin.startswith("moto-ext==") for pin in LOCALSTACK_PINS)
    assert {"cbor2<6", "pyopenssl<26", "localstack-twisted<26"} <= set(LOCALSTACK_PINS)


def test_a_venv_built_with_other_pins_or_half_built_is_not_reused(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").touch()
    assert not is_ready(tmp_path)  # no marker: an interrupted build
    (tmp_path / MARKER_FILE).write_text("localstack-core==4.12.0\n")
    assert not is_ready(tmp_path)
    (tmp_path / MARKER_FILE).write_text(_pins_text())
    assert is_ready(tmp_path)


def test_a_failed_build_step_is_one_message_with_the_tail_of_its_output(tmp_path: Path) -> None:
    failing = [sys.executable, "-c", "import sys; print('ERROR: No matching distribution'); sys.exit(1)"]
    with pytest.raises(StackError, match=r"could not build the LocalStack venv(.|\n)*No matching distribution"):
        _run(failing, tmp_path / "build.log")


def test_every_path_localstack_writes_is_inside_its_folder(tmp_path: Path) -> None:
    env = localstack_environment(tmp_path, 4510)
    for name in ("HOME", "TMP", "FILESYSTEM_ROOT", "CONFIG_DIR", "HARNESS_S3_STORAGE_DIR"):
        assert Path(env[name]).is_dir() and Path(env[name]).parent == tmp_path, name
    assert "TMPDIR" not in env  # LocalStack treats TMPDIR as a deprecated setting of its own
    assert env["GATEWAY_LISTEN"] == env["LOCALSTACK_HOST"] == "127.0.0.1:4510"
    assert (env["DNS_ADDRESS"], env["OVERRIDE_IN_DOCKER"], env["SERVICES"]) == ("0", "0", "s3,sns,sqs")
    assert env["DISABLE_EVENTS"] == env["SKIP_SSL_CERT_DOWNLOAD"] == "1"
