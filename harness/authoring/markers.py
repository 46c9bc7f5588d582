"""Null markers for `contract infer`: which one (if any) the sample uses for missing values.

A marker is proposed (`dialect.missing`) when it stands where a column is otherwise numbers, dates or
booleans (`NA` among flight delays), or when it cannot be anything but a marker (`N/A`, `NULL`, `\\N`). `NA`
seen only among text (it is also Namibia's code) and `-` or `.` seen only among text are pointed out, not
proposed. COPY reads one marker as NULL, so a sample that also leaves fields empty is said to mix the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.authoring.column_types import choose_type
from harness.authoring.sample import COMMON_MARKERS, ColumnSample

UNAMBIGUOUS = ("N/A", "NULL", "\\N")


@dataclass(frozen=True)
class MarkerChoice:
    marker: str  # "" when the sample's missing values are empty fields (or there are none)
    comment: str  # on the dialect.missing line
    notes: tuple[str, ...]  # comment lines about markers not proposed


def choose_marker(columns: list[ColumnSample]) -> MarkerChoice:
    """The marker the sample's typed columns (or an unambiguous spelling) point to, with notes on the others."""
    found = {m: [c for c in columns if c.marked(m)] for m in COMMON_MARKERS}
    evidence = {m: [c for c in cs if _typed_without(c, m)] for m, cs in found.items() if cs}
    proposable = [m for m in evidence if evidence[m] or m in UNAMBIGUOUS]
    chosen = max(proposable, key=lambda m: (len(evidence[m]), len(found[m]), _times(found[m], m)), default="")
    notes = []
    for m, cs in evidence.items():
        if m == chosen:
            continue
        where = _names(found[m], m)
        if cs:
            notes.append(f"# {m!r} also marks missing values in {where}: COPY reads one marker only, so those "
                         "columns stay text")
        elif m == "NA":
            notes.append(f"# 'NA' appears in {where} (text): if it marks missing values there, set "
                         "dialect.missing: NA")
    if not chosen:
        return MarkerChoice("", "", tuple(notes))
    typed = f"; {len(evidence[chosen])} of them otherwise typed" if evidence[chosen] else ""
    comment = (f"guessed: {_times(found[chosen], chosen):,} unquoted {chosen!r} in {len(found[chosen])} "
               f"column{'s' if len(found[chosen]) != 1 else ''}{typed} -> NULL")
    return MarkerChoice(chosen, comment, tuple(notes))


def mixed_note(columns: list[ColumnSample], marker: str, marker_kept: bool, text_for_empty: list[str]) -> str:
    """The comment for a sample with both empty fields and ``marker`` ('' when it has only one of them)."""
    empty = [c for c in columns if c.empty]
    if not marker or not empty:
        return ""
    head = (f"# both empty fields (in {_names(empty, '')}) and {marker!r} (in "
            f"{_names([c for c in columns if c.marked(marker)], marker)}) mark missing values here: COPY reads "
            "only one of them as NULL.")
    if marker_kept:
        kept = f"; kept as text: {', '.join(text_for_empty)}" if text_for_empty else ""
        return f"{head}\n# This draft reads {marker!r} as NULL and an empty field as empty text{kept}."
    return f"{head}\n# This draft reads empty fields as NULL (more columns stay typed); {marker!r} is then a value."


def _typed_without(column: ColumnSample, marker: str) -> bool:
    rest = column.without(marker)
    return bool(rest) and choose_type(rest).type != "text"


def _times(columns: list[ColumnSample], marker: str) -> int:
    return sum(c.marked(marker) if marker else c.empty for c in columns)


def _names(columns: list[ColumnSample], marker: str, most: int = 6) -> str:
    shown = ", ".join(c.name for c in columns[:most])
    more = f" and {len(columns) - most} more" if len(columns) > most else ""
    count = _times(columns, marker)
    return f"{shown}{more}: {count:,} field{'s' if count != 1 else ''}"
