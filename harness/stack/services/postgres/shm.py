"""Remove the small System V shared memory segment a killed PostgreSQL leaves behind.

A cleanly stopped server removes it itself; after `kill -9` it would stay until reboot. We only
remove the segment named in our own data dir's postmaster.pid, and only when the key, the owner
and "no process attached" all match, so no other program's memory is ever touched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path

_IPC_RMID = 0
_SYSVIPC_TABLE = Path("/proc/sysvipc/shm")


def remove_orphaned_segment(postmaster_pid_file: Path) -> bool:
    try:
        lines = postmaster_pid_file.read_text().splitlines()
        key_text, shmid_text = lines[6].split()
        key, shmid = int(key_text), int(shmid_text)
    except (OSError, IndexError, ValueError):
        return False
    owner = postmaster_pid_file.stat().st_uid
    if not _is_unattached(key, shmid, owner):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    return libc.shmctl(shmid, _IPC_RMID, None) == 0


def _is_unattached(key: int, shmid: int, owner: int) -> bool:
    try:
        rows = _SYSVIPC_TABLE.read_text().splitlines()[1:]
    except OSError:
        return False
    for row in rows:
        # key shmid perms size cpid lpid nattch uid gid cuid cgid ...
        cols = row.split()
        if int(cols[1]) == shmid:
            return int(cols[0]) == key and int(cols[6]) == 0 and int(cols[7]) == owner and _may_remove(owner)
    return False


def _may_remove(owner: int) -> bool:
    return os.geteuid() in (0, owner)
