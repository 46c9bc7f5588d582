"""The zip itself: what from each wheel is worth shipping, and a writer that gives byte-identical output.

Determinism comes from four choices: entries sorted by name, every timestamp 1980-01-01 (the
earliest a zip can hold), fixed Unix permissions, and zlib's default compression level. Same
inputs (same wheels, same sources, same zlib) -> same bytes, so a rebuild can be compared by its hash.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
EXECUTABLE_MODE = 0o755

# Nothing the handler imports at run time lives in these: tests, byte-code caches, typing stubs.
DROPPED_DIRECTORIES = frozenset({"tests", "__pycache__"})
DROPPED_SUFFIXES = (".pyc", ".pyo", ".pyi")
DROPPED_FILENAMES = frozenset({"conftest.py"})
# RECORD lists every file with its hash; after pruning it would be wrong, and nothing at run time reads it.
DROPPED_METADATA = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
# A wheel's <name>.data/purelib and platlib belong at the root; scripts, headers and data do not matter here.
INSTALLED_DATA_SCHEMES = frozenset({"purelib", "platlib"})


@dataclass(frozen=True)
class ZipEntry:
    """One file of the zip and where its bytes come from (a file on disk or a member of a wheel)."""

    arcname: str
    origin: str  # the distribution (or our package) it belongs to, for the size report
    size: int  # uncompressed bytes
    mode: int
    source: Path
    member: str | None = None  # set when `source` is a wheel


def installed_path(member: str) -> str | None:
    """Where a wheel member lands when installed, or None when it is not shipped at all."""
    path = PurePosixPath(member)
    parts = path.parts
    if not parts or member.endswith("/"):
        return None
    if parts[0].endswith(".data"):
        if len(parts) < 3 or parts[1] not in INSTALLED_DATA_SCHEMES:
            return None
        path = PurePosixPath(*parts[2:])
        parts = path.parts
    if not is_shipped(path):
        return None
    return path.as_posix()


def is_shipped(path: PurePosixPath) -> bool:
    """False for tests, caches, stubs and install bookkeeping; True for everything the code may need."""
    parts = path.parts
    if any(part in DROPPED_DIRECTORIES for part in parts[:-1]):
        return False
    if parts[0].endswith("-stubs"):
        return False
    if path.name in DROPPED_FILENAMES or path.name.endswith(DROPPED_SUFFIXES):
        return False
    return not (len(parts) == 2 and parts[0].endswith(".dist-info") and path.name in DROPPED_METADATA)


def _mode_from_external_attr(external_attr: int) -> int:
    unix_mode = external_attr >> 16
    return EXECUTABLE_MODE if unix_mode & 0o111 else FILE_MODE


def wheel_entries(wheel: Path, origin: str) -> list[ZipEntry]:
    with zipfile.ZipFile(wheel) as archive:
        entries = []
        for info in archive.infolist():
            arcname = installed_path(info.filename)
            if arcname is not None:
                mode = _mode_from_external_attr(info.external_attr)
                entries.append(ZipEntry(arcname, origin, info.file_size, mode, wheel, info.filename))
        return entries


def package_entries(package_dir: Path, origin: str) -> list[ZipEntry]:
    """Our own package, from the working tree, at the zip root under its own name."""
    entries = []
    for path in sorted(package_dir.rglob("*")):
        relative = PurePosixPath(package_dir.name, *path.relative_to(package_dir).parts)
        if path.is_file() and is_shipped(relative):
            entries.append(ZipEntry(relative.as_posix(), origin, path.stat().st_size, FILE_MODE, path))
    return entries


def merge_entries(groups: Iterable[Sequence[ZipEntry]]) -> list[ZipEntry]:
    """All entries sorted by name; two different files wanting one name is an error, not a silent overwrite."""
    by_name: dict[str, ZipEntry] = {}
    for group in groups:
        for entry in group:
            previous = by_name.get(entry.arcname)
            if previous is not None and previous.origin != entry.origin:
                raise ValueError(f"{entry.arcname} is shipped by both {previous.origin} and {entry.origin}")
            by_name[entry.arcname] = entry
    return [by_name[name] for name in sorted(by_name)]


def _zip_info(entry: ZipEntry) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(entry.arcname, date_time=FIXED_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, so that external_attr carries permissions
    info.external_attr = (stat.S_IFREG | entry.mode) << 16
    info.file_size = entry.size
    return info


def write_zip(entries: Sequence[ZipEntry], destination: Path) -> None:
    """Write entries in the given order; the file appears only when complete (no half-written zip)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    wheels: dict[Path, zipfile.ZipFile] = {}
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for entry in entries:
                info = _zip_info(entry)
                with archive.open(info, "w") as sink:
                    if entry.member is None:
                        with entry.source.open("rb") as source:
                            shutil.copyfileobj(source, sink, 1 << 20)
                    else:
                        wheel = wheels.get(entry.source)
                        if wheel is None:
                            wheel = wheels[entry.source] = zipfile.ZipFile(entry.source)
                        with wheel.open(entry.member) as source:
                            shutil.copyfileobj(source, sink, 1 << 20)
        partial.replace(destination)
    finally:
        for wheel in wheels.values():
            wheel.close()
        partial.unlink(missing_ok=True)


def compressed_sizes(zip_path: Path) -> dict[str, int]:
    with zipfile.ZipFile(zip_path) as archive:
        return {info.filename: info.compress_size for info in archive.infolist()}
