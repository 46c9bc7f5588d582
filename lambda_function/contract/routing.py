"""The whitelist: which contract, if any, an object key belongs to.

A key is accepted when it starts with INGEST_PREFIX and its last path segment, with one optional
`.gz` removed, is a contract's `file` or matches its `match` glob (case-sensitive). The loader has
already proved that no two contracts can claim one name (`globs_overlap`), so the first hit is the only one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .model import Contract

GZ = ".gz"
REJECTED_NAMES_CHARS = 300  # the accepted names listed in a REJECTED message, cut to this length


def is_gzip_key(key: str) -> bool:
    """Compression is declared by the `.gz` suffix alone (never sniffed from the bytes)."""
    return key.endswith(GZ)


def object_name(key: str) -> str:
    """The name a contract is matched against: the last path segment without one `.gz`."""
    name = key.rsplit("/", 1)[-1]
    return name[: -len(GZ)] if name.endswith(GZ) else name


@dataclass(frozen=True)
class Whitelist:
    """Every loaded contract; `lookup` routes a key, `find` resolves what a person typed (CLI)."""

    contracts: tuple[Contract, ...]
    folder: str = ""

    def __iter__(self) -> Iterator[Contract]:
        return iter(self.contracts)

    def __len__(self) -> int:
        return len(self.contracts)

    def lookup(self, key: str, ingest_prefix: str = "") -> Contract | None:
        if not key.startswith(ingest_prefix):
            return None
        name = object_name(key)
        return next((c for c in self.contracts if c.accepts(name)), None)

    def find(self, name: str) -> Contract | None:
        """A contract by its file name or glob, table, YAML file stem, or an object name it accepts."""
        for contract in self.contracts:
            stem = contract.source.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
            if name in (contract.name, contract.table, stem):
                return contract
        return self.lookup(name)

    def accepted_names(self) -> str:
        """What a REJECTED message lists: "test.csv, users.csv, orders-*.csv (each optionally .gz)"."""
        names = sorted(c.name for c in self.contracts if c.file) + sorted(c.name for c in self.contracts if c.match)
        text = ", ".join(names)
        if len(text) > REJECTED_NAMES_CHARS:
            text = text[: REJECTED_NAMES_CHARS - 1].rsplit(", ", 1)[0] + f", … ({len(names)} in all)"
        return f"{text} (each optionally .gz)" if names else "none (no contracts loaded)"
