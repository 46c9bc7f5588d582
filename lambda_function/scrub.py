"""Keep database credentials out of logs, results and messages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.engine import URL

_URL_PASSWORD = re.compile(r"(\w+(?:\+\w+)?://[^:/@\s]+:)([^@\s]+)(@)")


@dataclass(frozen=True)
class Scrubber:
    secrets: tuple[str, ...] = ()

    @classmethod
    def for_url(cls, url: URL) -> Scrubber:
        return cls(tuple(s for s in (url.password,) if s))

    def text(self, text: str) -> str:
        text = _URL_PASSWORD.sub(r"\1***\3", text)
        for secret in self.secrets:
            text = text.replace(str(secret), "***")
        return text
