"""A contract's `pattern` (a Python regular expression, full match) as a DFA over the file's own bytes.

Python's own parser reads the pattern; each character set becomes the exact set of code points Python's
`re` matches (its `\\d`, `\\w`, `\\s` are Unicode's decimal, alphanumeric-or-underscore and whitespace,
computed from the running Python's Unicode database), then the byte sequences that encode them (UTF-8,
or one byte each in a single-byte encoding). The DFA then runs over a whole column with a few numpy
operations per byte position. Patterns using what a DFA cannot express exactly (look-arounds,
back-references, case-insensitive or multi-line flags, anchors inside the pattern) return None: the
caller checks those one value at a time with `re` itself.
"""

from __future__ import annotations

import itertools
import re
import re._constants as sre
import re._parser as sre_parse
from functools import cache
from typing import Any

import numpy as np

from ...reading.text_encodings import Encoding
from ..fields import Fields
from .unicode_sets import CharSet, category, complement, normalise, utf8_sequences

MAX_STATES = 4096
DEAD = 0


class Unsupported(Exception):
    pass


# -- pattern -> NFA over byte ranges -------------------------------------------------------------------

class _Nfa:
    def __init__(self) -> None:
        self.edges: list[list[tuple[int, int, int]]] = []  # per state: (low byte, high byte, target)
        self.eps: list[list[int]] = []

    def state(self) -> int:
        self.edges.append([])
        self.eps.append([])
        return len(self.edges) - 1


class _Builder:
    def __init__(self, encoding: Encoding, flags: int) -> None:
        self.nfa = _Nfa()
        self.encoding = encoding
        self.dotall = bool(flags & re.DOTALL)
        self.ascii = bool(flags & re.ASCII)
        if flags & (re.IGNORECASE | re.LOCALE | re.MULTILINE):
            raise Unsupported("flags")

    def charset(self, chars: CharSet, start: int, end: int) -> None:
        """Edges from start to end for every character of the set, as the file's bytes spell them."""
        nfa = self.nfa
        if self.encoding.single_byte:
            for byte in _single_bytes(chars, self.encoding.codec):
                nfa.edges[start].append((byte, byte, end))
            return
        for sequence in utf8_sequences(chars):
            here = start
            for i, (low, high) in enumerate(sequence):
                there = end if i == len(sequence) - 1 else nfa.state()
                nfa.edges[here].append((low, high, there))
                here = there

    def sequence(self, items: Any, start: int, end: int) -> None:
        here = start
        items = list(items)
        for i, (op, arg) in enumerate(items):
            there = end if i == len(items) - 1 else self.nfa.state()
            self.node(op, arg, here, there)
            here = there
        if not items:
            self.nfa.eps[start].append(end)

    def node(self, op: Any, arg: Any, start: int, end: int) -> None:
        if op is sre.LITERAL:
            self.charset([(arg, arg)], start, end)
        elif op is sre.NOT_LITERAL:
            self.charset(complement([(arg, arg)]), start, end)
        elif op is sre.ANY:
            self.charset([(0, 0x10FFFF)] if self.dotall else complement([(10, 10)]), start, end)
        elif op is sre.IN:
            self.charset(self._in(arg), start, end)
        elif op is sre.BRANCH:
            for alternative in arg[1]:
                self.sequence(alternative, start, end)
        elif op is sre.SUBPATTERN:
            _group, add, remove, items = arg
            if add or remove:
                raise Unsupported("inline flags")
            self.sequence(items, start, end)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):  # greedy or lazy: the same language for a full match
            low, high, items = arg
            self._repeat(low, high, items, start, end)
        else:
            raise Unsupported(str(op))

    def _repeat(self, low: int, high: int, items: Any, start: int, end: int) -> None:
        if low > 100 or (high is not sre.MAXREPEAT and high > 100):
            raise Unsupported("large repeat")
        here = start
        for _ in range(low):
            there = self.nfa.state()
            self.sequence(items, here, there)
            here = there
        if high is sre.MAXREPEAT:
            loop = self.nfa.state()
            self.nfa.eps[here].append(loop)
            body_end = self.nfa.state()
            self.sequence(items, loop, body_end)
            self.nfa.eps[body_end].append(loop)
            self.nfa.eps[loop].append(end)
            return
        for _ in range(high - low):
            there = self.nfa.state()
            self.nfa.eps[here].append(end)
            self.sequence(items, here, there)
            here = there
        self.nfa.eps[here].append(end)

    def _in(self, items: Any) -> CharSet:
        chars: CharSet = []
        negate = False
        for op, arg in items:
            if op is sre.NEGATE:
                negate = True
            elif op is sre.LITERAL:
                chars.append((arg, arg))
            elif op is sre.RANGE:
                chars.append(arg)
            elif op is sre.CATEGORY:
                chars.extend(category(str(arg), self.ascii))
            else:
                raise Unsupported(str(op))
        chars = normalise(chars)
        return complement(chars) if negate else chars


def _single_bytes(chars: CharSet, codec: str) -> list[int]:
    found = []
    for byte in range(1, 256):
        try:
            code = ord(bytes([byte]).decode(codec))
        except UnicodeDecodeError:
            continue
        if any(low <= code <= high for low, high in chars):
            found.append(byte)
    return found


def _strip_anchors(items: list[Any]) -> list[Any]:
    """A leading ^/\\A and a trailing $/\\Z change nothing in a full match; anchors elsewhere are unsupported."""
    if items and items[0][0] is sre.AT and items[0][1] in (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING):
        items = items[1:]
    if items and items[-1][0] is sre.AT and items[-1][1] in (sre.AT_END, sre.AT_END_STRING):
        items = items[:-1]
    return items


# -- NFA -> DFA ----------------------------------------------------------------------------------------

class ByteDfa:
    """table[state * 256 + byte] -> next state; state 0 is dead; byte 0 (never in text) marks a field's end."""

    def __init__(self, table: np.ndarray, accepting: np.ndarray, start: int) -> None:
        self.table, self.accepting, self.start = table, accepting, start

    def fullmatch(self, fields: Fields) -> np.ndarray:
        n = len(fields)
        ok = np.zeros(n, dtype=bool)
        length = fields.lengths
        short = np.flatnonzero(length <= 64)
        if len(short):
            ok[short] = self._words(fields.take(short))
        long = np.flatnonzero(length > 64)
        if len(long):
            ok[long] = self._ragged(fields.take(long))
        return ok

    def _words(self, fields: Fields) -> np.ndarray:
        """Fields of at most 64 bytes: their words as one byte matrix, one table lookup per byte position."""
        words = -(-int(fields.lengths.max(initial=1)) // 8) or 1
        matrix = np.stack([fields.word(k) for k in range(words)], axis=1).view(np.uint8)
        columns = np.ascontiguousarray(matrix.T).astype(np.int32)
        state = np.full(len(fields), self.start, dtype=np.int32)
        table = self.table
        for column in columns:
            state = table.take((state << 8) | column)
        return self.accepting[state]

    def _ragged(self, fields: Fields) -> np.ndarray:
        arr = fields.src.arr
        state = np.full(len(fields), self.start, dtype=np.int32)
        pos = fields.start.copy()
        active = np.flatnonzero(pos < fields.stop)
        while len(active):
            state[active] = self.table.take((state[active] << 8) | arr[pos[active]].astype(np.int32))
            pos[active] += 1
            active = active[(pos[active] < fields.stop[active]) & (state[active] != DEAD)]
        at_end = self.table.take(state << 8)  # then the end marker
        return self.accepting[at_end]


def _closure(nfa: _Nfa, states: frozenset[int]) -> frozenset[int]:
    todo, seen = list(states), set(states)
    while todo:
        for nxt in nfa.eps[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


def _determinise(nfa: _Nfa, start: int, final: int) -> ByteDfa:
    bounds = sorted({0, 1, 256} | {b for edges in nfa.edges for lo, hi, _ in edges for b in (lo, hi + 1)})
    classes = list(itertools.pairwise(bounds))  # byte ranges no edge splits
    first = _closure(nfa, frozenset([start]))
    ids: dict[frozenset[int], int] = {frozenset(): DEAD, first: 1}
    rows: list[list[int]] = [[DEAD] * 256, [DEAD] * 256]
    accept = [False, final in first]
    todo = [first]
    while todo:
        current = todo.pop()
        row = rows[ids[current]]
        for low, high in classes:
            if low == 0:
                continue
            targets = frozenset(t for s in current for lo, hi, t in nfa.edges[s] if lo <= low and high - 1 <= hi)
            nxt = _closure(nfa, targets) if targets else frozenset()
            if nxt not in ids:
                if len(ids) >= MAX_STATES:
                    raise Unsupported("too many states")
                ids[nxt] = len(rows)
                rows.append([DEAD] * 256)
                accept.append(final in nxt)
                todo.append(nxt)
            row[low:high] = [ids[nxt]] * (high - low)
    # the end marker: byte 0 moves an accepting state to a sink that stays accepting on further zeros
    sink = len(rows)
    rows.append([DEAD] * 256)
    rows[sink][0] = sink
    accept.append(True)
    for i in range(1, sink):
        rows[i][0] = sink if accept[i] else DEAD
    return ByteDfa(np.array(rows, dtype=np.int32).ravel(), np.array(accept, dtype=bool), 1)


@cache
def compile_pattern(pattern: str, encoding: Encoding) -> ByteDfa | None:
    """The pattern's DFA over the encoding's bytes, or None when it needs Python's `re` itself."""
    try:
        parsed = sre_parse.parse(pattern)
        builder = _Builder(encoding, parsed.state.flags)
        start, final = builder.nfa.state(), builder.nfa.state()
        items = _strip_anchors(list(parsed))
        builder.sequence(items, start, final)
        return _determinise(builder.nfa, start, final)
    except (Unsupported, RecursionError):
        return None
