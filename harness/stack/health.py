"""Is a recorded stack still running? One line per part, for `harness status` and before `replay`."""

from __future__ import annotations

from dataclasses import dataclass

from harness.stack.backends.base import check_database
from harness.stack.errors import StackError
from harness.stack.info import StackInfo
from harness.stack.processes import is_alive
from harness.stack.services.moto_server import moto_answers


@dataclass(frozen=True)
class PartStatus:
    name: str
    ok: bool
    detail: str


def probe(info: StackInfo) -> list[PartStatus]:
    parts = [PartStatus(f"process {p.name}", is_alive(p), f"pid {p.pid}") for p in info.runtime.processes]
    if info.backend == "embedded":
        parts.append(PartStatus("aws endpoint", moto_answers(info.aws_endpoint_url), info.aws_endpoint_url))
    try:
        check_database(info.database_url)
        parts.append(PartStatus("postgresql", True, "accepts connections"))
    except StackError as exc:
        parts.append(PartStatus("postgresql", False, str(exc).splitlines()[0]))
    return parts


def is_healthy(info: StackInfo) -> bool:
    return all(part.ok for part in probe(info))
