"""Records set aside under `on_error: reject_rows`, kept byte for byte for the producer to fix and re-upload.

The rejected-rows file is the original header line followed by every rejected record exactly as written
(line endings and quoting kept), so after fixing it can be uploaded again as a new object. Beside it,
for the error report, each record's row number in the original file and in the rejected file, and why.
Both spool to a temporary file past a few MiB: memory does not grow with the number of rejects.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from typing import IO, Any

import numpy as np

from ..errors import RowError
from ..reading.blocks import Block

SPOOL_BYTES = 8 * 1024 * 1024


class RejectedRecords:
    def __init__(self, header_line: bytes) -> None:
        self._csv: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b")  # noqa: SIM115
        self._index: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b")  # noqa: SIM115
        self._csv.write(header_line)
        self.count = 0

    def add(self, block: Block, errors: list[RowError]) -> None:
        """Set aside every record of `block` that one of `errors` names (the block is the one validated)."""
        first: dict[int, RowError] = {}
        for error in errors:
            if error.row is not None:
                first.setdefault(error.row, error)
        rows = sorted(first)
        if not rows:
            return
        self._csv.write(block.records(np.searchsorted(block.row_numbers(), rows)))
        for row in rows:
            self.count += 1
            error = first[row]
            entry = {"row": row, "rejected_row": self.count, "column": error.column, "rule": error.rule}
            self._index.write(json.dumps(entry, ensure_ascii=False).encode() + b"\n")

    def csv_file(self) -> IO[bytes]:
        """The rejected-rows file, from its start."""
        self._csv.seek(0)
        return self._csv

    def entries(self) -> Iterator[dict[str, Any]]:
        """One entry per rejected record, in file order: row, rejected_row, column, rule (the first it broke)."""
        self._index.seek(0)
        for line in self._index:
            yield json.loads(line)

    def close(self) -> None:
        self._csv.close()
        self._index.close()
