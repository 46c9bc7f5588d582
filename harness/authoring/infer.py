"""`harness contract infer`: draft a table contract (YAML text) from a sample CSV.

Types are chosen conservatively and every one is proved against the handler's own type rules: the draft
accepts every non-empty value of the sample it came from, or the column falls back to text. Each guess
(headroom, a fallback to text, the primary key) is said in a `# guessed:` comment for a person to review.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np

from lambda_function.checking.rules import type_rule
from lambda_function.contract.build import PG_IDENTIFIER_BYTES, RESERVED_TABLES
from lambda_function.contract.pgtypes import INTEGER_RANGES, MAX_NUMERIC_PRECISION, parse_type

DELIMITERS = (",", ";", "|", "\t")
HEADROOM = 10  # integers: the type must hold 10x the largest magnitude in the sample
DECIMAL_HEADROOM_DIGITS = 2  # numeric(p,s): integer digits beyond the sample's longest
_RANGES = tuple((kind, high) for kind, (_low, high) in INTEGER_RANGES.items())  # smallest first
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_EXPONENT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"}
# tried in this order after booleans and numbers; each must accept every value to be chosen
_SHAPED = ("date", "timestamptz", "timestamp", "uuid")
_KEY_TYPES = ("smallint", "integer", "bigint", "uuid", "text")


class InferError(ValueError):
    """The sample cannot be drafted from (missing, empty, no header, not UTF-8, ...): a usage error."""


@dataclass
class ColumnDraft:
    name: str
    values: list[str] = field(default_factory=list)  # the non-empty ones
    empty: int = 0
    type: str = "text"
    comment: str = ""

    @property
    def required(self) -> bool:
        return self.empty == 0


def infer_contract(
    sample: Path, file: str, *, table: str | None = None, delimiter: str | None = None, max_rows: int = 100_000
) -> str:
    """A draft contract (YAML text) for objects named `file`, from the first `max_rows` records of `sample`."""
    _check_name(file)
    if delimiter is not None and delimiter not in DELIMITERS:
        raise InferError(f"delimiter must be one of {', '.join(map(repr, DELIMITERS))}, got {delimiter!r}")
    header_line = _first_line(sample)
    sep = delimiter or sniff_delimiter(header_line)
    columns, rows = _read(sample, sep, max_rows)
    for column in columns:
        column.type, column.comment = choose_type(column.values)
    table_name = table or table_from_name(file)
    key, key_comment = guess_primary_key(columns, rows, table_name)
    return render(file, table_name, sep, columns, key, key_comment, sample, rows, max_rows)


def _check_name(file: str) -> None:
    if not file or "/" in file:
        raise InferError(f"--file must be an object's last path segment (e.g. orders.csv), got {file!r}")
    if file.endswith(".gz"):
        raise InferError(f"--file names the uncompressed file ({file[:-3]!r}): the .gz variant is implied")


def _first_line(sample: Path) -> str:
    if not sample.is_file():
        raise InferError(f"{sample}: no such file")
    try:
        with sample.open(encoding="utf-8-sig", newline="") as f:
            line = f.readline()
    except UnicodeDecodeError:
        raise InferError(f"{sample}: not UTF-8 text") from None
    except OSError as exc:
        raise InferError(f"{sample}: cannot be read ({exc.strerror})") from None
    if not line:
        raise InferError(f"{sample}: the file is empty (a sample needs a header line)")
    if not line.strip():
        raise InferError(f"{sample}: no header (the first line is blank)")
    return line


def sniff_delimiter(header_line: str) -> str:
    """The candidate that appears most often in the header line ("," when none does)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first on ties: "," wins
    return best if counts[best] else ","


def _records(sample: Path, sep: str) -> Iterator[list[str]]:
    with sample.open(encoding="utf-8-sig", newline="") as f:
        yield from csv.reader(f, delimiter=sep, quotechar='"', doublequote=True, strict=False)


def _read(sample: Path, sep: str, max_rows: int) -> tuple[list[ColumnDraft], int]:
    records = _records(sample, sep)
    try:
        header = next(records, [])
        if not header or all(not name.strip() for name in header):
            raise InferError(f"{sample}: no header")
        _check_header(sample, header)
        columns = [ColumnDraft(name) for name in header]
        rows = 0
        for record in records:
            if rows >= max_rows:
                break
            if not record:  # a blank line
                continue
            rows += 1
            for i, column in enumerate(columns):
                value = record[i] if i < len(record) else ""
                if value == "":
                    column.empty += 1
                else:
                    column.values.append(value)
    except UnicodeDecodeError:
        raise InferError(f"{sample}: not UTF-8 text") from None
    except csv.Error as exc:
        raise InferError(f"{sample}: not readable as CSV ({exc})") from None
    return columns, rows


def _check_header(sample: Path, header: list[str]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(header, start=1):
        if not name.strip():
            raise InferError(f"{sample}: header column {i} has no name")
        if name in seen:
            raise InferError(f"{sample}: header names {name!r} twice")
        if len(name.encode()) > PG_IDENTIFIER_BYTES:
            raise InferError(f"{sample}: header name {name[:20]!r}… is longer than {PG_IDENTIFIER_BYTES} bytes")
        seen.add(name)


def table_from_name(file: str) -> str:
    """orders-2024.csv -> orders_2024: the stem, lower-case, anything but [a-z0-9_] as `_`."""
    stem = file.rsplit(".", 1)[0] if "." in file.lstrip(".") else file
    name = re.sub(r"[^a-z0-9_]", "_", stem.lower()).strip("_") or "imported"
    if name[0].isdigit():
        name = f"t_{name}"
    name = name[:PG_IDENTIFIER_BYTES]
    return f"{name}_data" if name in RESERVED_TABLES else name


def accepts(type_text: str, values: list[str]) -> bool:
    """Does the handler's own rule for this type accept every value?"""
    if not values:
        return True
    return bool(type_rule(parse_type(type_text)).accepts(values).all())


def choose_type(values: list[str]) -> tuple[str, str]:
    """(type, comment): the most specific type whose rule accepts every value; text when in doubt."""
    if not values:
        return "text", "guessed: no values in the sample -> text"
    if all(v.lower() in ("true", "false") for v in values):
        return _proved("boolean", "", values)
    if all(_INTEGER.fullmatch(v) for v in values):
        return _integer_type(values)
    if all(_DECIMAL.fullmatch(v) for v in values):
        return _numeric_type(values)
    if all(_DECIMAL.fullmatch(v) or _EXPONENT.fullmatch(v) for v in values):
        return _proved("double precision", "guessed: exponent notation in the sample -> double precision", values)
    for kind in _SHAPED:
        if accepts(kind, values):
            comment = "guessed: no offset in the sample -> timestamp (without time zone)" if kind == "timestamp" else ""
            return kind, comment
    return "text", _near_miss(values)


def _proved(kind: str, comment: str, values: list[str]) -> tuple[str, str]:
    if accepts(kind, values):
        return kind, comment
    return "text", f"guessed: looks like {kind} but the handler's rule refuses a value -> text"


def _integer_type(values: list[str]) -> tuple[str, str]:
    digits = [v.lstrip("+-") for v in values]
    padded = [d for d in digits if len(d) > 1 and d.startswith("0")]
    if padded:
        widths = len({len(d) for d in digits})
        shape = f"{widths} distinct widths" if widths > 1 else f"fixed width {len(digits[0])}"
        return "text", f"guessed: {shape} with leading zeros (e.g. {padded[0]!r}) -> text, a code not a number"
    largest = max(abs(int(v)) for v in values)
    for kind, high in _RANGES:
        if largest * HEADROOM <= high:
            return _proved(
                kind, f"guessed: max |value| {largest:,} in the sample, x{HEADROOM} headroom -> {kind}", values
            )
    if largest <= _RANGES[-1][1]:
        return _proved("bigint", f"guessed: max |value| {largest:,} is near bigint's limit (no headroom)", values)
    precision = len(str(largest)) + DECIMAL_HEADROOM_DIGITS
    if precision > MAX_NUMERIC_PRECISION:
        return "text", "guessed: whole numbers too long for numeric -> text"
    return _proved(
        f"numeric({precision},0)",
        f"guessed: whole numbers past bigint ({len(str(largest))} digits), +{DECIMAL_HEADROOM_DIGITS} digits headroom",
        values,
    )


def _numeric_type(values: list[str]) -> tuple[str, str]:
    whole, frac = 0, 0
    for v in values:
        integer_part, _, fraction = v.lstrip("+-").partition(".")
        whole = max(whole, len(integer_part.lstrip("0")))
        frac = max(frac, len(fraction))
    precision = whole + DECIMAL_HEADROOM_DIGITS + frac
    if precision > MAX_NUMERIC_PRECISION:
        return "text", "guessed: decimals too long for numeric -> text"
    kind = f"numeric({precision},{frac})"
    return _proved(
        kind,
        f"guessed: up to {whole} integer and {frac} fraction digits in the sample, "
        f"+{DECIMAL_HEADROOM_DIGITS} integer digits headroom",
        values,
    )


def _near_miss(values: list[str]) -> str:
    """Say so when most values are of one type and a few are not (e.g. 'N/A' in a number column)."""
    for kind in ("bigint", "double precision", "date", "timestamptz", "timestamp", "uuid", "boolean"):
        ok = type_rule(parse_type(kind)).accepts(values)
        good = int(ok.sum())
        if good * 2 > len(values):
            bad = values[int(np.flatnonzero(~ok)[0])]
            return f"guessed: {good} of {len(values)} values are {kind} but not {bad[:30]!r} -> text"
    return ""


def _canonical(kind: str, value: str) -> object:
    if kind in ("smallint", "integer", "bigint"):
        return int(value)
    if kind.startswith("numeric"):
        return Decimal(value).normalize()
    return value.lower() if kind == "uuid" else value


def guess_primary_key(columns: list[ColumnDraft], rows: int, table: str) -> tuple[str | None, str]:
    """A column unique and non-empty across the sample, only when that guess is unambiguous."""
    if rows < 2:
        return None, "no primary key guessed: too few rows in the sample"
    candidates = [
        c
        for c in columns
        if c.required
        and (c.type in _KEY_TYPES or c.type.startswith("numeric("))
        and len({_canonical(c.type, v) for v in c.values}) == len(c.values)
    ]
    ids = [c for c in candidates if c.name.lower().endswith("id")]
    singular = table[:-1] if table.endswith("s") else table
    named = [c for c in ids if c.name.lower() in ("id", f"{table}_id", f"{singular}_id", f"{singular}id")]
    if len(named) == 1:
        chosen = named[0]
    elif len(ids) == 1 or (ids and ids[0] is columns[0]):
        chosen = ids[0]
    elif not ids and len(candidates) == 1 and candidates[0].type in ("smallint", "integer", "bigint", "uuid"):
        chosen = candidates[0]
    else:
        names = ", ".join(c.name for c in (ids or candidates)) or "none"
        return None, f"no primary key guessed: unique non-empty columns in the sample: {names}"
    return chosen.name, f"guessed: {chosen.name} is unique and never empty in the {rows:,} sample rows"


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
    return "{" + ", ".join(parts) + "}"


def render(
    file: str,
    table: str,
    sep: str,
    columns: list[ColumnDraft],
    key: str | None,
    key_comment: str,
    sample: Path,
    rows: int,
    max_rows: int,
) -> str:
    read = f"the first {rows:,} rows" if rows >= max_rows else f"{rows:,} row{'s' if rows != 1 else ''}"
    lines = [
        "# yaml-language-server: $schema=contract.schema.json",
        f"# Drafted by `harness contract infer` from {sample.name} ({read}). Review every `guessed` line,",
        "# add the rules the data should keep (minimum, max_length, pattern, enum, ...),",
        "# then run `harness contract check`.",
        f"file: {_scalar(file)}",
        f"table: {_scalar(table)}",
    ]
    if key is not None:
        lines.append("mode: append  # the default; upsert would update rows by the primary key instead")
        lines.append(f"primary_key: [{_key(key)}]  # {key_comment}")
    else:
        lines.append("mode: append  # the default; upsert needs a primary_key (none guessed)")
        lines.append(f"# {key_comment}")
    if sep != ",":
        lines += ["dialect:", f"  delimiter: {json.dumps(sep)}"]
    lines.append("columns:")
    keys = [_key(c.name) + ":" for c in columns]
    width = max(len(k) for k in keys)
    for column, name in zip(columns, keys, strict=True):
        line = f"  {name.ljust(width)} {_flow(column, key)}"
        lines.append(f"{line}  # {column.comment}" if column.comment else line)
    return "\n".join(lines) + "\n"
