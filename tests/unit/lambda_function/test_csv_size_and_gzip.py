"""validate_stream on a file's size limits and its gzip layer (bounded buffers, members, bombs)."""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Iterator

import pytest

from lambda_function.checking.validator import CheckedCsv, validate_stream
from lambda_function.errors import FileRejected, RowError
from lambda_function.reading.blocks import Limits
from tests.support.csv_text import HEADER, ROW1, ROW2, ROW3, TODAY, USERS, csv_file, only_error, users_row, validate

# -- size limits -----------------------------------------------------------------------------

def test_record_longer_than_the_limit_fails_at_its_row():
    long_row = ROW2.replace(b"Alan Turing", b"A" * 2000)

    result = validate(HEADER + ROW1 + long_row + ROW3, limits=Limits(max_record_bytes=1024))

    assert [(e.row, e.rule) for e in result.errors] == [(2, "record longer than 1,024 bytes")]


def endless(prefix: bytes, filler: bytes, pulled: list[int]) -> Iterator[bytes]:
    yield prefix
    for _ in itertools.count():
        pulled[0] += 1
        yield filler


@pytest.mark.parametrize(("prefix", "row", "rule"), [
    (HEADER + ROW1 + b"2,", 2, "record longer than 1,024 bytes"),
    (HEADER + ROW1 + b'2,"', 2, "quoted field not closed within 1,024 bytes"),
    (b"user_id", None, "header line longer than 1,024 bytes"),
], ids=["unquoted", "open-quote", "header"])
def test_endless_record_fails_fast_with_a_bounded_buffer(prefix, row, rule):
    pulled = [0]

    result = validate_stream(endless(prefix, b"x" * 4096, pulled), USERS,
                             limits=Limits(block_bytes=65536, max_record_bytes=1024), today=TODAY)

    assert [(e.row, e.rule) for e in result.errors] == [(row, rule)]
    assert pulled[0] <= 2 * 65536 // 4096


# -- gzip ------------------------------------------------------------------------------------

def test_gzip_file_is_validated_like_the_plain_one():
    data = csv_file(USERS, [users_row(i) for i in range(1, 501)])

    result = validate(gzip.compress(data), gzipped=True, chunk=1000)

    assert result.ok, result.errors
    assert result.rows == 500


def test_gzip_errors_keep_their_row_numbers():
    data = csv_file(USERS, [users_row(i, country_code="gb" if i == 321 else "GB") for i in range(1, 501)])

    result = validate(gzip.compress(data), gzipped=True)

    assert [(e.row, e.column) for e in result.errors] == [(321, "country_code")]


def test_multi_member_gzip_is_read_to_the_end():
    data = gzip.compress(HEADER + ROW1) + gzip.compress(ROW2) + gzip.compress(ROW3)

    result = validate(data, gzipped=True, chunk=10)

    assert result.ok, result.errors
    assert result.rows == 3


@pytest.mark.parametrize("cut", [10, 0.5])
def test_truncated_gzip_fails_as_a_whole(cut):
    data = gzip.compress(csv_file(USERS, [users_row(i) for i in range(1, 201)]))
    end = len(data) - cut if isinstance(cut, int) else int(len(data) * cut)

    error = only_error(validate(data[:end], gzipped=True))

    assert (error.row, error.rule) == (None, "complete gzip data (the stream is truncated)")


def test_plain_bytes_declared_gzip_fail_as_a_whole():
    error = only_error(validate(HEADER + ROW1, gzipped=True))

    assert (error.row, error.rule) == (None, "valid gzip data (declared by the .gz suffix)")


def test_gzip_bomb_is_stopped_at_the_decompressed_cap():
    bomb = gzip.compress(HEADER + ROW1 * 200_000, compresslevel=9)  # ~10 MB of text, a few KB compressed
    checked = CheckedCsv([bomb], USERS, gzipped=True, max_decompressed=1_000_000, today=TODAY)

    with pytest.raises(FileRejected) as caught:
        checked.open()
        for _ in checked.blocks():
            pass

    assert caught.value.errors == [RowError(None, None, None, "decompressed size at most 1,000,000 bytes")]
