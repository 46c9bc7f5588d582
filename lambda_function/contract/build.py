"""From a schema-checked YAML mapping to the model, with the semantic checks a schema cannot express.

Every problem is reported as (field path, message); the model is built only when there are none.
Checks that need the column rules themselves (enum values satisfy the type) run in loader.py.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ..reading.text_encodings import ENCODINGS
from .model import LINEAGE_COLUMN, Bound, Column, Contract, WrittenFloat
from .pgtypes import FLOAT_TYPES, INTEGER_TYPES, PgType, nearest_float32, parse_type

# What PostgreSQL's boolean input reads as true and as false (any case): a column may choose among them.
TRUE_SPELLINGS = ("true", "t", "yes", "y", "on", "1")
FALSE_SPELLINGS = ("false", "f", "no", "n", "off", "0")
_ENCODING_ALIASES = {"utf8": "utf-8", "cp1252": "windows-1252", "win1252": "windows-1252", "latin1": "latin-1",
                     "iso-8859-1": "latin-1", "latin9": "iso-8859-15", "iso8859-15": "iso-8859-15"}

Problem = tuple[str, str]
PG_IDENTIFIER_BYTES = 63
RESERVED_TABLES = {"ingest_ledger"}
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")


def _identifier_problem(name: str) -> str | None:
    if not name.strip():
        return "must not be blank"
    if "\0" in name:
        return "must not contain NUL"
    if len(name.encode()) > PG_IDENTIFIER_BYTES:
        return f"at most {PG_IDENTIFIER_BYTES} bytes (PostgreSQL would cut the name), got {len(name.encode())}"
    return None


def _bound(value: Any, pg: PgType) -> Bound:
    """A contract bound in the column's own domain; ValueError says why it does not fit the type."""
    base = pg.base
    if base in INTEGER_TYPES:
        if isinstance(value, int) or (isinstance(value, str) and _INTEGER_TEXT.fullmatch(value)):
            return int(value)
        raise ValueError(f"must be a whole number for {pg}, got {value!r}")
    written = getattr(value, "text", None) or str(value)  # a YAML float as written, digit for digit
    if base == "numeric":
        try:
            exact = Decimal(written)
        except InvalidOperation:
            raise ValueError(f"must be a number for {pg}, got {value!r}") from None
        if not exact.is_finite():
            raise ValueError(f"must be a finite number, got {value!r}")
        return exact
    if base in FLOAT_TYPES:
        try:
            number = float(written)
        except ValueError:
            raise ValueError(f"must be a number for {pg}, got {value!r}") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"must be a finite number, got {value!r}")
        # rounded once to the column's own type, as PostgreSQL stores the values it is compared with
        return WrittenFloat.of(nearest_float32(written) if base == "real" else number, written)
    if base == "date":
        if value == "today":
            return "today"
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise ValueError(f"must be a date (YYYY-MM-DD) or today, got {value!r}")
    if base in ("timestamp", "timestamptz"):
        if value == "now":
            return "now"
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"must be an ISO 8601 timestamp or now, got {value!r}") from None
        if (moment.tzinfo is None) != (base == "timestamp"):
            need = "without an offset" if base == "timestamp" else "with an offset or Z"
            raise ValueError(f"must be a timestamp {need} for {pg}, got {value!r}")
        return moment
    raise ValueError(f"applies to numbers, dates and timestamps, not {pg}")


def _comparable(low: Bound, high: Bound) -> bool:
    return not isinstance(low, str) and not isinstance(high, str)


def build_column(name: str, raw: dict[str, Any], path: str) -> tuple[Column | None, list[Problem]]:
    problems: list[Problem] = []
    if (why := _identifier_problem(name)) is not None:
        problems.append((path, f"column name {why}"))
    try:
        pg = parse_type(raw["type"])
    except ValueError as exc:
        return None, [*problems, (f"{path}.type", str(exc))]
    bounds: dict[str, Bound | None] = {"minimum": None, "maximum": None}
    for key in bounds:
        if key in raw:
            try:
                bounds[key] = _bound(raw[key], pg)
            except ValueError as exc:
                problems.append((f"{path}.{key}", str(exc)))
    low, high = bounds["minimum"], bounds["maximum"]
    if low is not None and high is not None and _comparable(low, high) and low > high:  # type: ignore[operator]
        problems.append((f"{path}.minimum", f"must not be greater than maximum ({raw['minimum']} > {raw['maximum']})"))
    min_len, max_len = raw.get("min_length"), raw.get("max_length")
    text_only = [k for k in ("min_length", "max_length", "trim", "format") if k in raw]
    if not pg.is_text:
        problems += [(f"{path}.{k}", f"applies to text, varchar(n) and char(n), not {pg}") for k in text_only]
    if raw.get("unique") == "casefold" and not pg.is_text:
        problems.append((f"{path}.unique", f"casefold applies to text columns, not {pg}; use unique: true"))
    if min_len is not None and max_len is not None and min_len > max_len:
        problems.append((f"{path}.min_length", f"must not be greater than max_length ({min_len} > {max_len})"))
    if pg.base == "varchar" and max_len is not None and pg.length is not None and max_len > pg.length:
        problems.append((f"{path}.max_length", f"{max_len} is more than {pg} allows"))
    if pg.base == "char" and pg.length is not None:
        for key, n in (("min_length", min_len), ("max_length", max_len)):
            if n is not None and not raw.get("trim") and (n > pg.length if key == "min_length" else n < pg.length):
                problems.append((f"{path}.{key}", f"contradicts {pg} (always exactly {pg.length} characters)"))
    if "pattern" in raw:
        try:
            re.compile(raw["pattern"])
        except re.error as exc:
            problems.append((f"{path}.pattern", f"does not compile as a Python regular expression: {exc}"))
    if "pattern_message" in raw and "pattern" not in raw:
        problems.append((f"{path}.pattern_message", "needs a pattern to describe"))
    enum = raw.get("enum")
    if enum is not None:
        for i, item in enumerate(enum):
            if not isinstance(item, str) and not pg.is_number:
                problems.append((f"{path}.enum[{i}]", f"must be text for {pg} (quote it in YAML), got {item!r}"))
    spellings = {}
    for key, allowed in (("true_values", TRUE_SPELLINGS), ("false_values", FALSE_SPELLINGS)):
        if key not in raw:
            continue
        if pg.base != "boolean":
            problems.append((f"{path}.{key}", f"applies to boolean columns, not {pg}"))
            continue
        words = []
        for i, item in enumerate(raw[key]):
            word = ("true" if item else "false") if isinstance(item, bool) else str(item).lower()
            if word not in allowed:
                problems.append((f"{path}.{key}[{i}]", f"{item!r} is not a spelling PostgreSQL reads as "
                                 f"{key.split('_')[0]} (choose from {', '.join(allowed)})"))
            elif word in words:
                problems.append((f"{path}.{key}[{i}]", f"{item!r} is listed twice"))
            words.append(word)
        spellings[key] = tuple(words)
    if problems:
        return None, problems
    unique = raw.get("unique")
    return Column(
        name=name, type=pg, required=raw.get("required", True),
        unique=None if unique is None else ("casefold" if unique == "casefold" else "exact"),
        minimum=low, maximum=high, min_length=min_len, max_length=max_len, trim=raw.get("trim", False),
        pattern=raw.get("pattern"), pattern_message=raw.get("pattern_message"),
        enum=None if enum is None else tuple(str(v) for v in enum), format=raw.get("format"),
        description=raw.get("description"), **spellings,
    ), []


def build_contract(raw: dict[str, Any], source: str) -> tuple[Contract | None, list[Problem]]:
    """The Contract for one schema-valid document, or the semantic problems that prevent it."""
    problems: list[Problem] = []
    if (why := _identifier_problem(raw["table"])) is not None:
        problems.append(("table", why))
    elif raw["table"] in RESERVED_TABLES:
        problems.append(("table", f"{raw['table']!r} is the ingest ledger's own table"))
    name_key = "file" if "file" in raw else "match"
    name = raw[name_key]
    if name_key == "file" and name.endswith(".gz"):
        problems.append(("file", f"name the uncompressed file ({name[:-3]!r}): the .gz variant is implied"))
    if name in (".", ".."):
        problems.append((name_key, f"{name!r} is not a file name"))
    columns: list[Column] = []
    for column_name, column_raw in raw["columns"].items():
        if column_name == LINEAGE_COLUMN:
            problems.append((f"columns.{column_name}", "is the lineage column's name (lineage: true adds it)"))
            continue
        column, found = build_column(column_name, column_raw, f"columns.{column_name}")
        problems += found
        if column is not None:
            columns.append(column)
    by_name = {c: column_raw for c, column_raw in raw["columns"].items()}
    for i, key in enumerate(raw.get("primary_key", [])):
        if key not in by_name:
            problems.append((f"primary_key[{i}]", f"{key!r} is not a column of the table"))
        elif by_name[key].get("required", True) is False:
            problems.append((f"primary_key[{i}]", f"{key!r} is optional (required: false); key columns are required"))
    dialect = raw.get("dialect", {})
    problems += _dialect_problems(dialect, columns)
    on_error = raw.get("on_error", "fail")
    if on_error == "fail":
        for key in ("max_rejected_rows", "max_rejected_ratio"):
            if key in raw:
                problems.append((key, "applies only with on_error: reject_rows"))
    lineage, lineage_problems = _lineage(raw)
    problems += lineage_problems
    if problems:
        return None, problems
    return Contract(
        source=source, table=raw["table"], mode=raw["mode"], columns=tuple(columns),
        file=raw.get("file"), match=raw.get("match"), primary_key=tuple(raw.get("primary_key", ())),
        allow_empty=raw.get("allow_empty", False), delimiter=dialect.get("delimiter", ","),
        missing=dialect.get("missing", ""), encoding=_encoding_name(dialect.get("encoding", "utf-8")),
        on_error=on_error, max_rejected_rows=raw.get("max_rejected_rows"),
        max_rejected_ratio=raw.get("max_rejected_ratio"), evolve=raw.get("evolve", "safe"),
        description=raw.get("description"), lineage=lineage, on_object_removed=raw.get("on_object_removed", "ignore"),
    ), []


def _lineage(raw: dict[str, Any]) -> tuple[bool, list[Problem]]:
    """Whether rows name their load: `lineage`, implied by replace_file; unloading on removal needs it."""
    mode = raw["mode"]
    if mode == "replace_file" and raw.get("lineage") is False:
        return True, [("lineage", "mode: replace_file implies lineage (each key's rows are found by their load): "
                                  "leave lineage out or set it true")]
    lineage = bool(raw.get("lineage", False)) or mode == "replace_file"
    if raw.get("on_object_removed", "ignore") == "unload" and not (mode == "replace_file"
                                                                 or (mode == "append" and lineage)):
        need = "set lineage: true" if mode == "append" else f"not with mode: {mode}"
        return lineage, [("on_object_removed", f"unload needs rows that know their file: mode: replace_file, or "
                                               f"mode: append with lineage: true ({need})")]
    return lineage, []


def _encoding_name(name: str) -> str:
    return _ENCODING_ALIASES.get(name.lower(), name.lower())


def _dialect_problems(dialect: dict[str, Any], columns: list[Column]) -> list[Problem]:
    """A marker COPY could not use (delimiter, quote, line break inside it), an encoding PostgreSQL lacks."""
    problems: list[Problem] = []
    delimiter = dialect.get("delimiter", ",")
    marker = dialect.get("missing", "")
    for bad, what in ((delimiter, "the delimiter"), ('"', "a quote"), ("\n", "a line break"), ("\r", "a line break")):
        if bad in marker:
            problems.append(("dialect.missing", f"{marker!r} contains {what}: COPY could not tell it from the data"))
            break
    if marker.strip() != marker:
        problems.append(("dialect.missing", f"{marker!r} has spaces around it: write it exactly as the file does"))
    for column in columns:
        spellings = (*column.true_values, *column.false_values)
        if column.type.base == "boolean" and marker and marker.lower() in spellings:
            problems.append(("dialect.missing", f"{marker!r} is also a spelling of boolean column {column.name}"))
    if "encoding" in dialect:
        name = _encoding_name(str(dialect["encoding"]))
        if name not in ENCODINGS:
            problems.append(("dialect.encoding", f"unknown encoding {dialect['encoding']!r} "
                             f"(known: {', '.join(ENCODINGS)})"))
    return problems
