"""The text encodings a contract may declare (`dialect.encoding`), each with PostgreSQL's name for it.

The validator decodes with Python's codec and COPY gets `ENCODING` with PostgreSQL's name, so both read
the same characters; a byte the encoding does not define fails the record that holds it (pinned byte by
byte, 0x00-0xFF, against the server). The single-byte encodings map every character to one byte, which
lets the checks run on the file's own bytes without transcoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Encoding:
    name: str  # as a contract writes it
    codec: str  # Python's codec
    postgres: str  # COPY's ENCODING
    single_byte: bool
    undefined: bytes = field(default=b"")  # bytes the encoding does not define (each fails its record)

    @property
    def is_utf8(self) -> bool:
        return not self.single_byte


def _undefined(codec: str) -> bytes:
    missing = bytearray()
    for byte in range(256):
        try:
            bytes([byte]).decode(codec)
        except UnicodeDecodeError:
            missing.append(byte)
    return bytes(missing)


UTF8 = Encoding("utf-8", "utf-8", "UTF8", single_byte=False)
ENCODINGS: dict[str, Encoding] = {
    e.name: e for e in (
        UTF8,
        Encoding("windows-1252", "cp1252", "WIN1252", True, _undefined("cp1252")),
        Encoding("latin-1", "latin-1", "LATIN1", True),
        Encoding("iso-8859-15", "iso8859_15", "LATIN9", True),
    )
}
