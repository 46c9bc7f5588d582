"""`harness contract infer`: draft a table contract (YAML text) from a sample CSV.

Types are chosen conservatively and every one is proved against the handler's own type rules: the draft
accepts every value of the sample it came from, or the column falls back to text. The sample's dialect is
read too: its delimiter, its encoding (UTF-8, else windows-1252, else latin-1) and the null marker it uses
(`NA`, `N/A`, `NULL`, `\\N`, `-`, `.`). Each guess (headroom, a fallback to text, the marker, the primary
key) is said in a `# guessed:` comment for a person to review; numbers and dates show the range seen.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from harness.authoring.column_types import Guess, choose_type
from harness.authoring.keys import KeyCandidate, guess_primary_key
from harness.authoring.markers import choose_marker, mixed_note
from harness.authoring.sample import DELIMITERS, ColumnSample, InferError, Sample, read_sample
from lambda_function.contract.build import PG_IDENTIFIER_BYTES, RESERVED_TABLES

__all__ = ["InferError", "infer_contract", "table_from_name"]
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"}


@dataclass
class ColumnDraft:
    name: str
    guess: Guess
    required: bool
    counts: Counter[str]  # the values (missing ones left out) -> times

    @property
    def type(self) -> str:
        return self.guess.type


def infer_contract(
    sample: Path, file: str, *, table: str | None = None, delimiter: str | None = None, max_rows: int = 100_000
) -> str:
    """A draft contract (YAML text) for objects named `file`, from the first `max_rows` records of `sample`."""
    _check_name(file)
    if delimiter is not None and delimiter not in DELIMITERS:
        raise InferError(f"delimiter must be one of {', '.join(map(repr, DELIMITERS))}, got {delimiter!r}")
    read = read_sample(sample, delimiter, max_rows)
    columns, marker, notes = _draft(read)
    table_name = table or table_from_name(file)
    key, key_comment = guess_primary_key(
        [KeyCandidate(c.name, c.type, c.counts, c.required) for c in columns], read.rows, table_name)
    header = _header(sample, read, max_rows)
    return render(header, file, table_name, read, columns, key, key_comment, marker, notes)


def _draft(sample: Sample) -> tuple[list[ColumnDraft], tuple[str, str], list[str]]:
    """The columns, the marker with its comment, and notes; a sample that mixes empty fields and a marker
    gets the reading that keeps more columns typed (the marker on a tie)."""
    choice = choose_marker(sample.columns)
    notes = list(choice.notes)
    if not choice.marker:
        return draft_columns(sample.columns, ""), ("", ""), notes
    with_marker = draft_columns(sample.columns, choice.marker)
    if not any(c.empty for c in sample.columns):
        return with_marker, (choice.marker, choice.comment), notes
    without = draft_columns(sample.columns, "")
    if _typed(without) > _typed(with_marker):
        notes.append(mixed_note(sample.columns, choice.marker, False, []))
        return without, ("", ""), notes
    as_text = [d.name for d, c in zip(with_marker, sample.columns, strict=True) if c.empty and d.type == "text"
               and choose_type(c.without(choice.marker)).type != "text"]
    notes.append(mixed_note(sample.columns, choice.marker, True, as_text))
    return with_marker, (choice.marker, choice.comment), notes


def _typed(columns: list[ColumnDraft]) -> int:
    return sum(c.type != "text" for c in columns)


def draft_columns(samples: list[ColumnSample], marker: str) -> list[ColumnDraft]:
    """Each column's type under ``marker`` ('' : empty fields are missing). Under a marker an empty field is
    an empty text, which only a text column accepts."""
    out = []
    for column in samples:
        if not marker:
            out.append(ColumnDraft(column.name, choose_type(column.counts), column.empty == 0, column.counts))
            continue
        counts = column.without(marker)
        guess = choose_type(counts)
        if column.empty and guess.type != "text":
            guess = Guess("text", f"guessed: {column.empty:,} empty fields, which read as empty text under "
                          f"dialect.missing {marker!r}, not as missing -> text")
        if column.empty:
            counts[""] = column.empty
        out.append(ColumnDraft(column.name, guess, column.marked(marker) == 0 and column.empty == 0, counts))
    return out


def _check_name(file: str) -> None:
    if not file or "/" in file:
        raise InferError(f"--file must be an object's last path segment (e.g. orders.csv), got {file!r}")
    if file.endswith(".gz"):
        raise InferError(f"--file names the uncompressed file ({file[:-3]!r}): the .gz variant is implied")


def table_from_name(file: str) -> str:
    """orders-2024.csv -> orders_2024: the stem, lower-case, anything but [a-z0-9_] as `_`."""
    stem = file.rsplit(".", 1)[0] if "." in file.lstrip(".") else file
    name = re.sub(r"[^a-z0-9_]", "_", stem.lower()).strip("_") or "imported"
    if name[0].isdigit():
        name = f"t_{name}"
    name = name[:PG_IDENTIFIER_BYTES]
    return f"{name}_data" if name in RESERVED_TABLES else name


def _key(name: str) -> str:
    if _PLAIN_KEY.fullmatch(name) and name.lower() not in _YAML_WORDS:
        return name
    return json.dumps(name, ensure_ascii=False)


def _scalar(text: str) -> str:
    """A file or table name as YAML reads it back: plain when safe, else double-quoted."""
    plain = _PLAIN_NAME.fullmatch(text) and not re.fullmatch(r"[0-9._+-]+(?:[eE][0-9+-]*)?", text)
    return text if plain and text.lower() not in _YAML_WORDS else json.dumps(text, ensure_ascii=False)


def _flow(column: ColumnDraft, key: str | None) -> str:
    kind = f'"{column.type}"' if "(" in column.type else column.type
    parts = [f"type: {kind}"]
    if not column.required:
        parts.append("required: false")
    if column.name == key:
        parts.append("unique: true")
    if column.guess.true_values:
        for name, words in (("true_values", column.guess.true_values), ("false_values", column.guess.false_values)):
            parts.append(f"{name}: [{', '.join(json.dumps(w) for w in words)}]")
    return "{" + ", ".join(parts) + "}"


def _comment(column: ColumnDraft) -> str:
    return "; ".join(part for part in (f"seen {column.guess.seen}" if column.guess.seen else "",
                                       column.guess.comment) if part)


def _header(sample: Path, read: Sample, max_rows: int) -> list[str]:
    rows = read.rows
    scope = f"the first {rows:,} rows" if rows >= max_rows else f"{rows:,} row{'s' if rows != 1 else ''}"
    return [
        "# yaml-language-server: $schema=contract.schema.json",
        f"# Drafted by `harness contract infer` from {sample.name} ({scope}). Review every `guessed` line,",
        "# add the rules the data should keep (minimum, max_length, pattern, enum, ...),",
        "# then run `harness contract check`.",
    ]


def render(
    header: list[str],
    file: str,
    table: str,
    read: Sample,
    columns: list[ColumnDraft],
    key: str | None,
    key_comment: str,
    marker: tuple[str, str],
    notes: list[str],
) -> str:
    lines = [*header, f"file: {_scalar(file)}", f"table: {_scalar(table)}"]
    if key is not None:
        lines.append("mode: append  # the default; upsert would update rows by the primary key instead")
        lines.append(f"primary_key: [{_key(key)}]  # {key_comment}")
    else:
        lines.append("mode: append  # the default; upsert needs a primary_key (none guessed)")
        lines.append(f"# {key_comment}")
    dialect = []
    if read.delimiter != ",":
        dialect.append(f"  delimiter: {json.dumps(read.delimiter)}")
    if marker[0]:
        dialect.append(f"  missing: {json.dumps(marker[0])}  # {marker[1]}")
    if read.encoding.name != "utf-8":
        dialect.append(f"  encoding: {read.encoding.name}  # {read.encoding.comment}")
    if dialect:
        lines += ["dialect:", *dialect]
    lines += [note for note in notes if note]
    lines.append("columns:")
    keys = [_key(c.name) + ":" for c in columns]
    width = max(len(k) for k in keys)
    for column, name in zip(columns, keys, strict=True):
        line = f"  {name.ljust(width)} {_flow(column, key)}"
        comment = _comment(column)
        lines.append(f"{line}  # {comment}" if comment else line)
    return "\n".join(lines) + "\n"
