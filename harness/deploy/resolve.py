"""Which distributions go into the Lambda zip: resolve for the target runtime, then cut what Lambda provides.

The Lambda Python runtime ships boto3, botocore, s3transfer and jmespath. Bundling them would shadow
the runtime's copies with other versions (version skew between the SDK and the service), so they
stay out, and so does anything that only they need (urllib3). A package that one of *our*
dependencies needs is bundled even when botocore needs it too (python-dateutil for pandas).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# What every Lambda Python runtime already has on its path.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath"})


class PackagingError(RuntimeError):
    """The zip cannot be built as asked; the message says why."""


@dataclass(frozen=True)
class LambdaRuntime:
    """One managed runtime: its Python and the glibc of the Amazon Linux it runs on."""

    python: str
    os_name: str
    glibc_minor: int  # glibc 2.<minor>

    @property
    def identifier(self) -> str:
        return f"python{self.python}"


# python3.11 still runs on Amazon Linux 2 (glibc 2.26): a manylinux_2_28 wheel would fail to load
# there, so only 3.12+ (Amazon Linux 2023, glibc 2.34) may take manylinux_2_28 wheels.
RUNTIMES: Mapping[str, LambdaRuntime] = {
    "3.11": LambdaRuntime("3.11", "Amazon Linux 2", 26),
    "3.12": LambdaRuntime("3.12", "Amazon Linux 2023", 34),
    "3.13": LambdaRuntime("3.13", "Amazon Linux 2023", 34),
}

# Lambda's architecture names -> the machine names in wheel tags and environment markers.
ARCHITECTURES: Mapping[str, str] = {"x86_64": "x86_64", "arm64": "aarch64"}


@dataclass(frozen=True)
class Target:
    runtime: LambdaRuntime
    architecture: str  # Lambda's name: x86_64 or arm64

    @property
    def machine(self) -> str:
        return ARCHITECTURES[self.architecture]

    def platform_tags(self) -> list[str]:
        """manylinux tags this runtime's glibc can load, newest last (pip tries them all)."""
        tags = [f"manylinux2014_{self.machine}"]
        tags += [f"manylinux_2_{minor}_{self.machine}" for minor in range(17, self.runtime.glibc_minor + 1)]
        return tags

    def pip_target_args(self) -> list[str]:
        python = self.runtime.python
        args = [
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            python,
            "--abi",
            f"cp{python.replace('.', '')}",
        ]
        for tag in self.platform_tags():
            args += ["--platform", tag]
        return args

    def marker_environment(self) -> dict[str, str]:
        """PEP 508 marker values as seen inside the Lambda runtime, not on this machine."""
        python = self.runtime.python
        return {
            "implementation_name": "cpython",
            "implementation_version": f"{python}.0",
            "os_name": "posix",
            "platform_machine": self.machine,
            "platform_python_implementation": "CPython",
            "platform_system": "Linux",
            "python_full_version": f"{python}.0",
            "python_version": python,
            "sys_platform": "linux",
        }


def make_target(python: str, architecture: str) -> Target:
    if python not in RUNTIMES:
        raise PackagingError(f"no Lambda runtime for Python {python}; choose one of {', '.join(RUNTIMES)}")
    if architecture not in ARCHITECTURES:
        raise PackagingError(f"unknown architecture {architecture!r}; choose x86_64 or arm64")
    return Target(RUNTIMES[python], architecture)


@dataclass(frozen=True)
class ResolvedDist:
    """One distribution pip chose for the target, with the wheel that provides it."""

    name: str  # canonical (PEP 503) name
    version: str
    requires_dist: tuple[str, ...]
    wheel_url: str
    sha256: str

    @property
    def wheel_filename(self) -> str:
        return self.wheel_url.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class DependencyPlan:
    bundled: tuple[ResolvedDist, ...]  # sorted by name
    excluded: dict[str, str] = field(default_factory=dict)  # name -> why it is not in the zip


def parse_report(report: Mapping[str, Any]) -> dict[str, ResolvedDist]:
    """The `pip install --dry-run --report` JSON -> resolved distributions by canonical name."""
    resolved: dict[str, ResolvedDist] = {}
    for item in report.get("install", []):
        metadata = item["metadata"]
        info = item["download_info"]
        name = canonicalize_name(metadata["name"])
        resolved[name] = ResolvedDist(
            name=name,
            version=metadata["version"],
            requires_dist=tuple(metadata.get("requires_dist") or ()),
            wheel_url=info["url"],
            sha256=info.get("archive_info", {}).get("hashes", {}).get("sha256", ""),
        )
    return resolved


def _applies(requirement: Requirement, extras: frozenset[str], environment: Mapping[str, str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({**environment, "extra": extra}) for extra in (extras or {""}))


def plan_bundle(
    resolved: Mapping[str, ResolvedDist],
    requirements: Iterable[str],
    environment: Mapping[str, str],
    provided: frozenset[str] = RUNTIME_PROVIDED,
) -> DependencyPlan:
    """Walk the dependency graph from our requirements, never stepping into what the runtime provides.

    Whatever the walk reaches is bundled; the rest of the resolved set is excluded, with the reason.
    """
    needed_from_runtime: dict[str, set[str]] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    pending: list[tuple[str, frozenset[str]]] = []
    for text in requirements:
        requirement = Requirement(text)
        root: str = canonicalize_name(requirement.name)
        if root in provided:
            needed_from_runtime.setdefault(root, set()).add("this project")
        elif _applies(requirement, frozenset(), environment):
            pending.append((root, frozenset(requirement.extras)))
    while pending:
        name, extras = pending.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        if name not in resolved:
            raise PackagingError(f"{name} is required but pip did not resolve it for this target")
        for text in resolved[name].requires_dist:
            requirement = Requirement(text)
            if not _applies(requirement, extras, environment):
                continue
            child = canonicalize_name(requirement.name)
            if child in provided:
                needed_from_runtime.setdefault(child, set()).add(resolved[name].name)
            else:
                pending.append((child, frozenset(requirement.extras)))
    bundled_names = {name for name, _ in seen}
    excluded: dict[str, str] = {}
    for left_out in sorted(set(resolved) - bundled_names):
        if left_out in provided:
            users = sorted(needed_from_runtime.get(left_out, set()))
            excluded[left_out] = "provided by the Lambda runtime" + (f" (used by {', '.join(users)})" if users else "")
        else:
            excluded[left_out] = "needed only by packages the Lambda runtime provides"
    bundled = tuple(resolved[name] for name in sorted(bundled_names))
    return DependencyPlan(bundled, excluded)


def resolve(requirements: Sequence[str], target: Target) -> dict[str, ResolvedDist]:
    """Ask pip which wheels it would install for the target runtime (no install, no site changes).

    The runtime-provided packages stay in the resolution on purpose: the runtime's botocore will
    import our bundled python-dateutil (the zip comes first on sys.path), so shared packages must
    be versions botocore accepts.
    """
    with tempfile.TemporaryDirectory(prefix="harness-resolve-") as scratch:
        report_path = Path(scratch) / "report.json"
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--disable-pip-version-check",
            "--report",
            str(report_path),
            "--target",
            str(Path(scratch) / "target"),
            *target.pip_target_args(),
            *requirements,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise PackagingError(
                f"pip could not resolve the dependencies for {target.runtime.identifier} "
                f"{target.architecture}:\n{done.stderr.strip()}"
            )
        return parse_report(json.loads(report_path.read_text()))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _cached(dist: ResolvedDist, cache_dir: Path) -> bool:
    path = cache_dir / dist.wheel_filename
    return path.is_file() and (not dist.sha256 or file_sha256(path) == dist.sha256)


def fetch_wheels(dists: Sequence[ResolvedDist], target: Target, cache_dir: Path) -> dict[str, Path]:
    """Wheel files for the distributions, downloaded once into the cache and checked against their hash."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    missing = [dist for dist in dists if not _cached(dist, cache_dir)]
    if missing:
        with tempfile.TemporaryDirectory(prefix="harness-wheels-") as scratch:
            # Exact URLs with hashes: pip fetches precisely the files the resolution chose.
            pins = Path(scratch) / "requirements.txt"
            pins.write_text(
                "".join(
                    f"{d.name} @ {d.wheel_url}" + (f" --hash=sha256:{d.sha256}" if d.sha256 else "") + "\n"
                    for d in missing
                )
            )
            command = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                "--disable-pip-version-check",
                "--dest",
                str(cache_dir),
                *target.pip_target_args(),
                "--requirement",
                str(pins),
            ]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise PackagingError(f"pip could not download the wheels:\n{done.stderr.strip()}")
    paths: dict[str, Path] = {}
    for dist in dists:
        if not _cached(dist, cache_dir):
            raise PackagingError(f"{dist.wheel_filename} is missing from {cache_dir} or its hash differs")
        paths[dist.name] = cache_dir / dist.wheel_filename
    return paths
