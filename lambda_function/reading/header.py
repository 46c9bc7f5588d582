"""The header check: the contract's columns, in any order, with the likeliest cause of each difference.

Every required column must be there; an optional one may be absent (NULL in every row of that file, so
producers can move to a new layout one at a time); a name the contract does not know is an error.

A header that differs invisibly (a trailing space, another case, a zero-width character), a near-miss
name and a file saved with another delimiter are each told so in words, because that is what a
producer needs to fix it.
"""

from __future__ import annotations

import difflib

from ..contract.model import Contract
from ..errors import RowError
from .blocks import Header

_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


def header_errors(header: Header, contract: Contract) -> list[RowError]:
    """Header names, order free: missing required, unexpected and repeated names, each its own entry."""
    expected = contract.column_names
    errors: list[RowError] = []
    seen: set[str] = set()
    for name in header.names:
        if name in seen:
            errors.append(RowError(None, name, name, "each column once in the header"))
        seen.add(name)
    missing = [name for name in expected if name not in seen]  # optional ones too: a typo may explain them
    if len(header.names) == 1 and header.names[0] not in expected:
        delimiter = _other_delimiter(header.names[0], contract)
        if delimiter:  # one wrong-delimiter line: the missing columns would only repeat it
            return [RowError(None, header.names[0], header.names[0], delimiter)]
    for name in header.names:
        if name not in expected:
            errors.append(RowError(None, name or None, name, _unknown_column_rule(name, contract, missing)))
    for name in expected:
        if name not in seen and contract.column(name).required:
            errors.append(RowError(None, name, None, "required column missing from the header"))
    return errors


def _other_delimiter(name: str, contract: Contract) -> str | None:
    others = [d for d in _DELIMITER_NAMES if d != contract.delimiter and d in name]
    if not others:
        return None
    used = _DELIMITER_NAMES[max(others, key=name.count)]
    if contract.delimiter == ",":
        return f"the header is separated by {used}: save as CSV UTF-8 (comma delimited) or set dialect.delimiter"
    said = _DELIMITER_NAMES[contract.delimiter]
    return f"the header is separated by {used} but the contract says {said} (dialect.delimiter)"


def _unknown_column_rule(name: str, contract: Contract, missing: list[str]) -> str:
    """Why a header name is not a column, with the likeliest cause: an invisible difference or a typo."""
    for want in missing:
        difference = _invisible_difference(name, want)
        if difference:
            return f"a column of the table: {name!r} is {want!r} with {difference}"
    close = difflib.get_close_matches(name, missing, n=1, cutoff=0.75)
    return f"a column of the table (did you mean {close[0]!r}?)" if close else "a column of the table"


_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00a0"


def _invisible_difference(name: str, want: str) -> str | None:
    """How `name` differs from `want` when a person would not see it (spaces, case, invisible characters)."""
    hidden = [c for c in name if c in _INVISIBLE]
    if hidden and "".join(c for c in name if c not in _INVISIBLE).strip() == want:
        return "an invisible character (" + ", ".join(sorted({f"U+{ord(c):04X}" for c in hidden})) + ")"
    if name.rstrip() == want:
        return "a trailing space"
    if name.lstrip() == want:
        return "a leading space"
    if name.strip() == want:
        return "spaces around it"
    if name.strip().casefold() == want.casefold():
        return "different case"
    return None
