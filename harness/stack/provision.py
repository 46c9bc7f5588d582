"""Provisioning shared by every backend: bucket, topic, S3-events queue, capture queue.

Tables are not created here: the handler creates them from its own spec on first load. The bucket sends
`ObjectRemoved` events too when a contract the stack runs unloads on removal (`removal_events`), as the
template's `UnloadOnRemoval=true` does.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from harness.stack.errors import StackError

# Both suffixes the whitelist accepts; S3 itself (and moto) drop every other key.
NOTIFIED_SUFFIXES = (".csv", ".csv.gz")
CREATED, REMOVED = "s3:ObjectCreated:*", "s3:ObjectRemoved:*"


@dataclass(frozen=True)
class ResourceNames:
    bucket: str = "harness-ingest"
    topic: str = "harness-ingest-outcomes"
    events_queue: str = "harness-s3-events"
    notifications_queue: str = "harness-outcomes-capture"


@dataclass(frozen=True)
class ProvisionedResources:
    bucket: str
    topic_arn: str
    events_queue_url: str
    notifications_queue_url: str


def aws_client(service: str, endpoint_url: str | None, region: str, credentials: dict[str, str] | None) -> Any:
    """A boto3 client for the stack; credentials None means the normal AWS credential chain."""
    creds = credentials or {}
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint_url or None,
        region_name=region,
        aws_access_key_id=creds.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=creds.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=creds.get("AWS_SESSION_TOKEN"),
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30),
    )


def provision(
    endpoint_url: str | None,
    region: str,
    names: ResourceNames,
    credentials: dict[str, str] | None,
) -> ProvisionedResources:
    def client(service: str) -> Any:
        return aws_client(service, endpoint_url, region, credentials)

    s3, sns, sqs = client("s3"), client("sns"), client("sqs")
    try:
        create_bucket(s3, names.bucket, region)
        topic_arn = sns.create_topic(Name=names.topic)["TopicArn"]
        events_url, events_arn = create_queue(sqs, names.events_queue)
        capture_url, capture_arn = create_queue(sqs, names.notifications_queue)
        allow_sender(sqs, events_url, events_arn, "s3.amazonaws.com", f"arn:aws:s3:::{names.bucket}")
        allow_sender(sqs, capture_url, capture_arn, "sns.amazonaws.com", topic_arn)
        notify_events_queue(s3, names.bucket, events_arn, suffixes=NOTIFIED_SUFFIXES, removals=False)
        # Envelope kept (RawMessageDelivery off): consumers see Subject and MessageAttributes.
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=capture_arn,
            Attributes={"RawMessageDelivery": "false"},
        )
        # S3 sends an s3:TestEvent when notifications are configured; start with empty queues.
        drain_queue(sqs, events_url)
    except Exception as exc:
        raise StackError(f"provisioning against {endpoint_url or 'AWS'} failed: {exc}") from exc
    return ProvisionedResources(
        bucket=names.bucket,
        topic_arn=topic_arn,
        events_queue_url=events_url,
        notifications_queue_url=capture_url,
    )


def notify_events_queue(s3: Any, bucket: str, queue_arn: str, *, suffixes: tuple[str, ...] | None,
                        removals: bool) -> None:
    """The bucket's notification: uploads (and, with `removals`, deletions) of keys with these suffixes (None:
    every key) go to the events queue."""
    events = [CREATED, REMOVED] if removals else [CREATED]
    configurations: list[dict[str, Any]] = [{"QueueArn": queue_arn, "Events": events}] if suffixes is None else [
        {"Id": f"ingest{suffix.replace('.', '-')}", "QueueArn": queue_arn, "Events": events,
         "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": suffix}]}}}
        for suffix in suffixes]
    s3.put_bucket_notification_configuration(Bucket=bucket,
                                             NotificationConfiguration={"QueueConfigurations": configurations})


def unloads_on_removal(folder: str | None) -> bool:
    """Does a contract of this folder (None or "": the function's bundled contracts/) unload on removal?
    A folder with a broken contract: no (the function itself reports the contract on every invocation)."""
    from lambda_function.contract import check_folder, default_folder  # not at import: `harness --help`

    whitelist, _ = check_folder(folder or default_folder())
    return whitelist is not None and any(c.on_object_removed == "unload" for c in whitelist.contracts)


def send_removal_events(s3: Any, sqs: Any, bucket: str, events_queue_url: str) -> None:
    """Make a provisioned stack's bucket send ObjectRemoved events to its events queue as well (idempotent)."""
    arn = sqs.get_queue_attributes(QueueUrl=events_queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    notify_events_queue(s3, bucket, arn, suffixes=NOTIFIED_SUFFIXES, removals=True)
    # moto sends s3:TestEvent on every configuration: leave the queue as it was (test events only)
    for message in sqs.receive_message(QueueUrl=events_queue_url, MaxNumberOfMessages=10).get("Messages", []):
        if '"s3:TestEvent"' in message["Body"]:
            sqs.delete_message(QueueUrl=events_queue_url, ReceiptHandle=message["ReceiptHandle"])
        else:
            sqs.change_message_visibility(QueueUrl=events_queue_url, ReceiptHandle=message["ReceiptHandle"],
                                          VisibilityTimeout=0)


def create_bucket(s3: Any, bucket: str, region: str) -> None:
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})


def create_queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def allow_sender(sqs: Any, queue_url: str, queue_arn: str, service: str, source_arn: str) -> None:
    # Emulators ignore it; on real AWS the queue refuses S3/SNS deliveries without it.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})


def drain_queue(sqs: Any, queue_url: str, *, wait_seconds: float = 0, expect: int = 0,
                timeout: float = 10.0) -> list[dict[str, Any]]:
    """Take messages off a queue, deleting each, until it is empty: the one drain every part uses.

    The first receive long-polls `wait_seconds`; with `expect`, receiving goes on (long-polling) until that
    many arrived or `timeout` seconds passed. Returns the SQS messages in the order received.
    """
    taken: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        waiting = not taken or len(taken) < expect
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                    WaitTimeSeconds=int(wait_seconds) if waiting else 0).get("Messages", [])
        if batch:
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
            taken.extend(batch)
        elif len(taken) >= expect or time.monotonic() >= deadline:
            return taken
