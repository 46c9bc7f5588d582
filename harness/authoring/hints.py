"""Hints `harness validate` adds to a FAILED file that may only need its contract to describe it: a common
null marker refused in a typed column (once per marker, not per row), or a file that is not UTF-8 but
reads as windows-1252 text (Excel on Windows)."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from harness.authoring.sample import COMMON_MARKERS
from lambda_function.contract import Contract, is_gzip_key

_READ = 1024 * 1024
# A well-formed UTF-8 sequence of two to four bytes: windows-1252 text seldom has one, a mixed file does.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def validation_hints(path: Path, name: str, contract: Contract, errors: list[Mapping[str, Any]]) -> list[str]:
    """The hints for a FAILED report of ``path`` (validated as ``name``) whose errors are ``errors``."""
    hints = []
    typed = {c.name for c in contract.columns if not c.type.is_text}
    markers = {e["value"] for e in errors if e["value"] in COMMON_MARKERS and e["column"] in typed}
    for marker in (m for m in COMMON_MARKERS if m in markers and m != contract.missing):
        hints.append(f"if `{marker}` means missing, set dialect.missing: {yaml_scalar(marker)}")
    if contract.encoding == "utf-8" and any(str(e["rule"]).startswith("valid UTF-8") for e in errors):
        hints += _encoding_hint(path, is_gzip_key(name))
    return hints


def yaml_scalar(marker: str) -> str:
    """The marker as YAML reads it back: `NA` and `N/A` plain; NULL (YAML's null), `\\N`, `-`, `.` quoted."""
    return marker if marker in ("NA", "N/A") else json.dumps(marker)


def _encoding_hint(path: Path, gzipped: bool) -> list[str]:
    utf8_sequences = False
    try:
        for chunk in _chunks(path, gzipped):
            chunk.decode("cp1252")
            utf8_sequences = utf8_sequences or bool(_UTF8_SEQUENCE.search(chunk))
    except UnicodeDecodeError:
        return []  # not windows-1252 either: the validator's own error says what it found
    except (OSError, EOFError):
        return []
    if utf8_sequences:
        return ["the file mixes UTF-8 with other bytes (e.g. one pasted row): save it again as UTF-8"]
    return ["the file decodes as windows-1252: set dialect.encoding: windows-1252"]


def _chunks(path: Path, gzipped: bool) -> Iterator[bytes]:
    with (gzip.open(path, "rb") if gzipped else path.open("rb")) as f:
        while chunk := f.read(_READ):
            yield chunk
