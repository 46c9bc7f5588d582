"""template.yaml's UnloadOnRemoval: deletions reach the function for contracts that unload (both triggers)."""

from __future__ import annotations

from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from tests.unit.test_template import IN_VPC, TEMPLATE, _notification_suffixes, _statements, render


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = cfn_yaml.load(str(TEMPLATE))
    return loaded


@pytest.mark.parametrize("trigger", ["direct", "queue"])
def test_deletions_notify_the_function_only_when_unload_on_removal_is_set(template: dict[str, Any],
                                                                          trigger: str) -> None:
    kind = "QueueConfigurations" if trigger == "queue" else "LambdaConfigurations"

    def events(**overrides: str) -> dict[str, set[str]]:
        resources = render(template, Trigger=trigger, **IN_VPC, **overrides)
        configurations = resources["IngestBucket"]["Properties"]["NotificationConfiguration"][kind]
        return {event: _notification_suffixes([c for c in configurations if c["Event"] == event])
                for event in {c["Event"] for c in configurations}}

    assert template["Parameters"]["UnloadOnRemoval"]["Default"] == "false"
    assert events() == {"s3:ObjectCreated:*": {".csv", ".csv.gz"}}
    assert events(UnloadOnRemoval="true") == {"s3:ObjectCreated:*": {".csv", ".csv.gz"},
                                              "s3:ObjectRemoved:*": {".csv", ".csv.gz"}}
    prefixed = render(template, Trigger=trigger, UnloadOnRemoval="true", IngestPrefix="incoming/", **IN_VPC)
    removals = [c for c in prefixed["IngestBucket"]["Properties"]["NotificationConfiguration"][kind]
                if c["Event"] == "s3:ObjectRemoved:*"]
    assert all({"Name": "prefix", "Value": {"Ref": "IngestPrefix"}} in c["Filter"]["S3Key"]["Rules"] for c in removals)


def test_unloading_lets_the_function_tell_a_deleted_object_from_a_forbidden_one(template: dict[str, Any]) -> None:
    by_sid = {s["Sid"]: s for s in _statements(render(template, UnloadOnRemoval="true", **IN_VPC))}
    listing = by_sid["TellDeletedFromForbidden"]
    assert listing["Action"] == "s3:ListBucket"  # HEAD of a missing key is 404 only with it, else 403
    assert listing["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${BucketName}"}
    assert "TellDeletedFromForbidden" not in {s["Sid"] for s in _statements(render(template, **IN_VPC))}
