"""Build the deployable `lambda_function.zip`: our package at the root plus its runtime dependencies.

Steps: read the runtime dependencies from pyproject.toml, let pip resolve them for the target
Lambda runtime (manylinux wheels only), drop what the runtime already provides, fetch the wheels
into a cache, and write a deterministic zip with a size check against Lambda's limits.
"""

from __future__ import annotations

import os
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.deploy.archive import compressed_sizes, merge_entries, package_entries, wheel_entries, write_zip
from harness.deploy.bytecode import compiled_entries
from harness.deploy.resolve import (
    RUNTIME_PROVIDED,
    PackagingError,
    Target,
    fetch_wheels,
    file_sha256,
    make_target,
    plan_bundle,
    resolve,
)

__all__ = [
    "RUNTIME_PROVIDED",
    "BuildResult",
    "DistributionSize",
    "PackagingError",
    "build_package",
    "default_cache_dir",
    "runtime_requirements",
]

PACKAGE_NAME = "lambda_function"
ZIP_NAME = f"{PACKAGE_NAME}.zip"
MIB = 1024 * 1024
# Lambda's quotas: a zip uploaded directly (not via S3) and the unpacked function (layers included).
ZIPPED_LIMIT = 50 * MIB
UNZIPPED_LIMIT = 250 * MIB


def project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def default_cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "s3-csv-ingest" / "wheels"


def runtime_requirements(pyproject: Path) -> list[str]:
    """`[project].dependencies`: the one list of what the handler needs (boto3 included)."""
    with pyproject.open("rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


@dataclass(frozen=True)
class DistributionSize:
    name: str
    version: str
    files: int
    unzipped: int
    zipped: int


@dataclass(frozen=True)
class BuildResult:
    zip_path: Path
    python: str
    architecture: str
    sha256: str
    zipped_bytes: int
    unzipped_bytes: int
    file_count: int
    distributions: tuple[DistributionSize, ...]  # largest (unzipped) first, our package included
    excluded: dict[str, str] = field(default_factory=dict)
    compiled: bool = False  # ships .pyc files for the target Python
    seconds: float = 0.0

    @property
    def zipped_ok(self) -> bool:
        return self.zipped_bytes <= ZIPPED_LIMIT

    @property
    def unzipped_ok(self) -> bool:
        return self.unzipped_bytes <= UNZIPPED_LIMIT

    @property
    def within_limits(self) -> bool:
        return self.zipped_ok and self.unzipped_ok

    def largest_dependencies(self, count: int = 5) -> list[DistributionSize]:
        return [d for d in self.distributions if d.name != PACKAGE_NAME][:count]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["zip_path"] = str(self.zip_path)
        data["distributions"] = [asdict(d) for d in self.distributions]
        data["limits"] = {"zipped": ZIPPED_LIMIT, "unzipped": UNZIPPED_LIMIT}
        data["within_limits"] = self.within_limits
        return data


def _distribution_sizes(
    entries: Sequence[Any], zipped: dict[str, int], versions: dict[str, str]
) -> tuple[DistributionSize, ...]:
    totals: dict[str, list[int]] = {}
    for entry in entries:
        files_unzipped_zipped = totals.setdefault(entry.origin, [0, 0, 0])
        files_unzipped_zipped[0] += 1
        files_unzipped_zipped[1] += entry.size
        files_unzipped_zipped[2] += zipped[entry.arcname]
    sizes = [DistributionSize(name, versions.get(name, ""), *numbers) for name, numbers in totals.items()]
    return tuple(sorted(sizes, key=lambda d: (-d.unzipped, d.name)))


def build_package(
    python: str = "3.11",
    architecture: str = "x86_64",
    out_dir: Path | None = None,
    cache_dir: Path | None = None,
    project: Path | None = None,
    compile_bytecode: bool = False,
) -> BuildResult:
    """Resolve, fetch and zip for one runtime and architecture; returns what was built and how big it is.

    `compile_bytecode` adds .pyc files made by an interpreter of the target version (see deploy.bytecode).
    """
    started = time.monotonic()
    project = project or project_root()
    target: Target = make_target(python, architecture)
    requirements = runtime_requirements(project / "pyproject.toml")
    plan = plan_bundle(resolve(requirements, target), requirements, target.marker_environment())
    wheels = fetch_wheels(plan.bundled, target, cache_dir or default_cache_dir())

    groups = [package_entries(project / PACKAGE_NAME, PACKAGE_NAME)]
    # the table contracts beside the package (the handler's default TABLE_CONTRACTS); examples/ stays out
    groups.append([e for e in package_entries(project / "contracts", "contracts") if e.arcname.count("/") == 1])
    groups += [wheel_entries(wheels[dist.name], dist.name) for dist in plan.bundled]
    entries = merge_entries(groups)
    if not any(e.arcname == f"{PACKAGE_NAME}/__init__.py" for e in entries):
        raise PackagingError(f"{project / PACKAGE_NAME} has no __init__.py: nothing to deploy")
    zip_path = (out_dir or project / "dist") / ZIP_NAME
    with tempfile.TemporaryDirectory(prefix="harness-bytecode-") as staging:
        if compile_bytecode:
            entries = merge_entries([entries, compiled_entries(entries, python, Path(staging))])
        write_zip(entries, zip_path)

    zipped = compressed_sizes(zip_path)
    versions = {dist.name: dist.version for dist in plan.bundled}
    return BuildResult(
        zip_path=zip_path,
        python=python,
        architecture=architecture,
        sha256=file_sha256(zip_path),
        zipped_bytes=zip_path.stat().st_size,
        unzipped_bytes=sum(e.size for e in entries),
        file_count=len(entries),
        distributions=_distribution_sizes(entries, zipped, versions),
        excluded=plan.excluded,
        compiled=compile_bytecode,
        seconds=round(time.monotonic() - started, 1),
    )
