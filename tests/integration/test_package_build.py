"""A real `harness package` build for python3.11 x86_64: within Lambda's limits, the right contents, reproducible.

Wheels come from PyPI the first time and from the wheel cache after that.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.deploy.bundle import UNZIPPED_LIMIT, ZIPPED_LIMIT, BuildResult, build_package

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build_package("3.11", "x86_64", out_dir=tmp_path_factory.mktemp("first"))


@pytest.fixture(scope="module")
def names(build: BuildResult) -> list[str]:
    with zipfile.ZipFile(build.zip_path) as archive:
        return archive.namelist()


def test_within_lambdas_limits(build: BuildResult) -> None:
    assert build.zip_path.stat().st_size == build.zipped_bytes <= ZIPPED_LIMIT
    with zipfile.ZipFile(build.zip_path) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    assert unzipped == build.unzipped_bytes <= UNZIPPED_LIMIT


def test_our_package_sits_at_the_root(names: list[str]) -> None:
    assert "lambda_function/__init__.py" in names


def test_runtime_provided_packages_are_not_bundled(names: list[str], build: BuildResult) -> None:
    tops = {name.split("/", 1)[0] for name in names}
    for module in ("boto3", "botocore", "s3transfer", "jmespath", "urllib3"):
        assert module not in tops
        assert not any(top.lower().startswith(f"{module}-") for top in tops)  # no dist-info either
    assert set(build.excluded) >= {"boto3", "botocore", "s3transfer", "jmespath"}


def test_our_dependencies_are_bundled_and_nothing_the_handler_does_not_import(names: list[str]) -> None:
    tops = {name.split("/", 1)[0] for name in names}
    assert {"numpy", "sqlalchemy", "psycopg", "psycopg_binary", "aws_lambda_powertools", "yaml"} <= tops
    assert any(n.startswith("numpy-") and n.endswith(".dist-info/METADATA") for n in names)
    # the checks run on numpy alone: pandas (the seed's pipeline in the benchmark) and pandera stay out
    assert not {"pandas", "pandera", "pyarrow"} & tops


def test_no_tests_caches_or_stubs(names: list[str]) -> None:
    assert not [n for n in names if "/tests/" in n or n.startswith("tests/")]
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyi"))]


def _glibc_minor(platform: str) -> int | None:
    match = re.match(r"manylinux_2_(\d+)_|manylinux(2014|2010|1)_", platform)
    if match is None:
        return None
    return int(match.group(1)) if match.group(1) else 17  # manylinux2014/2010/1 need at most glibc 2.17


def test_python_311_wheels_fit_amazon_linux_2(build: BuildResult, names: list[str]) -> None:
    # python3.11 runs on Amazon Linux 2 (glibc 2.26): every binary wheel needs a tag it can load.
    with zipfile.ZipFile(build.zip_path) as archive:
        wheels = {n: archive.read(n).decode() for n in names if n.endswith(".dist-info/WHEEL")}
    binary = 0
    for name, text in wheels.items():
        platforms = [line.split(": ", 1)[1].rsplit("-", 1)[-1] for line in text.splitlines() if line.startswith("Tag:")]
        if all(p == "any" for p in platforms):
            continue
        binary += 1
        minors = [m for m in map(_glibc_minor, platforms) if m is not None]
        assert minors and min(minors) <= 26, (name, platforms)
        assert all(p.endswith("x86_64") for p in platforms), (name, platforms)
    assert binary >= 3  # numpy, sqlalchemy, psycopg-binary


def test_two_builds_are_byte_identical(build: BuildResult, tmp_path: Path) -> None:
    again = build_package("3.11", "x86_64", out_dir=tmp_path)
    assert again.sha256 == build.sha256
    assert again.zip_path.read_bytes() == build.zip_path.read_bytes()


def test_cli_reports_sizes_and_exits_zero(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["package", "--python", "3.11", "--arch", "x86_64", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "zipped" in result.output and "largest 5 dependencies" in result.output
    assert (tmp_path / "lambda_function.zip").is_file()
