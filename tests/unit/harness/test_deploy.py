"""harness.deploy.bundle without the network: the exclusion walk, the file filter, the zip writer, the report."""

from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path

import pytest
from rich.console import Console

from harness.deploy.archive import (
    FIXED_DATE_TIME,
    ZipEntry,
    installed_path,
    merge_entries,
    package_entries,
    wheel_entries,
    write_zip,
)
from harness.deploy.bundle import (
    MIB,
    UNZIPPED_LIMIT,
    ZIPPED_LIMIT,
    BuildResult,
    DistributionSize,
    project_root,
    runtime_requirements,
)
from harness.deploy.bytecode import compiled_entries
from harness.deploy.report import size_report
from harness.deploy.resolve import (
    PackagingError,
    ResolvedDist,
    make_target,
    parse_report,
    plan_bundle,
)

ENV = make_target("3.11", "x86_64").marker_environment()


def _dist(name: str, *requires: str) -> ResolvedDist:
    return ResolvedDist(name, "1.0", tuple(requires), f"https://example.invalid/{name}-1.0-py3-none-any.whl", "")


# A miniature of the real tree: boto3's stack, pandas sharing python-dateutil with botocore,
# powertools needing jmespath, and an extra (psycopg[binary]).
RESOLVED = {
    d.name: d
    for d in [
        _dist("boto3", "botocore>=1.34", "jmespath<2", "s3transfer<0.20"),
        _dist("botocore", "jmespath<2", "python-dateutil<3", 'urllib3!=2.2.0,<3; python_version >= "3.10"'),
        _dist("s3transfer", "botocore<2"),
        _dist("jmespath"),
        _dist("urllib3"),
        _dist("python-dateutil", "six>=1.5"),
        _dist("six"),
        _dist("pandas", "numpy>=1.26", "python-dateutil>=2.8", 'tzdata; sys_platform == "win32"'),
        _dist("numpy"),
        _dist("psycopg", 'psycopg-binary==1.0; extra == "binary"', 'typing-extensions; python_version < "3.13"'),
        _dist("psycopg-binary"),
        _dist("typing-extensions"),
        _dist("aws-lambda-powertools", "jmespath<2", 'boto3; extra == "aws-sdk"'),
    ]
}
REQUIREMENTS = ["boto3>=1.34", "pandas>=2.2", "psycopg[binary]>=3.1", "aws-lambda-powertools>=3"]


def test_runtime_packages_and_what_only_they_need_are_excluded() -> None:
    plan = plan_bundle(RESOLVED, REQUIREMENTS, ENV)
    bundled = {d.name for d in plan.bundled}
    assert bundled == {
        "pandas",
        "numpy",
        "python-dateutil",
        "six",
        "psycopg",
        "psycopg-binary",
        "typing-extensions",
        "aws-lambda-powertools",
    }
    assert set(plan.excluded) == {"boto3", "botocore", "s3transfer", "jmespath", "urllib3"}
    assert plan.excluded["urllib3"] == "needed only by packages the Lambda runtime provides"
    assert "aws-lambda-powertools" in plan.excluded["jmespath"]  # said out loud: the runtime must supply it


def test_a_shared_dependency_is_bundled_when_one_of_ours_needs_it() -> None:
    # python-dateutil is botocore's too, but pandas needs it: it stays.
    plan = plan_bundle(RESOLVED, ["boto3", "pandas"], ENV)
    assert "python-dateutil" in {d.name for d in plan.bundled}
    plan = plan_bundle(RESOLVED, ["boto3", "numpy"], ENV)
    assert "python-dateutil" in plan.excluded


def test_markers_are_evaluated_for_the_target_runtime_not_this_machine() -> None:
    on_313 = make_target("3.13", "x86_64").marker_environment()
    assert "typing-extensions" in {d.name for d in plan_bundle(RESOLVED, ["psycopg"], ENV).bundled}
    assert "typing-extensions" not in {d.name for d in plan_bundle(RESOLVED, ["psycopg"], on_313).bundled}


def test_extras_are_followed_only_when_asked_for() -> None:
    assert "psycopg-binary" not in {d.name for d in plan_bundle(RESOLVED, ["psycopg"], ENV).bundled}
    assert "psycopg-binary" in {d.name for d in plan_bundle(RESOLVED, ["psycopg[binary]"], ENV).bundled}


def test_an_unresolved_requirement_is_an_error() -> None:
    with pytest.raises(PackagingError, match="pip did not resolve it"):
        plan_bundle({"pandas": RESOLVED["pandas"]}, ["pandas"], ENV)


def test_parse_report_reads_pips_json() -> None:
    report = {
        "install": [
            {
                "metadata": {"name": "Python_Dateutil", "version": "2.9.0", "requires_dist": ["six"]},
                "download_info": {
                    "url": "https://x/p-2.9.0-py3-none-any.whl",
                    "archive_info": {"hashes": {"sha256": "ab"}},
                },
            }
        ]
    }
    parsed = parse_report(report)
    assert parsed["python-dateutil"].requires_dist == ("six",)
    assert parsed["python-dateutil"].wheel_filename == "p-2.9.0-py3-none-any.whl"
    assert parsed["python-dateutil"].sha256 == "ab"


def test_platform_tags_follow_the_runtimes_glibc() -> None:
    al2 = make_target("3.11", "x86_64").platform_tags()
    al2023 = make_target("3.12", "arm64").platform_tags()
    assert "manylinux2014_x86_64" in al2 and "manylinux_2_26_x86_64" in al2
    assert "manylinux_2_28_x86_64" not in al2  # Amazon Linux 2 has glibc 2.26
    assert "manylinux_2_28_aarch64" in al2023 and "manylinux2014_aarch64" in al2023
    with pytest.raises(PackagingError):
        make_target("3.10", "x86_64")
    with pytest.raises(PackagingError):
        make_target("3.11", "sparc")


def test_requirements_come_from_pyproject() -> None:
    requirements = runtime_requirements(project_root() / "pyproject.toml")
    assert any(r.startswith("numpy") for r in requirements)
    assert any(r.startswith("boto3") for r in requirements)
    assert not any(r.startswith(("pandas", "pandera")) for r in requirements)  # the handler checks bytes with numpy


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("pandas/core/frame.py", "pandas/core/frame.py"),
        ("pandas/tests/frame/test_api.py", None),
        ("numpy/_core/tests/test_multiarray.py", None),
        ("numpy/testing/__init__.py", "numpy/testing/__init__.py"),
        ("pandas/conftest.py", None),
        ("pkg/__pycache__/mod.cpython-311.pyc", None),
        ("pkg/mod.pyc", None),
        ("pkg/__init__.pyi", None),
        ("pkg-stubs/__init__.py", None),
        ("pkg-1.0.dist-info/METADATA", "pkg-1.0.dist-info/METADATA"),
        ("pkg-1.0.dist-info/licenses/LICENSE", "pkg-1.0.dist-info/licenses/LICENSE"),
        ("pkg-1.0.dist-info/RECORD", None),
        ("pkg-1.0.data/purelib/extra.py", "extra.py"),
        ("pkg-1.0.data/platlib/fast.so", "fast.so"),
        ("pkg-1.0.data/scripts/tool", None),
        ("pkg-1.0.data/headers/pkg.h", None),
        ("pkg/", None),
    ],
)
def test_what_is_shipped_from_a_wheel(member: str, expected: str | None) -> None:
    assert installed_path(member) == expected


def _make_wheel(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in [
            ("demo/__init__.py", "X = 1\n"),
            ("demo/tests/test_x.py", "assert 0\n"),
            ("demo-1.0.dist-info/METADATA", "Name: demo\n"),
            ("demo-1.0.dist-info/RECORD", ""),
        ]:
            wheel.writestr(name, text)
        tool = zipfile.ZipInfo("demo/bin/tool.so")
        tool.external_attr = 0o100755 << 16
        wheel.writestr(tool, b"\x7fELF")
    return path


def _small_tree(root: Path) -> Path:
    package = root / "lambda_function"
    (package / "sub").mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("from .sub.x import y\n")
    (package / "sub" / "x.py").write_text("y = 2\n")
    (package / "__pycache__").mkdir(exist_ok=True)
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"junk")
    return package


def _entries(tmp_path: Path) -> list[ZipEntry]:
    wheel = _make_wheel(tmp_path / "demo-1.0-py3-none-any.whl")
    return merge_entries([package_entries(_small_tree(tmp_path), "lambda_function"), wheel_entries(wheel, "demo")])


def test_zip_writer_is_deterministic_and_normalised(tmp_path: Path) -> None:
    entries = _entries(tmp_path)
    first, second = tmp_path / "a" / "f.zip", tmp_path / "b" / "f.zip"
    write_zip(entries, first)
    for path in (tmp_path / "lambda_function").rglob("*"):  # a touched tree must not change the bytes
        path.touch()
    write_zip(_entries(tmp_path), second)
    assert hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()
    with zipfile.ZipFile(first) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert names == [
            "demo-1.0.dist-info/METADATA",
            "demo/__init__.py",
            "demo/bin/tool.so",
            "lambda_function/__init__.py",
            "lambda_function/sub/x.py",
        ]
        assert {i.date_time for i in infos} == {FIXED_DATE_TIME}
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
        assert modes["demo/bin/tool.so"] == 0o755
        assert modes["lambda_function/sub/x.py"] == 0o644
        assert archive.read("demo/__init__.py") == b"X = 1\n"
    assert not list(first.parent.glob("*.partial"))


def test_two_distributions_claiming_one_file_is_an_error(tmp_path: Path) -> None:
    wheel = _make_wheel(tmp_path / "demo-1.0-py3-none-any.whl")
    with pytest.raises(ValueError, match=r"demo/__init__\.py"):
        merge_entries([wheel_entries(wheel, "demo"), wheel_entries(wheel, "impostor")])


def _result(zipped: int, unzipped: int) -> BuildResult:
    sizes = (
        DistributionSize("numpy", "2.2.6", 300, 50 * MIB, 15 * MIB),
        DistributionSize("lambda_function", "", 18, 40 * MIB, 1 * MIB),
        *(DistributionSize(f"dep{i}", "1", 1, (9 - i) * MIB, MIB) for i in range(6)),
    )
    return BuildResult(
        Path("dist/lambda_function.zip"),
        "3.11",
        "x86_64",
        "0" * 64,
        zipped,
        unzipped,
        9,
        sizes,
        {"boto3": "provided by the Lambda runtime"},
    )


def _render(result: BuildResult) -> str:
    console = Console(width=160, record=True, color_system=None)
    console.print(size_report(result))
    return console.export_text()


def test_size_report_within_limits() -> None:
    result = _result(36 * MIB, 118 * MIB)
    assert result.within_limits
    text = _render(result)
    assert "36.0 MiB" in text and "50.0 MiB" in text and "250.0 MiB" in text
    assert "OVER" not in text
    largest = [d.name for d in result.largest_dependencies()]
    assert largest == ["numpy", "dep0", "dep1", "dep2", "dep3"]  # our own package is not a dependency
    assert "boto3" in text and "provided by the Lambda runtime" in text


@pytest.mark.parametrize(("zipped", "unzipped"), [(ZIPPED_LIMIT + 1, MIB), (MIB, UNZIPPED_LIMIT + 1)])
def test_size_report_flags_either_limit(zipped: int, unzipped: int) -> None:
    result = _result(zipped, unzipped)
    assert not result.within_limits
    assert "OVER" in _render(result)
    assert result.to_dict()["within_limits"] is False


def test_limits_are_lambdas_byte_counts() -> None:
    assert ZIPPED_LIMIT == 52_428_800
    assert UNZIPPED_LIMIT == 262_144_000


def test_compiled_bytecode_is_unchecked_hash_and_reproducible(tmp_path: Path) -> None:
    entries = _entries(tmp_path)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    tag = f"cpython-{sys.version_info.major}{sys.version_info.minor}"
    first = compiled_entries(entries, version, tmp_path / "stage-1")
    second = compiled_entries(entries, version, tmp_path / "stage-2")
    names = [e.arcname for e in first]
    assert names == [
        f"demo/__pycache__/__init__.{tag}.pyc",
        f"lambda_function/__pycache__/__init__.{tag}.pyc",
        f"lambda_function/sub/__pycache__/x.{tag}.pyc",
    ]
    assert [e.origin for e in first] == ["demo", "lambda_function", "lambda_function"]
    for a, b in zip(first, second, strict=True):
        data = a.source.read_bytes()
        assert data == b.source.read_bytes()
        assert int.from_bytes(data[4:8], "little") == 0b01  # hash-based, source not checked at import
