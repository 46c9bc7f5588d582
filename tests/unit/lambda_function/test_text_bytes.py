"""Text read from the bytes agrees with Python's str: lengths, trimmed lengths, case-folded uniqueness keys."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_function.checking import validate_stream
from lambda_function.checking.fields import Fields
from lambda_function.checking.rules.whitespace import stripped_chars
from lambda_function.checking.uniqueness import UniqueTracker, text_keys
from lambda_function.contract.model import Column, Contract
from lambda_function.contract.pgtypes import parse_type
from lambda_function.reading.text_encodings import ENCODINGS

SPACES = " \t\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000"
LETTERS = "aZé日ÿ\u200b-"  # U+200B is not whitespace for Python


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(SPACES + LETTERS, max_size=10), min_size=1, max_size=10))
def test_trimmed_lengths_are_pythons_strip(texts):
    assert stripped_chars(Fields.of_texts(texts)).tolist() == [len(t.strip()) for t in texts]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text("a é日😀\"", max_size=12), min_size=1, max_size=12),
       st.none() | st.integers(0, 14), st.none() | st.integers(0, 14))
def test_lengths_within_bounds_are_decided_as_pythons_len(texts, low, high):
    """The byte length decides most fields (1-4 bytes a character); the rest are counted: same answer,
    whichever way they are counted (in the fields' words, by a pass over the block, one by one)."""
    expected = [(low is None or len(t) >= low) and (high is None or len(t) <= high) for t in texts]
    short = Fields.of_texts(texts)  # words up to 32 bytes, else the block pass
    long = Fields.of_texts(texts + ["é" * 40])  # the block pass
    few = Fields.of_texts(texts + ["x" * 100_000]).take(np.arange(len(texts)))  # one by one
    for fields in (short, long, few):
        assert fields.chars_within(low, high).tolist()[:len(texts)] == expected
        assert fields.chars().tolist()[:len(texts)] == [len(t) for t in texts]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(" \xa0\x85aé\t", max_size=8), min_size=1, max_size=8),
       st.sampled_from(["windows-1252", "latin-1", "iso-8859-15"]))
def test_trimmed_lengths_in_single_byte_encodings(texts, name):
    fields = Fields.of_texts(texts, ENCODINGS[name])
    expected = [len(t.encode(ENCODINGS[name].codec, errors="replace").decode(ENCODINGS[name].codec).strip())
                for t in texts]
    assert stripped_chars(fields).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text("aAbBéÉ K\u212a\u0130i", min_size=1, max_size=6), min_size=2, max_size=12))
def test_casefold_keys_are_equal_exactly_when_lower_is(texts):
    k1, k2 = text_keys(Fields.of_texts(texts), casefold=True)
    for i, a in enumerate(texts):
        for j, b in enumerate(texts):
            same = (k1[i], k2[i]) == (k1[j], k2[j])
            assert same == (a.lower() == b.lower()), (a, b)


def test_lengths_count_a_doubled_quote_once_and_characters_not_bytes():
    contract = Contract("t.yaml", "t", "append", (Column("v", parse_type("varchar(4)")),), file="t.csv")

    ok = validate_stream(['v\n"a""é"\n"日本語!"\n'.encode()], contract)
    too_long = validate_stream([b'v\n"ab""cd"\n'], contract)

    assert ok.ok, ok.errors
    assert [(e.row, e.value) for e in too_long.errors] == [(1, 'ab"cd')]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), max_size=12), min_size=1, max_size=6))
def test_unique_tracker_reports_each_repeat_with_its_first_row(blocks):
    """Values are (key, check) pairs from a tiny space, so different values often share a 64-bit key."""
    tracker, first_rows, row = UniqueTracker(), {}, 0
    for block in blocks:
        rows = np.arange(row + 1, row + 1 + len(block), dtype=np.int64)
        expected = []
        for r, value in zip(rows.tolist(), block, strict=True):
            if value in first_rows:
                expected.append((r, first_rows[value]))
            else:
                first_rows[value] = r
        keys = np.array([k for k, _ in block], dtype=np.uint64)
        checks = np.array([c for _, c in block], dtype=np.uint64)
        assert tracker.add(keys, checks, rows) == expected
        row += len(block)
