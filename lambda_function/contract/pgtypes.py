"""The column types a contract may name: PostgreSQL's own, each with its DDL and catalogue spelling.

A type string is parsed once (`parse_type`); everything else (DDL, drift detection, the rule that
checks the text) works from the resulting `PgType`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

# The type names a contract may use, in the order `harness contract show` lists them.
SIMPLE_TYPES = ("smallint", "integer", "bigint", "real", "double precision", "boolean", "date", "timestamp",
                "timestamptz", "uuid", "text")
PARAMETRIC_TYPES = ("numeric(p,s)", "varchar(n)", "char(n)")
KNOWN_TYPES = SIMPLE_TYPES + PARAMETRIC_TYPES

INTEGER_TYPES = ("smallint", "integer", "bigint")
# Each integer type's range, for the rule that checks it, the generator and `contract infer`.
INTEGER_RANGES = {"smallint": (-(2**15), 2**15 - 1), "integer": (-(2**31), 2**31 - 1),
                  "bigint": (-(2**63), 2**63 - 1)}
FLOAT_TYPES = ("real", "double precision")
NUMBER_TYPES = (*INTEGER_TYPES, "numeric", *FLOAT_TYPES)
TEMPORAL_TYPES = ("date", "timestamp", "timestamptz")
TEXT_TYPES = ("text", "varchar", "char")

MAX_NUMERIC_PRECISION = 1000
MAX_CHAR_LENGTH = 10_485_760

# information_schema / format_type() spelling (what an existing table reports; drift compares these)
_CATALOG = {
    "smallint": "smallint", "integer": "integer", "bigint": "bigint", "real": "real",
    "double precision": "double precision", "boolean": "boolean", "date": "date",
    "timestamp": "timestamp without time zone", "timestamptz": "timestamp with time zone", "uuid": "uuid",
    "text": "text",
}
_PARAMETRIC = re.compile(r"(numeric|varchar|char)\s*\(\s*([0-9]+)\s*(?:,\s*([0-9]+)\s*)?\)")
_SUGGEST = {
    "int": "integer", "int2": "smallint", "int4": "integer", "int8": "bigint", "float": "double precision",
    "float4": "real", "float8": "double precision", "double": "double precision", "bool": "boolean",
    "decimal": "numeric(p,s)", "numeric": "numeric(p,s)", "string": "text", "str": "text",
    "varchar": "varchar(n)", "character varying": "varchar(n)", "char": "char(n)", "character": "char(n)",
    "datetime": "timestamp", "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp", "money": "numeric(p,s)",
}


@dataclass(frozen=True, slots=True)
class PgType:
    """A parsed column type: `base` is one of SIMPLE_TYPES or numeric/varchar/char with its parameters."""

    base: str
    length: int | None = None     # varchar(n), char(n)
    precision: int | None = None  # numeric(p,s)
    scale: int | None = None

    @property
    def ddl(self) -> str:
        if self.base == "numeric":
            return f"numeric({self.precision},{self.scale})"
        if self.base in ("varchar", "char"):
            return f"{self.base}({self.length})"
        return self.base

    @property
    def catalog(self) -> str:
        """format_type() of a column of this type, e.g. 'character varying(20)'."""
        if self.base == "numeric":
            return f"numeric({self.precision},{self.scale})"
        if self.base == "varchar":
            return f"character varying({self.length})"
        if self.base == "char":
            return f"character({self.length})"
        return _CATALOG[self.base]

    @property
    def is_text(self) -> bool:
        return self.base in TEXT_TYPES

    @property
    def is_number(self) -> bool:
        return self.base in NUMBER_TYPES

    @property
    def is_temporal(self) -> bool:
        return self.base in TEMPORAL_TYPES

    def __str__(self) -> str:
        return self.ddl


def parse_type(text: str) -> PgType:
    """The PgType for a contract's `type` string; ValueError with the reason (unknown, bad parameters)."""
    name = " ".join(text.split())
    if name in _CATALOG:
        return PgType(name)
    m = _PARAMETRIC.fullmatch(name)
    if m:
        base, first, second = m.group(1), int(m.group(2)), m.group(3)
        if base == "numeric":
            scale = int(second) if second is not None else 0
            if not 1 <= first <= MAX_NUMERIC_PRECISION:
                raise ValueError(f"numeric precision must be 1 to {MAX_NUMERIC_PRECISION}, got {first}")
            if scale > first:
                raise ValueError(f"numeric scale must be 0 to the precision ({first}), got {scale}")
            return PgType("numeric", precision=first, scale=scale)
        if second is not None:
            raise ValueError(f"{base}(n) takes one length, got {text!r}")
        if not 1 <= first <= MAX_CHAR_LENGTH:
            raise ValueError(f"{base} length must be 1 to {MAX_CHAR_LENGTH:,}, got {first}")
        return PgType(base, length=first)
    hint = _SUGGEST.get(name.lower())
    known = ", ".join(KNOWN_TYPES)
    raise ValueError(f"unknown type {text!r}" + (f" (did you mean {hint}?)" if hint else f" (known: {known})"))


def nearest_float32(text: str) -> float:
    """The float32 nearest to the decimal text (ties to even), computed exactly: what strtof returns."""
    import numpy as np  # here, not at import: contract tools (harness contract, --help) stay light

    exact = Fraction(text)
    if exact == 0:
        return -0.0 if text.lstrip().startswith("-") else 0.0
    with np.errstate(over="ignore"):
        candidate = float(np.float32(float(exact)))  # within one float32 step of the answer
        if math.isinf(candidate):
            candidate = math.copysign(float(np.finfo(np.float32).max), candidate)
        steps = [float(np.nextafter(np.float32(candidate), np.float32(d))) for d in (-math.inf, math.inf)]
    steps = [f for f in steps if math.isfinite(f)]
    return min([candidate, *steps], key=lambda f: (abs(Fraction(f) - exact), int(np.float32(f).view(np.uint32)) & 1))
