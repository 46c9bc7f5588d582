"""PostgreSQL refuses to run as root: when we are root, its processes run as `nobody`."""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.stack.errors import StackError

UNPRIVILEGED_USER = "nobody"


@dataclass(frozen=True)
class RunAs:
    uid: int
    gid: int

    def popen_kwargs(self) -> dict[str, Any]:
        # extra_groups=[] drops root's supplementary groups, so nothing of root's stays with the child.
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def chown(self, path: Path) -> None:
        os.chown(path, self.uid, self.gid)


def postgres_run_as() -> RunAs | None:
    """None when we are an ordinary user (PostgreSQL runs as us); `nobody` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError as exc:
        raise StackError(
            f"as root, PostgreSQL needs an unprivileged user; user {UNPRIVILEGED_USER!r} does not exist"
        ) from exc
    return RunAs(uid=entry.pw_uid, gid=entry.pw_gid)
