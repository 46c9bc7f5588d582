"""The Lambda entry point: decode the event, run each object through the pipeline, map errors to outcomes.

Only wiring lives here. Clients are built once per warm container (lazily, at the first invocation)
and can be passed in instead (`handle`), so the same code runs against moto, LocalStack or AWS.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from .config import Scrubber, Settings, database_url, iam_token_hook, load_settings, tls_connect_args
from .contract import Whitelist, load_contracts
from .errors import ConfigurationError, TransientError
from .events import Delivery, Ignored, decode
from .job import Deadline
from .pipeline import Clients, process

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "csv-ingest"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "CsvIngest"),
                  service=os.environ.get("POWERTOOLS_SERVICE_NAME", "csv-ingest"))


@dataclass
class Runtime:
    settings: Settings
    whitelist: Whitelist
    clients: Clients
    scrubber: Scrubber


_runtime: Runtime | None = None
_runtime_key: tuple[Any, ...] | None = None


def _contracts(settings: Settings) -> Whitelist:
    """The whitelist, read once per container; a broken contract raises before anything is loaded."""
    whitelist = load_contracts(settings.table_contracts)
    needing = [c.source for c in whitelist if c.on_error == "reject_rows"]
    if needing and not settings.quarantine_prefix:
        raise ConfigurationError(f"QUARANTINE_PREFIX is required: {needing[0]} sets on_error: reject_rows "
                                 "(rejected records are kept under it)")
    return whitelist


def rds_client() -> Any:
    """The client that signs IAM tokens (a module attribute, so a test can give the server its tokens)."""
    import boto3

    return boto3.client("rds")


def _build_runtime(settings: Settings) -> Runtime:
    # boto3 and SQLAlchemy are imported here, at the first invocation of a container, not when Lambda
    # imports the handler: the import stays light, the first invocation pays for what it builds.
    import boto3
    from sqlalchemy import create_engine
    from sqlalchemy import event as sa_event

    whitelist = _contracts(settings)
    url = database_url(settings, lambda: boto3.client("secretsmanager"))
    connect_args = {"connect_timeout": 10, "application_name": "csv-ingest", **tls_connect_args(settings)}
    engine = create_engine(url, pool_pre_ping=True, pool_size=1, max_overflow=4, pool_recycle=600,
                           connect_args=connect_args)
    if settings.db_iam_auth:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        sa_event.listen(engine, "do_connect", iam_token_hook(url, region, rds_client))
    clients = Clients(s3=boto3.client("s3"), sns=boto3.client("sns"), engine=engine)
    return Runtime(settings, whitelist, clients, Scrubber.for_url(url))


def runtime() -> Runtime:
    """One runtime per warm container; rebuilt only if the environment changed (tests, the harness)."""
    global _runtime, _runtime_key
    settings = load_settings()
    key = (settings, os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_DEFAULT_REGION"))
    if _runtime is None or key != _runtime_key:
        if _runtime is not None:
            _runtime.clients.engine.dispose()
        _runtime, _runtime_key = _build_runtime(settings), key
    return _runtime


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda handler (`lambda_function.lambda_handler`)."""
    rt = runtime()
    try:
        return handle(event, context, rt)
    finally:
        metrics.flush_metrics(raise_on_empty_metrics=False)


def handle(event: Any, context: Any, rt: Runtime) -> dict[str, Any]:
    request_id = getattr(context, "aws_request_id", None) or str(uuid.uuid4())
    logger.append_keys(request_id=request_id)
    deadline = Deadline(getattr(context, "get_remaining_time_in_millis", None), rt.settings.deadline_margin_ms)
    deliveries, from_sqs = decode(event)
    outcomes: list[dict[str, Any]] = []
    if not from_sqs:  # one delivery: transient trouble raises, so Lambda retries the event
        try:
            _deliver(deliveries[0], rt, request_id, deadline, outcomes)
        except TransientError as exc:
            raise TransientError(rt.scrubber.text(str(exc))) from None
        return {"outcomes": outcomes}
    # An SQS batch: each message on its own (Powertools' partial batch response); a failed one returns to
    # the queue alone, and a malformed one was already turned into an ignored item by decode().
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    by_id = {d.message_id: d for d in deliveries}
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response = process_partial_response(
        event, lambda record: _deliver(by_id[record.message_id], rt, request_id, deadline, outcomes), processor,
        context)
    return {"outcomes": outcomes, "batchItemFailures": list(response.get("batchItemFailures", []))}


def _deliver(delivery: Delivery, rt: Runtime, request_id: str, deadline: Deadline,
             outcomes: list[dict[str, Any]]) -> None:
    """Every object of one delivery through the pipeline; logs (scrubbed) and re-raises what stops it."""
    try:
        for item in delivery.items:
            if isinstance(item, Ignored):
                logger.info("ignored record", extra={"reason": item.reason})
                continue
            quarantine = rt.settings.quarantine_prefix
            if quarantine and item.key.startswith(quarantine):
                logger.info("ignored quarantined object", extra={"key": item.key})
                continue
            body = process(item, rt.whitelist, rt.clients, rt.settings, request_id, deadline)
            if isinstance(body, Ignored):  # a removal its contract does not unload
                logger.info("ignored record", extra={"reason": body.reason, "key": item.key})
                continue
            _record(body)
            outcomes.append(body)
    except Exception as exc:
        message = rt.scrubber.text(f"{type(exc).__name__}: {exc}")
        logger.error("delivery not processed; it will be retried", extra={"error": message,
                                                                            "message_id": delivery.message_id})
        metrics.add_metric(name="TransientFailures", unit=MetricUnit.Count, value=1)
        raise


def _record(body: dict[str, Any]) -> None:
    logger.info("outcome", extra={k: body.get(k) for k in ("status", "bucket", "key", "table", "rows_loaded",
                                                             "rows_rejected", "error_count", "duration_ms")})
    metrics.add_metric(name=f"Outcome{body['status'].title()}", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="RowsLoaded", unit=MetricUnit.Count, value=body.get("rows_loaded") or 0)
    metrics.add_metric(name="RowsRejected", unit=MetricUnit.Count, value=body.get("rows_rejected") or 0)
