"""The pattern DFA against Python's own `re.fullmatch`, on random patterns and texts, in every encoding."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lambda_function.checking.fields import Fields
from lambda_function.checking.rules.constraints import EMAIL_PATTERN
from lambda_function.checking.rules.regex_dfa import compile_pattern
from lambda_function.checking.rules.unicode_sets import category
from lambda_function.reading.text_encodings import ENCODINGS, UTF8

ATOMS = ["a", "b", "é", "日", "[a-c]", "[^a]", "[^@\\s]", "\\d", "\\w", "\\s", "\\W", "\\D", "\\S", ".", "[é-ü]",
         "[^\\W\\d_]", "[0-9]", "\\.", "-", "@", "[A-Z0-9-]", "(?:ab|c)", "(?:x?)"]
QUANTIFIERS = ["", "", "*", "+", "?", "{2}", "{1,3}", "{2,}"]
ALPHABET = "ab c@.-_0123456789éü日٣\u00a0\u3000\t\nZ"


@st.composite
def patterns(draw: st.DrawFn) -> str:
    parts = [draw(st.sampled_from(ATOMS)) + draw(st.sampled_from(QUANTIFIERS))
             for _ in range(draw(st.integers(1, 4)))]
    if draw(st.booleans()):
        return "|".join(parts[:2]) if len(parts) > 1 else parts[0]
    return "".join(parts)


def _dfa_says(pattern: str, texts: list[str], encoding=UTF8) -> list[bool]:
    dfa = compile_pattern(pattern, encoding)
    assert dfa is not None, pattern
    return dfa.fullmatch(Fields.of_texts(texts, encoding)).tolist()


@settings(max_examples=400, deadline=None)
@given(patterns(), st.lists(st.text(ALPHABET, max_size=12), min_size=1, max_size=8))
def test_dfa_agrees_with_python_re(pattern, texts):
    regex = re.compile(pattern)
    texts = [t for t in texts if "\n" not in t or "." not in pattern]  # keep the ANY/newline case below
    assume(texts)

    assert _dfa_says(pattern, texts) == [regex.fullmatch(t) is not None for t in texts], pattern


@settings(max_examples=150, deadline=None)
@given(patterns(), st.lists(st.text(ALPHABET, max_size=12), min_size=1, max_size=8),
       st.sampled_from(["windows-1252", "latin-1", "iso-8859-15"]))
def test_dfa_agrees_with_python_re_in_single_byte_encodings(pattern, texts, name):
    encoding = ENCODINGS[name]
    texts = [t for t in texts if _encodable(t, encoding.codec)]
    assume(texts)

    assert _dfa_says(pattern, texts, encoding) == [re.compile(pattern).fullmatch(t) is not None for t in texts]


def _encodable(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def test_long_values_take_the_ragged_path_and_agree():
    texts = ["a" * 70 + "@" + "b" * 30 + ".com", "a" * 65, "x@y.z", "é" * 40 + "@d.org"]

    assert _dfa_says(EMAIL_PATTERN, texts) == [re.fullmatch(EMAIL_PATTERN, t) is not None for t in texts]


@pytest.mark.parametrize("pattern", ["(?i)abc", "a(?=b)", "(a)\\1", "a\\bb", "a$b", "(?m)^a$"])
def test_what_a_dfa_cannot_express_exactly_is_left_to_re(pattern):
    assert compile_pattern(pattern, UTF8) is None


def test_the_end_anchors_change_nothing_in_a_full_match():
    assert _dfa_says("^ab$", ["ab", "ab\n", "xab"]) == [True, False, False]


def test_categories_are_pythons_for_every_code_point():
    points = np.arange(0x110000, dtype=np.uint32)
    for name, method in (("DIGIT", str.isdecimal), ("SPACE", str.isspace)):
        chars = category(f"CATEGORY_{name}", ascii_only=False)
        inside = np.zeros(0x110000, dtype=bool)
        for low, high in chars:
            inside[low:high + 1] = True
        sample = points[::97].tolist() + [c for low, high in chars for c in (low, high)]
        assert all(inside[c] == method(chr(c)) for c in sample), name


def test_the_stored_category_ranges_are_this_pythons_when_its_unicode_is_theirs():
    import unicodedata

    from lambda_function.checking.rules.unicode_ranges import RANGES, UNIDATA_VERSION
    from lambda_function.checking.rules.unicode_sets import computed

    if unicodedata.unidata_version != UNIDATA_VERSION:
        pytest.skip(f"stored for Unicode {UNIDATA_VERSION}; this Python has {unicodedata.unidata_version}")
    assert {kind: computed(kind) for kind in RANGES} == RANGES
