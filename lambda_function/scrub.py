"""Keep database credentials (passwords, RDS IAM tokens) out of logs, results and messages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.engine import URL

_URL_PASSWORD = re.compile(r"(\w+(?:\+\w+)?://[^:/@\s]+:)([^@\s]+)(@)")
# An RDS IAM token is a presigned URL without a scheme: host:port/?Action=connect&...&X-Amz-Signature=...
_IAM_TOKEN = re.compile(r"[^\s'\"=]*\?Action=connect&[^\s'\"]*")
_SIGNATURE = re.compile(r"(X-Amz-(?:Signature|Security-Token|Credential)=)[^&\s'\"]+")
_PASSWORD_PARAM = re.compile(r"(password=)('[^']*'|\S+)")


@dataclass(frozen=True)
class Scrubber:
    secrets: tuple[str, ...] = ()

    @classmethod
    def for_url(cls, url: URL) -> Scrubber:
        return cls(tuple(s for s in (url.password,) if s))

    def text(self, text: str) -> str:
        text = _URL_PASSWORD.sub(r"\1***\3", text)
        text = _IAM_TOKEN.sub("***", text)
        text = _SIGNATURE.sub(r"\1***", text)
        text = _PASSWORD_PARAM.sub(r"\1***", text)
        for secret in self.secrets:
            text = text.replace(str(secret), "***")
        return text
