"""`pip install -e '.[cli]'` in a clean virtual environment is enough for a producer: validate and contract
commands work, and the commands that need the dev extra say so instead of failing with a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
USERS = "user_id,email,full_name,country_code,signup_date,is_active\n1,a@b.co,Ada,GB,2020-01-02,true\n"


@pytest.fixture(scope="module")
def cli_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("cli-venv") / "venv"
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if Path(uv).exists():  # the same tool `make` uses; its cache makes this a few seconds
        subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
        subprocess.run([uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "-e",
                        f"{REPO}[cli]"], check=True, timeout=600)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "-e", f"{REPO}[cli]"], check=True,
                       timeout=900)
    return venv


def run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv / "bin" / "harness"), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, check=False)


def test_the_cli_extra_validates_and_checks_contracts(cli_venv: Path, tmp_path: Path) -> None:
    missing = subprocess.run([str(cli_venv / "bin" / "python"), "-c", "import faker"], capture_output=True)
    assert missing.returncode != 0, "the [cli] extra must not pull the dev dependencies"
    good, bad = tmp_path / "users.csv", tmp_path / "bad.csv"
    good.write_text(USERS)
    bad.write_text(USERS.replace("a@b.co", "not-an-email"))
    assert run(cli_venv, "validate", str(good), "--as", "users.csv", cwd=tmp_path).returncode == 0
    failed = run(cli_venv, "validate", str(bad), "--as", "users.csv", cwd=tmp_path)
    assert failed.returncode == 1 and "email" in failed.stdout
    assert run(cli_venv, "contract", "check", cwd=tmp_path).returncode == 0
    assert run(cli_venv, "--version", cwd=tmp_path).returncode == 0


def test_a_dev_only_command_says_what_to_install(cli_venv: Path, tmp_path: Path) -> None:
    done = run(cli_venv, "generate", "users", "-n", "5", cwd=tmp_path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "[dev]" in done.stderr, done.stderr
