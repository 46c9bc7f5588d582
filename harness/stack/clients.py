"""boto3 clients bound to a stack's endpoint, region and credentials."""

from __future__ import annotations

from typing import Any

from harness.stack.info import DUMMY_CREDENTIALS, StackInfo
from harness.stack.provision import aws_client


def stack_client(info: StackInfo, service: str) -> Any:
    credentials = DUMMY_CREDENTIALS if info.runtime.dummy_credentials else None
    return aws_client(service, info.aws_endpoint_url, info.region, credentials)
