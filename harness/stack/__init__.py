"""Local stacks for the ingestion loop: an AWS emulator (or endpoint) plus PostgreSQL.

Usage: `with ephemeral_stack() as stack:` (embedded backend by default) gives a StackInfo with
`database_url`, `bucket`, `topic_arn`, ... and `lambda_environment()`; or pair `start_stack()`
with `stop_stack(info)` when the stack must outlive the caller (`harness up` / `harness down`).
"""

from harness.stack.backends.base import StackBackend, StartedServices
from harness.stack.clients import stack_client
from harness.stack.errors import NoRunningStack, StackError
from harness.stack.info import ProcessRecord, RuntimeState, StackInfo
from harness.stack.lifecycle import (
    BACKENDS,
    DEFAULT_BACKEND,
    backend_name,
    ephemeral_stack,
    get_backend,
    start_stack,
    stop_stack,
)
from harness.stack.provision import ResourceNames

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "NoRunningStack",
    "ProcessRecord",
    "ResourceNames",
    "RuntimeState",
    "StackBackend",
    "StackError",
    "StackInfo",
    "StartedServices",
    "backend_name",
    "ephemeral_stack",
    "get_backend",
    "stack_client",
    "start_stack",
    "stop_stack",
]
