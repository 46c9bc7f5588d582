"""A contract's `pattern` (a Python regular expression, full match) as a DFA run over a whole column at once.

Python's own parser reads the pattern; each character set becomes the exact set of code points Python's
`re` matches (its `\\d`, `\\w`, `\\s` are Unicode's decimal, alphanumeric-or-underscore and whitespace,
from the running Python's Unicode database). The code points split into a few classes no set tells
apart, so the DFA is small (states x classes) however large the sets are. At run time each field's bytes
are read as code points (UTF-8 decoded with a few numpy operations, or one table lookup per byte in a
single-byte encoding), mapped to classes, and the DFA takes one table lookup per character position for
every field at once. Patterns using what a DFA cannot express exactly (look-arounds, back-references,
case-insensitive or multi-line flags, anchors inside the pattern) return None: the caller checks those
one value at a time with `re` itself.
"""

from __future__ import annotations

import re
import re._constants as sre
import re._parser as sre_parse
from functools import cache
from typing import Any

import numpy as np

from ...reading.text_encodings import Encoding
from ..fields import Fields
from .unicode_sets import MAX_CODE, CharSet, category, complement, normalise

MAX_STATES = 4096
MAX_BYTES = 64  # longer fields run one character position at a time over the fields still going
DEAD, END = 0, 1  # the class of padding after a field's last byte, and of UTF-8 continuation bytes
SKIP = 2


class Unsupported(Exception):
    pass


class _Nfa:
    """States with edges labelled by a character set (by index into `sets`) or nothing (epsilon)."""

    def __init__(self) -> None:
        self.edges: list[list[tuple[int, int]]] = []  # (set index, target)
        self.eps: list[list[int]] = []
        self.sets: list[CharSet] = []

    def state(self) -> int:
        self.edges.append([])
        self.eps.append([])
        return len(self.edges) - 1


class _Builder:
    def __init__(self, flags: int) -> None:
        self.nfa = _Nfa()
        self.dotall = bool(flags & re.DOTALL)
        self.ascii = bool(flags & re.ASCII)
        if flags & (re.IGNORECASE | re.LOCALE | re.MULTILINE):
            raise Unsupported("flags")

    def charset(self, chars: CharSet, start: int, end: int) -> None:
        self.nfa.sets.append(normalise(chars))
        self.nfa.edges[start].append((len(self.nfa.sets) - 1, end))

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
            self.charset([(0, MAX_CODE)] if self.dotall else complement([(10, 10)]), start, end)
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

    def _repeat(self, low: int, high: Any, items: Any, start: int, end: int) -> None:
        if low > 100 or (high is not sre.MAXREPEAT and high > 100):
            raise Unsupported("large repeat")
        here = start
        for _ in range(low):
            there = self.nfa.state()
            self.sequence(items, here, there)
            here = there
        if high is sre.MAXREPEAT:
            loop, body_end = self.nfa.state(), self.nfa.state()
            self.nfa.eps[here].append(loop)
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


def _strip_anchors(items: list[Any]) -> list[Any]:
    """A leading ^/\\A and a trailing $/\\Z change nothing in a full match; anchors elsewhere are unsupported."""
    if items and items[0][0] is sre.AT and items[0][1] in (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING):
        items = items[1:]
    if items and items[-1][0] is sre.AT and items[-1][1] in (sre.AT_END, sre.AT_END_STRING):
        items = items[:-1]
    return items


def _classes(sets: list[CharSet]) -> tuple[np.ndarray, np.ndarray, list[frozenset[int]]]:
    """Split the code points into classes no set tells apart: (interval starts, class per interval, the sets
    each class belongs to). Classes 0-2 are reserved (DEAD is unused as a class; END; SKIP)."""
    starts = sorted({0, MAX_CODE + 1} | {b for chars in sets for lo, hi in chars for b in (lo, hi + 1)})
    starts = starts[:-1]
    members: dict[frozenset[int], int] = {}
    labels: list[frozenset[int]] = [frozenset(), frozenset(), frozenset()]
    interval_class = np.empty(len(starts), dtype=np.int32)
    for i, start in enumerate(starts):
        key = frozenset(k for k, chars in enumerate(sets) if _contains(chars, start))
        if key not in members:
            members[key] = len(labels)
            labels.append(key)
        interval_class[i] = members[key]
    return np.array(starts, dtype=np.int64), interval_class, labels


def _contains(chars: CharSet, code: int) -> bool:
    lo, hi = 0, len(chars)
    while lo < hi:  # binary search over sorted, disjoint ranges
        mid = (lo + hi) // 2
        if chars[mid][1] < code:
            lo = mid + 1
        elif chars[mid][0] > code:
            hi = mid
        else:
            return True
    return False


def _closure(nfa: _Nfa, states: frozenset[int]) -> frozenset[int]:
    todo, seen = list(states), set(states)
    while todo:
        for nxt in nfa.eps[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


class ClassDfa:
    """table[state * classes + class] -> next state. State 0 is dead; the END class (a field's end) takes an
    accepting state to a sink that stays accepting; the SKIP class (a UTF-8 continuation byte) keeps the state."""

    def __init__(self, table: np.ndarray, accepting: np.ndarray, classes: int, starts: np.ndarray,
                 interval_class: np.ndarray, encoding: Encoding) -> None:
        self.table, self.accepting, self.classes = table, accepting, classes
        self._starts, self._interval_class = starts, interval_class
        self.encoding = encoding
        self._class_type = np.uint8 if classes <= 256 else np.int32  # class matrices one byte per byte
        self._ascii = interval_class[np.searchsorted(starts, np.arange(128), side="right") - 1].astype(
            self._class_type)
        self._ascii[0] = END  # NUL never is in a field (the structure checks refuse it): it marks the field's end
        self._single = self._single_byte_classes() if encoding.single_byte else None
        # the next state for (state, byte) where a byte is a character: the class lookup folded in
        byte_classes = self._single if self._single is not None else np.concatenate(
            (self._ascii, np.zeros(128, dtype=self._class_type)))  # no byte >= 0x80 takes this table
        states = len(table) // classes
        self._byte_table = table.reshape(states, classes)[:, byte_classes].reshape(-1).astype(np.int32)

    def _single_byte_classes(self) -> np.ndarray:
        """Class of each byte of a single-byte encoding (0 for a byte it does not define; byte 0 ends a field)."""
        out = np.zeros(256, dtype=self._class_type)
        for byte in range(1, 256):
            try:
                code = ord(bytes([byte]).decode(self.encoding.codec))
            except UnicodeDecodeError:
                continue
            out[byte] = self.class_of(np.array([code]))[0]
        out[0] = END
        return out

    def class_of(self, codes: np.ndarray) -> np.ndarray:
        return self._interval_class[np.searchsorted(self._starts, codes, side="right") - 1].astype(np.int32)

    def fullmatch(self, fields: Fields) -> np.ndarray:
        """Fields grouped by length (up to 64 bytes, then doubling), each group one matrix of classes."""
        ok = np.zeros(len(fields), dtype=bool)
        length = fields.lengths
        low, high = -1, MAX_BYTES
        while low < int(length.max(initial=0)):
            group = np.flatnonzero((length > low) & (length <= high))
            if len(group) == len(fields):  # one group: the column itself (its words already read)
                return self._match(fields)
            if len(group):
                ok[group] = self._match(fields.take(group))
            low, high = high, high * 2
        return ok

    def _match(self, fields: Fields) -> np.ndarray:
        """The DFA over a matrix of bytes (bytes, n): row j holds byte j of every field (0 past its end).

        Bytes that are characters of their own (ASCII, a single-byte encoding) step a byte-indexed table;
        UTF-8 with other characters is first read as classes, a character's at its first byte."""
        n = len(fields)
        steps = int(fields.lengths.max(initial=0)) + 1  # the longest field and its END
        words = -(-steps // 8)
        stacked = np.stack([fields.word(k) for k in range(words)]).view(np.uint8).reshape(words, n, 8)
        matrix = np.ascontiguousarray(stacked.transpose(0, 2, 1)).reshape(words * 8, n)[:steps]
        if self._single is not None or int(matrix.max(initial=0)) < 0x80:
            return self._run(matrix, self._byte_table, 256)
        return self._run(self._utf8_classes(matrix), self.table, self.classes)

    def _utf8_classes(self, m: np.ndarray) -> np.ndarray:
        """UTF-8 (validated by the structure checks) read as code points at each lead byte; ASCII by a table."""
        classes = self._ascii.take(m & 0x7F)  # END at 0 (past a field's end), and at 0x80: overwritten just below
        classes[(m & 0xC0) == 0x80] = SKIP
        rows, cols = np.nonzero(m >= 0xC0)
        flat = m.reshape(-1)
        n, size = m.shape[1], m.size
        at = rows * n + cols
        nxt = [flat[np.minimum(at + k * n, size - 1)].astype(np.int64) & 0x3F for k in (1, 2, 3)]  # next rows
        lead = flat[at].astype(np.int64)
        code = np.where(lead < 0xE0, ((lead & 0x1F) << 6) | nxt[0],
                        np.where(lead < 0xF0, ((lead & 0x0F) << 12) | (nxt[0] << 6) | nxt[1],
                                 ((lead & 0x07) << 18) | (nxt[0] << 12) | (nxt[1] << 6) | nxt[2]))
        classes[rows, cols] = self.class_of(code)
        return classes

    def _run(self, rows: np.ndarray, table: np.ndarray, width: int) -> np.ndarray:
        state = np.ones(rows.shape[1], dtype=np.int32)  # state 1 starts
        for row in rows:  # byte (or class) j of every field
            state = table.take(state * width + row)
        return self.accepting[state]


def _determinise(nfa: _Nfa, start: int, final: int, encoding: Encoding) -> ClassDfa:
    starts, interval_class, labels = _classes(nfa.sets)
    width = len(labels)
    first = _closure(nfa, frozenset([start]))
    ids: dict[frozenset[int], int] = {frozenset(): DEAD, first: 1}
    rows: list[list[int]] = [[DEAD] * width, [DEAD] * width]
    accept = [False, final in first]
    todo = [first]
    while todo:
        current = todo.pop()
        row = rows[ids[current]]
        for cls in range(3, width):
            label = labels[cls]
            targets = frozenset(t for s in current for k, t in nfa.edges[s] if k in label)
            nxt = _closure(nfa, targets) if targets else frozenset()
            if nxt not in ids:
                if len(ids) >= MAX_STATES:
                    raise Unsupported("too many states")
                ids[nxt] = len(rows)
                rows.append([DEAD] * width)
                accept.append(final in nxt)
                todo.append(nxt)
            row[cls] = ids[nxt]
        row[SKIP] = ids[current]
    sink = len(rows)  # after END: stays accepting on further padding
    rows.append([DEAD] * width)
    rows[sink][END] = sink
    accept.append(True)
    for i in range(1, sink):
        rows[i][END] = sink if accept[i] else DEAD
    return ClassDfa(np.array(rows, dtype=np.int32).ravel(), np.array(accept, dtype=bool), width, starts,
                    interval_class, encoding)


@cache
def compile_pattern(pattern: str, encoding: Encoding) -> ClassDfa | None:
    """The pattern's DFA, or None when it needs Python's `re` itself."""
    try:
        parsed = sre_parse.parse(pattern)
        builder = _Builder(parsed.state.flags)
        start, final = builder.nfa.state(), builder.nfa.state()
        builder.sequence(_strip_anchors(list(parsed)), start, final)
        return _determinise(builder.nfa, start, final, encoding)
    except (Unsupported, RecursionError):
        return None
