"""A contract's fingerprint: the first 12 hex digits of the SHA-256 of its canonical JSON form.

The ledger keeps it beside every entry (and the message carries it as `contract`), so a FAILED object
is validated again only when the contract that judged it changed. Computed from the parsed model, walked
generically, so every field counts (defaults included, and fields added later without touching this), except
what only documents a contract: its file path (`source`) and `description`s. YAML comments, key order and
spelling (`required: true` written or implied) never reach the model, so they cannot change it either. A field
added by a later release (`lineage`, `on_object_removed`: metadata `COUNTS_WHEN_SET`) counts only when it is
not at its default, so upgrading does not change the fingerprint of a contract that does not use it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from .model import Contract, WrittenFloat

# Fields that say where a contract lives or what it means to a reader, not what it accepts.
NOT_FINGERPRINTED = frozenset({"source", "description"})
DIGITS = 12


def canonical(value: Any) -> Any:
    """A JSON-ready copy: dataclasses as objects of their public fields, tuples and sets as lists, exact
    numbers, dates and enums as text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not f.name.startswith("_") and f.name not in NOT_FINGERPRINTED and not _unset_later_field(value, f)}
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, Enum):
        return canonical(value.value)
    if isinstance(value, Decimal):
        return f"decimal:{value}"  # never a binary float: 0.1 and 0.10000000000000001 stay apart
    if isinstance(value, WrittenFloat):
        return f"written:{value.text}"  # a bound as written: two texts of one float are two bounds
    if isinstance(value, datetime | date):
        return f"{type(value).__name__}:{value.isoformat()}"
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot fingerprint a {type(value).__name__}")


def _unset_later_field(value: Any, f: dataclasses.Field[Any]) -> bool:
    return f.metadata.get("fingerprint") == "when_set" and getattr(value, f.name) == f.default


def contract_fingerprint(contract: Contract) -> str:
    text = json.dumps(canonical(contract), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGITS]
