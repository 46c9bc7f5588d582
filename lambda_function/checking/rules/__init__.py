"""Column rules built from a contract's column: its type's rule, then its constraints, all on the block's bytes.

Everything a rule accepts is read identically by PostgreSQL from the same text, because the original
bytes go to COPY; the rules are therefore stricter than PostgreSQL's own input functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np

from ...contract.model import Column
from ...contract.pgtypes import FLOAT_TYPES, INTEGER_TYPES, PgType
from ...reading.text_encodings import UTF8, Encoding
from ..fields import Fields
from .base import Clock, ColumnRule, Constraint, Parsed, TypeRule, today_utc
from .constraints import Bound, Email, Enum, Length, Pattern, TypeLength
from .numeric import FloatRule, IntegerRule, NumericRule
from .temporal import DateRule, TimestampRule
from .textual import BooleanRule, TextRule, UuidRule

__all__ = ["Clock", "ColumnRule", "Parsed", "check_column", "explain", "rule_for", "today_utc", "type_rule"]


def type_rule(pg: PgType, column: Column | None = None) -> TypeRule:
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
        if column is not None:
            return BooleanRule(column.true_values, column.false_values)
        return BooleanRule()
    if base == "uuid":
        return UuidRule()
    return TextRule(pg)


def rule_for(column: Column, clock: Clock | date | None = None, encoding: Encoding = UTF8,
             need_values: bool = False) -> ColumnRule:
    """The rule of one column; `clock` (or just a day) fixes "today" and "now" for a whole file (default: now,
    UTC); `need_values`: uniqueness will ask for each value (set for unique and key columns)."""
    clock = clock if isinstance(clock, Clock) else Clock.at(clock)
    typed = type_rule(column.type, column)
    if hasattr(typed, "need_values"):
        typed.need_values = need_values or bool(column.unique) or column.minimum is not None or (
            column.maximum is not None)
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
        constraints.append(Email(encoding))
    if column.pattern is not None:
        constraints.append(Pattern(column.pattern, column.pattern_message, encoding))
    if column.enum is not None:
        constraints.append(Enum(column.enum, encoding))
    return ColumnRule(typed, constraints, casefold=column.unique == "casefold", encoding=encoding)


def explain(column: Column, rule: ColumnRule, value: str | None) -> str | None:
    """The rule a single value breaks, or None when it is valid (None: the field reads as NULL)."""
    if value is None or value == "":
        return "required" if column.required else None
    return rule.explain(value)


def check_column(column: Column, rule: ColumnRule, values: Iterable[str]) -> np.ndarray:
    """The column's rule on plain strings (tools, tests): True where valid; an empty string is a missing value."""
    texts = list(values)
    fields = Fields.of_texts(texts, rule.encoding)
    ok = np.full(len(texts), not column.required, dtype=bool)
    present = np.flatnonzero(fields.lengths > 0)
    if len(present):
        ok[present] = rule.check(fields.take(present))[0]
    return ok
