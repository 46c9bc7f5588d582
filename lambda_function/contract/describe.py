"""A contract in words: the table `harness contract show` prints and the README embeds (`--markdown`).

Every phrase comes from the rules themselves (their summaries and messages), so the docs say exactly
what the validator enforces and are generated, never hand-copied.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..checking.rules import rule_for
from ..checking.rules.constraints import TypeLength
from .model import Column, Contract


@dataclass(frozen=True, slots=True)
class ColumnLine:
    name: str
    type: str
    required: str  # "yes" or "optional"
    key: str  # "primary key", "unique", "unique (any case)" or ""
    accepts: str  # the type's own rule in words
    rules: str  # the contract's constraints in words


def _key(contract: Contract, column: Column) -> str:
    if column.name in contract.primary_key:
        return "primary key" if len(contract.primary_key) == 1 else f"primary key ({', '.join(contract.primary_key)})"
    if column.unique == "casefold":
        return "unique (any case)"
    return "unique" if column.unique else ""


def column_lines(contract: Contract) -> list[ColumnLine]:
    lines = []
    for column in contract.columns:
        rule = rule_for(column)
        sized = [c.message for c in rule.constraints if isinstance(c, TypeLength)]
        others = [c.message for c in rule.constraints if not isinstance(c, TypeLength)]
        accepts = sized[0] if sized else (rule.type.summary or "any text")
        lines.append(ColumnLine(column.name, column.type.ddl, "yes" if column.required else "optional",
                                _key(contract, column), accepts, "; ".join(others)))
    return lines


def headline(contract: Contract) -> str:
    """e.g. "users.csv → users (replace, primary key user_id, on error: fail)"."""
    parts: list[str] = [contract.mode]
    if contract.primary_key:
        parts.append("primary key " + ", ".join(contract.primary_key))
    if contract.delimiter != ",":
        parts.append("delimiter " + ("tab" if contract.delimiter == "\t" else repr(contract.delimiter)))
    if contract.missing:
        parts.append(f"missing values written {contract.missing!r}")
    if contract.encoding != "utf-8":
        parts.append(contract.encoding)
    if contract.on_error == "reject_rows":
        limits = []
        if contract.max_rejected_rows is not None:
            limits.append(f"at most {contract.max_rejected_rows:,} rows")
        if contract.max_rejected_ratio is not None:
            limits.append(f"at most {contract.max_rejected_ratio:.2%}")
        parts.append("rejects rows (" + " and ".join(limits) + ")")
    if contract.allow_empty:
        parts.append("empty file allowed")
    if contract.evolve == "none":
        parts.append("schema changes: none (any difference from the table is drift)")
    if contract.mode == "replace_file":
        parts.append("a new version of a key replaces that key's rows")
    elif contract.lineage:
        parts.append("lineage: each row names its load")
    if contract.on_object_removed == "unload":
        parts.append("a deleted object takes its rows with it")
    return f"{contract.name} (or .gz) → {contract.table} ({', '.join(parts)})"


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or " "


def markdown(contract: Contract) -> str:
    """The README's section for one contract: a headline, its description, and a table of its columns."""
    out = [f"#### `{contract.name}` → `{contract.table}`", ""]
    if contract.description:
        out += [contract.description, ""]
    out += [f"{headline(contract)}.", "",
            "| column | type | required | key | accepts | rules |", "|---|---|---|---|---|---|"]
    for line in column_lines(contract):
        out.append("| " + " | ".join(_cell(v) for v in (f"`{line.name}`", f"`{line.type}`", line.required,
                                                          line.key, line.accepts, line.rules)) + " |")
    return "\n".join(out) + "\n"
