"""Column rules built from a contract's column: its type's rule, then its constraints, all vectorised.

Everything a rule accepts is read identically by PostgreSQL from the same text, because the original
bytes go to COPY; the rules are therefore stricter than PostgreSQL's own input functions.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from ...contract.model import Column
from ...contract.pgtypes import FLOAT_TYPES, INTEGER_TYPES, PgType
from .base import Clock, ColumnRule, Constraint, Parsed, TypeRule, today_utc
from .constraints import Bound, Email, Enum, Length, Pattern, TypeLength
from .numeric import FloatRule, IntegerRule, NumericRule
from .temporal import DateRule, TimestampRule
from .textual import BooleanRule, TextRule, UuidRule
from .vector import Values

__all__ = ["Clock", "ColumnRule", "Parsed", "check_column", "explain", "rule_for", "today_utc", "type_rule"]


def type_rule(pg: PgType) -> TypeRule:
    base = pg.base
    if base in INTEGER_TYPES:
        return IntegerRule(pg)
    if base == "numeric":
        return NumericRule(pg)
    if base in FLOAT_TYPES:
        return FloatRule(pg)
    if base == "date":
        return DateRule()
    if base in ("timestamp", "timestamptz"):
        return TimestampRule(zoned=base == "timestamptz")
    if base == "boolean":
        return BooleanRule()
    if base == "uuid":
        return UuidRule()
    return TextRule(pg)


def rule_for(column: Column, clock: Clock | date | None = None) -> ColumnRule:
    """The rule of one column; `clock` (or just a day) fixes "today" and "now" for a whole file (default: now, UTC)."""
    clock = clock if isinstance(clock, Clock) else Clock.at(clock)
    typed = type_rule(column.type)
    constraints: list[Constraint] = []
    if column.type.base in ("varchar", "char"):
        constraints.append(TypeLength(column.type))
    if column.minimum is not None:
        constraints.append(Bound(typed, column.minimum, True, clock, column.type.is_temporal))
    if column.maximum is not None:
        constraints.append(Bound(typed, column.maximum, False, clock, column.type.is_temporal))
    if column.min_length is not None or column.max_length is not None:
        constraints.append(Length(column.min_length, column.max_length, column.trim))
    if column.format == "email":
        constraints.append(Email())
    if column.pattern is not None:
        constraints.append(Pattern(column.pattern, column.pattern_message))
    if column.enum is not None:
        constraints.append(Enum(column.enum))
    return ColumnRule(typed, constraints, casefold=column.unique == "casefold")


def explain(column: Column, rule: ColumnRule, value: str) -> str | None:
    """The rule a single value breaks, or None when it is valid."""
    if value == "":
        return "required" if column.required else None
    return rule.explain(value)


def check_column(column: Column, rule: ColumnRule, values: Values) -> np.ndarray:
    """Vectorised: True where the value is valid (empty values valid only for optional columns)."""
    empty = values == ""
    if not empty.any():
        return rule.check(values)[0]
    ok = np.full(len(values), not column.required, dtype=bool)
    filled = np.flatnonzero(~empty)
    if len(filled):
        ok[filled] = rule.check(values[filled])[0]
    return ok
