"""The primary key `contract infer` guesses: an identifier, never a measurement that happened to be unique.

Only a column unique and never missing in the sample, of an integer, uuid or text type, whose name reads
as an identifier (`id`, `order_id`, `OrderId`, `sku_key`, `code`, `uuid`); otherwise the draft says which
columns were unique, for a person to decide.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

_KEY_TYPES = ("smallint", "integer", "bigint", "uuid", "text")
_ID_WORDS = ("id", "key", "code", "uuid", "guid")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")  # order_id, OrderID, orderId -> order, id


@dataclass
class KeyCandidate:
    name: str
    type: str
    counts: Mapping[str, int]  # distinct value -> times
    required: bool


def looks_like_identifier(name: str) -> bool:
    words = [w.lower() for w in _WORD.findall(name)]
    return bool(words) and words[-1] in _ID_WORDS


def _unique(column: KeyCandidate) -> bool:
    if any(times > 1 for times in column.counts.values()):
        return False
    if column.type in ("smallint", "integer", "bigint"):
        canonical: set[object] = {int(v) for v in column.counts}
    elif column.type.startswith("numeric") or column.type in ("real", "double precision"):
        canonical = {Decimal(v).normalize() for v in column.counts}
    else:
        canonical = {v.lower() for v in column.counts} if column.type == "uuid" else set(column.counts)
    return len(canonical) == len(column.counts)


def guess_primary_key(columns: list[KeyCandidate], rows: int, table: str) -> tuple[str | None, str]:
    """(the key column or None, the comment saying why)."""
    if rows < 2:
        return None, "no primary key guessed: too few rows in the sample"
    unique = [c for c in columns if c.required and c.counts and _unique(c)]
    ids = [c for c in unique if c.type in _KEY_TYPES and looks_like_identifier(c.name)]
    singular = table[:-1] if table.endswith("s") else table
    named = [c for c in ids if c.name.lower() in ("id", f"{table}_id", f"{singular}_id", f"{singular}id")]
    if len(named) == 1:
        chosen = named[0]
    elif len(ids) == 1 or (ids and ids[0] is columns[0]):
        chosen = ids[0]
    else:
        if ids:
            return None, f"no primary key guessed: several identifiers are unique: {', '.join(c.name for c in ids)}"
        names = ", ".join(c.name for c in unique) or "none"
        return None, (f"no primary key guessed: unique and never empty in the sample: {names} "
                      "(a key is guessed only for an identifier: id, *_id, *_key, code, uuid)")
    return chosen.name, f"guessed: {chosen.name} is unique and never empty in the {rows:,} sample rows"
