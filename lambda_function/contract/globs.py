"""fnmatch globs (a contract's `match`) as tokens: a name that matches one, and whether two can meet.

Globs are regular languages; two of them overlap when some name matches both. A walk over pairs of
positions decides it exactly: a `*` either ends or eats one character that the other side produces.
"""

from __future__ import annotations

import fnmatch
from functools import cache

Token = tuple[str, str]  # ('*', ''), ('?', ''), ('lit', c) or ('set', '[...]')


def tokens(glob: str) -> tuple[Token, ...]:
    out: list[Token] = []
    i = 0
    while i < len(glob):
        c = glob[i]
        if c == "*":
            if not (out and out[-1][0] == "*"):
                out.append(("*", ""))
        elif c == "?":
            out.append(("?", ""))
        elif c == "[" and (end := _set_end(glob, i)) > 0:
            out.append(("set", glob[i:end + 1]))
            i = end
        else:
            out.append(("lit", c))
        i += 1
    return tuple(out)


def _set_end(glob: str, start: int) -> int:
    """Index of the `]` closing the set opened at `start` (fnmatch's rules), or -1: then `[` is literal."""
    j = start + 1
    if j < len(glob) and glob[j] == "!":
        j += 1
    if j < len(glob) and glob[j] == "]":
        j += 1
    return glob.find("]", j)


def _members(token: Token) -> str:
    """Characters that decide what a token admits: a set's intersection with another set is empty unless it
    holds one of their range ends, a neighbour of one (for negations), or the extreme code points."""
    if token[0] == "lit":
        return token[1]
    near = (chr(o) for c in token[1] for o in (ord(c) - 1, ord(c), ord(c) + 1) if 0 < o <= 0x10FFFF)
    return "".join(near) + chr(1) + chr(0x10FFFF)


def _admits(token: Token, char: str) -> bool:
    if token[0] == "?":
        return True
    if token[0] == "lit":
        return token[1] == char
    return fnmatch.fnmatchcase(char, token[1])


def _chars_meet(a: Token, b: Token) -> bool:
    if a[0] == "?" or b[0] == "?":
        return True
    return any(_admits(a, c) and _admits(b, c) for c in set(_members(a) + _members(b)))


def globs_overlap(first: str, second: str) -> bool:
    """True when some name matches both globs (a plain name is a glob without wildcards)."""
    p, q = tokens(first), tokens(second)

    @cache
    def meet(i: int, j: int) -> bool:
        if i == len(p) and j == len(q):
            return True
        if i < len(p) and p[i][0] == "*":
            return meet(i + 1, j) or (j < len(q) and meet(i, j + 1))
        if j < len(q) and q[j][0] == "*":
            return meet(i, j + 1) or (i < len(p) and meet(i + 1, j))
        if i == len(p) or j == len(q):
            return False
        return _chars_meet(p[i], q[j]) and meet(i + 1, j + 1)

    return meet(0, 0)


def example_for_glob(glob: str) -> str:
    """A concrete name matching `glob`: `*` -> "sample", `?` -> "x", a set -> one of its members."""
    parts = []
    for kind, text in tokens(glob):
        if kind == "*":
            parts.append("sample")
        elif kind == "lit":
            parts.append(text)
        else:
            token = (kind, text)
            parts.append(next(c for c in "x" + _members(token) if _admits(token, c)))
    name = "".join(parts)
    return name if fnmatch.fnmatchcase(name, glob) else glob
