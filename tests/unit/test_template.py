"""template.yaml: cfn-lint clean, and the function's permissions are exactly the least-privilege set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
CFN_LINT = Path(sys.executable).with_name("cfn-lint")

EXPECTED_ACTIONS = {
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "sns:Publish",
    "secretsmanager:GetSecretValue",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = cfn_yaml.load(str(TEMPLATE))
    return loaded


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The role's statements, with conditional ones (Fn::If) taken in their 'true' branch."""
    role = template["Resources"]["IngestFunctionRole"]["Properties"]
    statements = []
    for policy in role["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in statement:
                statement = statement["Fn::If"][1]
            statements.append(statement)
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_cfn_lint_passes() -> None:
    done = subprocess.run([str(CFN_LINT), str(TEMPLATE)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_role_allows_exactly_the_least_privilege_actions(template: dict[str, Any]) -> None:
    actions = [action for s in _statements(template) for action in _as_list(s["Action"])]
    assert sorted(actions) == sorted(EXPECTED_ACTIONS)
    assert all(s["Effect"] == "Allow" for s in _statements(template))


def test_no_statement_grants_a_wildcard_resource(template: dict[str, Any]) -> None:
    for statement in _statements(template):
        assert statement["Resource"] != "*", statement
        assert not any("*" in str(a) for a in _as_list(statement["Action"])), statement


def test_s3_permissions_are_scoped_to_the_bucket_and_its_prefixes(template: dict[str, Any]) -> None:
    by_sid = {s["Sid"]: s for s in _statements(template)}
    read = by_sid["ReadIncomingObjects"]["Resource"]["Fn::Sub"]
    write = by_sid["WriteQuarantine"]["Resource"]["Fn::Sub"]
    assert read == "arn:${AWS::Partition}:s3:::${BucketName}/${IngestPrefix}*"
    assert write == "arn:${AWS::Partition}:s3:::${BucketName}/${QuarantinePrefix}*"
    assert by_sid["WriteQuarantine"]["Action"] == "s3:PutObject"


def test_the_role_never_refers_back_to_the_bucket_resource(template: dict[str, Any]) -> None:
    # The bucket's notification depends on the function; a Ref/GetAtt of the bucket here would be a cycle.
    assert "IngestBucket" not in str(template["Resources"]["IngestFunctionRole"])


def test_only_the_vpc_managed_policy_and_only_inside_a_vpc(template: dict[str, Any]) -> None:
    managed = template["Resources"]["IngestFunctionRole"]["Properties"]["ManagedPolicyArns"]["Fn::If"]
    assert managed[0] == "InVpc"
    assert [arn["Fn::Sub"].rsplit("/", 1)[-1] for arn in managed[1]] == ["AWSLambdaVPCAccessExecutionRole"]
    function = template["Resources"]["IngestFunction"]["Properties"]
    assert "Policies" not in function  # SAM must not widen the role behind our back


def test_function_settings(template: dict[str, Any]) -> None:
    function = template["Resources"]["IngestFunction"]["Properties"]
    assert function["Handler"] == "lambda_function.lambda_handler"
    assert function["Timeout"] == 900
    assert function["CodeUri"] == "dist/lambda_function.zip"
    assert template["Parameters"]["PythonRuntime"]["Default"] == "python3.11"
    environment = function["Environment"]["Variables"]
    for name in (
        "SNS_TOPIC_ARN",
        "DB_SECRET_ARN",
        "DB_SCHEMA",
        "INGEST_PREFIX",
        "QUARANTINE_PREFIX",
        "REDACT_VALUES",
        "POWERTOOLS_SERVICE_NAME",
    ):
        assert name in environment
    invoke = function["EventInvokeConfig"]
    assert invoke["MaximumRetryAttempts"] == 2
    assert invoke["DestinationConfig"]["OnFailure"] == {"Type": "SNS", "Destination": {"Ref": "OutcomeTopic"}}


def test_s3_events_cover_csv_and_gzipped_csv(template: dict[str, Any]) -> None:
    events = template["Resources"]["IngestFunction"]["Properties"]["Events"].values()
    suffixes = set()
    for event in events:
        assert event["Type"] == "S3"
        rules = event["Properties"]["Filter"]["S3Key"]["Rules"]["Fn::If"]
        for branch in rules[1:]:
            suffixes |= {rule["Value"] for rule in branch if rule["Name"] == "suffix"}
    assert suffixes == {".csv", ".csv.gz"}
