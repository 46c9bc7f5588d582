"""gzip, declared by the `.gz` suffix: stream-decompressed with caps on size and ratio (gzip bombs)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from ..errors import FileRejected, RowError

MAX_GZIP_RATIO = 200  # real CSVs compress 5-50x; a bomb compresses about 1000x
RATIO_GRACE_BYTES = 64 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 20 * 1024**3  # MAX_DECOMPRESSED_BYTES's default


def gunzip(chunks: Iterable[bytes], max_output: int, read_size: int = 1024 * 1024,
           max_ratio: int = MAX_GZIP_RATIO) -> Iterator[bytes]:
    """Stream-decompress gzip (several members allowed), capping total output and ratio (bombs)."""
    inflater = zlib.decompressobj(wbits=31)
    in_member = False
    produced = consumed = 0
    for chunk in chunks:
        consumed += len(chunk)
        data = chunk
        while data:
            in_member = True
            try:
                out = inflater.decompress(data, read_size)
            except zlib.error:
                rule = "valid gzip data (declared by the .gz suffix)"
                raise FileRejected([RowError(None, None, None, rule)]) from None
            produced += len(out)
            if produced > max_output:
                raise FileRejected([RowError(None, None, None, f"decompressed size at most {max_output:,} bytes")],
                                   final=False)  # rests on a setting: judged again after it is raised
            if produced > RATIO_GRACE_BYTES and produced > max_ratio * consumed:
                raise FileRejected([RowError(None, None, None,
                                             f"compression ratio at most {max_ratio}:1 (a gzip bomb?)")])
            if out:
                yield out
            if inflater.eof:  # a member ended: the rest (if any) is the next member
                data, in_member = inflater.unused_data, False
                inflater = zlib.decompressobj(wbits=31)
            else:
                data = inflater.unconsumed_tail
    if in_member:
        raise FileRejected([RowError(None, None, None, "complete gzip data (the stream is truncated)")])
