"""template.yaml: linters clean, both triggers wired as documented, permissions exactly least privilege.

The structure tests render the template for one set of parameter values (conditions evaluated,
`Fn::If` resolved, conditional resources dropped) so each trigger and auth mode is checked as
CloudFormation would create it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
CFN_LINT = Path(sys.executable).with_name("cfn-lint")
NO_VALUE = object()
IN_VPC = {"SubnetIds": "subnet-0123abcd", "SecurityGroupIds": "sg-0123abcd"}

BASE_ACTIONS = {
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "sns:Publish",
    "kms:GenerateDataKey",
    "kms:Decrypt",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
}
TRIGGER_ACTIONS = {
    "direct": {"sqs:SendMessage"},
    "queue": {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"},
}
AUTH_ACTIONS = {"false": {"secretsmanager:GetSecretValue"}, "true": {"rds-db:connect"}}
SCENARIOS = [(trigger, iam) for trigger in ("direct", "queue") for iam in ("false", "true")]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = cfn_yaml.load(str(TEMPLATE))
    return loaded


def _parameters(template: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {name: spec.get("Default") for name, spec in template["Parameters"].items()}
    values.update(overrides)
    for name, spec in template["Parameters"].items():
        if spec["Type"] == "CommaDelimitedList" and isinstance(values[name], str):
            values[name] = values[name].split(",")
    return values


def _evaluate(node: Any, parameters: dict[str, Any], conditions: dict[str, Any]) -> Any:
    """A condition or rule expression, the way CloudFormation evaluates it (the functions used here)."""
    if isinstance(node, list):
        return [_evaluate(item, parameters, conditions) for item in node]
    if not isinstance(node, dict):
        return node
    ((function, argument),) = node.items()
    if function == "Ref":
        return parameters[argument]
    if function == "Condition":
        value = conditions[argument]
        return value if isinstance(value, bool) else _evaluate(value, parameters, conditions)
    args = _evaluate(argument, parameters, conditions)
    if function == "Fn::Join":
        separator, items = args
        return separator.join(str(item) for item in items)
    if function == "Fn::Equals":
        return str(args[0]) == str(args[1])
    if function == "Fn::Contains":
        return str(args[1]) in [str(item) for item in args[0]]
    if function == "Fn::Not":
        return not args[0]
    if function == "Fn::And":
        return all(args)
    raise AssertionError(f"no evaluator for {function}")


def _resolve(node: Any, conditions: dict[str, bool]) -> Any:
    """`Fn::If` taken by the evaluated conditions, `AWS::NoValue` removed; every other intrinsic kept."""
    if isinstance(node, list):
        items = [_resolve(item, conditions) for item in node]
        return [item for item in items if item is not NO_VALUE]
    if not isinstance(node, dict):
        return node
    if node == {"Ref": "AWS::NoValue"}:
        return NO_VALUE
    if set(node) == {"Fn::If"}:
        condition, when_true, when_false = node["Fn::If"]
        return _resolve(when_true if conditions[condition] else when_false, conditions)
    resolved = {key: _resolve(value, conditions) for key, value in node.items()}
    return {key: value for key, value in resolved.items() if value is not NO_VALUE}


def _conditions(template: dict[str, Any], parameters: dict[str, Any]) -> dict[str, bool]:
    expressions = dict(template["Conditions"])
    return {name: bool(_evaluate(expr, parameters, expressions)) for name, expr in expressions.items()}


def render(template: dict[str, Any], **overrides: str) -> dict[str, Any]:
    """The resources CloudFormation would create for these parameter values (defaults otherwise)."""
    conditions = _conditions(template, _parameters(template, overrides))
    return {
        name: _resolve(resource, conditions)
        for name, resource in template["Resources"].items()
        if conditions.get(resource.get("Condition", ""), True)
    }


def rule_failures(template: dict[str, Any], **overrides: str) -> list[str]:
    parameters = _parameters(template, overrides)
    expressions = dict(template["Conditions"])
    failures = []
    for rule in template["Rules"].values():
        if "RuleCondition" in rule and not _evaluate(rule["RuleCondition"], parameters, expressions):
            continue
        for assertion in rule["Assertions"]:
            if not _evaluate(assertion["Assert"], parameters, expressions):
                failures.append(str(assertion["AssertDescription"]))
    return failures


def _statements(resources: dict[str, Any]) -> list[dict[str, Any]]:
    role = resources["IngestFunctionRole"]["Properties"]
    return [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _variant(template: dict[str, Any], folder: Path, defaults: dict[str, str]) -> Path:
    """A copy whose defaults are these values (checkov judges a template under its defaults)."""
    copy = json.loads(json.dumps(template))
    for name, value in defaults.items():
        copy["Parameters"][name]["Default"] = value
    path = folder / ("template-" + "-".join(defaults.values()) + ".json")
    path.write_text(json.dumps(copy, indent=1))
    return path


def test_cfn_lint_passes() -> None:
    done = subprocess.run([str(CFN_LINT), str(TEMPLATE)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("trigger", ["direct", "queue"])
def test_checkov_has_no_failures_for_either_trigger(template: dict[str, Any], tmp_path: Path, trigger: str) -> None:
    checkov = _tool("checkov")
    # direct with a password, queue with IAM auth: together they cover every conditional resource.
    iam = "true" if trigger == "queue" else "false"
    path = _variant(template, tmp_path, {"Trigger": trigger, "DbIamAuth": iam, **IN_VPC})
    command = [checkov, "-f", str(path), "--framework", "cloudformation", "-o", "json", "--skip-download"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    report = json.loads(done.stdout)
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == [], failed
    assert report["summary"]["passed"] > 15
    for skipped in report["results"]["skipped_checks"]:
        assert skipped["check_result"]["suppress_comment"].strip(), skipped["check_id"]  # each says why


def _tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(found).exists():
        pytest.skip(f"{name} is not installed here (tox -e cfn installs and runs it)")
    return found


@pytest.mark.parametrize("trigger", ["direct", "queue"])
def test_sam_validate_lint_passes_for_either_trigger(template: dict[str, Any], tmp_path: Path, trigger: str) -> None:
    sam = _tool("sam")
    path = _variant(template, tmp_path, {"Trigger": trigger, "DbIamAuth": "true" if trigger == "queue" else "false"})
    environment = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "eu-west-1"}
    command = [sam, "validate", "--lint", "-t", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=environment, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("trigger", "iam"), SCENARIOS)
def test_the_role_allows_exactly_the_least_privilege_actions(template: dict[str, Any], trigger: str, iam: str) -> None:
    statements = _statements(render(template, Trigger=trigger, DbIamAuth=iam, **IN_VPC))
    actions = [action for s in statements for action in _as_list(s["Action"])]
    assert sorted(actions) == sorted(BASE_ACTIONS | TRIGGER_ACTIONS[trigger] | AUTH_ACTIONS[iam])
    assert all(s["Effect"] == "Allow" for s in statements)
    for statement in statements:
        assert statement["Resource"] != "*", statement
        assert not any("*" in str(a) for a in _as_list(statement["Action"])), statement


def test_s3_permissions_are_scoped_to_the_bucket_and_its_prefixes(template: dict[str, Any]) -> None:
    by_sid = {s["Sid"]: s for s in _statements(render(template))}
    read = by_sid["ReadIncomingObjects"]["Resource"]["Fn::Sub"]
    write = by_sid["WriteQuarantine"]["Resource"]["Fn::Sub"]
    assert read == "arn:${AWS::Partition}:s3:::${BucketName}/${IngestPrefix}*"
    assert write == "arn:${AWS::Partition}:s3:::${BucketName}/${QuarantinePrefix}*"
    assert by_sid["WriteQuarantine"]["Action"] == "s3:PutObject"
    assert "WriteQuarantine" not in {s["Sid"] for s in _statements(render(template, QuarantinePrefix=""))}


def test_the_role_never_refers_back_to_the_bucket_resource(template: dict[str, Any]) -> None:
    # The bucket's notification depends on the function; a Ref/GetAtt of the bucket here would be a cycle.
    assert "IngestBucket" not in str(template["Resources"]["IngestFunctionRole"])
    assert "IngestBucket" not in str(template["Resources"]["EventQueuePolicy"])


def test_iam_auth_grants_rds_db_connect_and_drops_the_secret(template: dict[str, Any]) -> None:
    iam = render(template, DbIamAuth="true", DbResourceId="db-ABCDEFGHIJ", **IN_VPC)
    by_sid = {s["Sid"]: s for s in _statements(iam)}
    assert by_sid["ConnectWithIamToken"]["Action"] == "rds-db:connect"
    assert by_sid["ConnectWithIamToken"]["Resource"]["Fn::Sub"] == (
        "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:${DbResourceId}/${DbUsername}"
    )
    assert "DatabaseSecret" not in iam and "ReadDatabaseSecret" not in by_sid
    environment = iam["IngestFunction"]["Properties"]["Environment"]["Variables"]
    assert environment["DB_IAM_AUTH"] == {"Ref": "DbIamAuth"}
    assert environment["DB_SSLMODE"] == "verify-full"
    assert "DB_SECRET_ARN" not in environment

    password = render(template, **IN_VPC)
    assert "ConnectWithIamToken" not in {s["Sid"] for s in _statements(password)}
    environment = password["IngestFunction"]["Properties"]["Environment"]["Variables"]
    assert environment["DB_SECRET_ARN"] == {"Ref": "DatabaseSecret"}
    assert environment["DB_SSLMODE"] == "require"
    given = render(template, DbSslMode="verify-ca", DbSslRootCert="/opt/rds/global-bundle.pem", **IN_VPC)
    environment = given["IngestFunction"]["Properties"]["Environment"]["Variables"]
    assert environment["DB_SSLMODE"] == {"Ref": "DbSslMode"}
    assert environment["DB_SSLROOTCERT"] == {"Ref": "DbSslRootCert"}


def test_iam_auth_is_refused_without_resource_id_or_with_weaker_tls(template: dict[str, Any]) -> None:
    assert rule_failures(template, DbIamAuth="true", DbResourceId="db-ABC", **IN_VPC) == []
    assert rule_failures(template, DbIamAuth="true", DbResourceId="db-ABC", DbSslMode="verify-full", **IN_VPC) == []
    assert len(rule_failures(template, DbIamAuth="true", **IN_VPC)) == 1
    assert len(rule_failures(template, DbIamAuth="true", DbResourceId="db-ABC", DbSslMode="require", **IN_VPC)) == 1


def test_the_function_runs_in_a_vpc_unless_a_public_database_is_allowed_explicitly(template: dict[str, Any]) -> None:
    assert template["Parameters"]["AllowPublicDatabase"]["Default"] == "false"
    assert len(rule_failures(template)) == 2  # defaults: no subnets, no security groups -> refused
    assert rule_failures(template, **IN_VPC) == []
    assert rule_failures(template, AllowPublicDatabase="true") == []

    inside = render(template, **IN_VPC)
    assert inside["IngestFunction"]["Properties"]["VpcConfig"] == {
        "SubnetIds": {"Ref": "SubnetIds"},
        "SecurityGroupIds": {"Ref": "SecurityGroupIds"},
    }
    managed = inside["IngestFunctionRole"]["Properties"]["ManagedPolicyArns"]
    assert [arn["Fn::Sub"].rsplit("/", 1)[-1] for arn in managed] == ["AWSLambdaVPCAccessExecutionRole"]
    outside = render(template, AllowPublicDatabase="true", **IN_VPC)
    assert "VpcConfig" not in outside["IngestFunction"]["Properties"]
    assert "ManagedPolicyArns" not in outside["IngestFunctionRole"]["Properties"]


def test_function_settings(template: dict[str, Any]) -> None:
    function = template["Resources"]["IngestFunction"]["Properties"]
    assert function["Handler"] == "lambda_function.lambda_handler"
    assert function["Timeout"] == 900
    assert function["CodeUri"] == "dist/lambda_function.zip"
    assert template["Parameters"]["PythonRuntime"]["Default"] == "python3.11"
    # SAM would add these unconditionally (and widen the role): the triggers are explicit resources.
    assert not {"Events", "EventInvokeConfig", "Policies"} & set(function)
    environment = function["Environment"]["Variables"]
    for name in (
        "SNS_TOPIC_ARN",
        "DB_SECRET_ARN",
        "DB_SCHEMA",
        "INGEST_PREFIX",
        "QUARANTINE_PREFIX",
        "REDACT_VALUES",
        "POWERTOOLS_SERVICE_NAME",
        "DB_IAM_AUTH",
        "DB_HOST",
        "DB_PORT",
        "DB_NAME",
        "DB_USER",
        "DB_SSLMODE",
        "DB_SSLROOTCERT",
    ):
        assert name in environment


def test_reserved_concurrency_is_bounded_by_default(template: dict[str, Any]) -> None:
    reserved = template["Parameters"]["ReservedConcurrency"]
    assert 0 < reserved["Default"] <= 50 and "MaxValue" in reserved
    function = render(template, **IN_VPC)["IngestFunction"]["Properties"]
    assert function["ReservedConcurrentExecutions"] == {"Ref": "ReservedConcurrency"}
    maximum = template["Parameters"]["MaximumConcurrency"]
    assert maximum["MinValue"] == 2  # Lambda's minimum for MaximumConcurrency
    assert maximum["Default"] <= reserved["Default"]  # the queue never drives the function into throttling


def _notification_suffixes(notification: list[dict[str, Any]]) -> set[str]:
    return {rule["Value"] for c in notification for rule in c["Filter"]["S3Key"]["Rules"] if rule["Name"] == "suffix"}


def test_direct_trigger_invokes_the_function_and_keeps_failed_events(template: dict[str, Any]) -> None:
    resources = render(template, Trigger="direct", **IN_VPC)
    assert not {"EventQueue", "EventQueuePolicy", "EventSourceMapping"} & set(resources)
    notification = resources["IngestBucket"]["Properties"]["NotificationConfiguration"]
    assert set(notification) == {"LambdaConfigurations"}
    lambdas = notification["LambdaConfigurations"]
    assert {c["Function"]["Fn::GetAtt"][0] for c in lambdas} == {"IngestFunction"}
    assert _notification_suffixes(lambdas) == {".csv", ".csv.gz"}
    permission = resources["S3InvokePermission"]["Properties"]
    assert permission["Principal"] == "s3.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert permission["SourceArn"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${BucketName}"}
    invoke = resources["DirectInvokeConfig"]["Properties"]
    assert invoke["MaximumRetryAttempts"] == 2
    assert invoke["FunctionName"] == {"Ref": "IngestFunction"}
    assert invoke["DestinationConfig"]["OnFailure"] == {"Destination": {"Fn::GetAtt": ["FailedEventsQueue", "Arn"]}}
    # The bucket waits for the invoke permission (S3 checks it when the notification is written).
    assert resources["IngestBucket"]["DependsOn"] == "TriggerPermissionReady"
    assert resources["TriggerPermissionReady"]["Metadata"]["Permission"] == {"Ref": "S3InvokePermission"}


def test_queue_trigger_feeds_the_function_through_sqs(template: dict[str, Any]) -> None:
    resources = render(template, Trigger="queue", **IN_VPC)
    assert not {"S3InvokePermission", "DirectInvokeConfig"} & set(resources)
    notification = resources["IngestBucket"]["Properties"]["NotificationConfiguration"]
    assert set(notification) == {"QueueConfigurations"}
    queues = notification["QueueConfigurations"]
    assert {c["Queue"]["Fn::GetAtt"][0] for c in queues} == {"EventQueue"}
    assert _notification_suffixes(queues) == {".csv", ".csv.gz"}
    assert resources["TriggerPermissionReady"]["Metadata"]["Permission"] == {"Ref": "EventQueuePolicy"}

    mapping = resources["EventSourceMapping"]["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["EventQueue", "Arn"]}
    assert mapping["FunctionName"] == {"Ref": "IngestFunction"}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "MaximumConcurrency"}}
    assert mapping["BatchSize"] == {"Ref": "BatchSize"}


def test_the_event_queue_accepts_only_this_buckets_events(template: dict[str, Any]) -> None:
    policy = render(template, Trigger="queue", **IN_VPC)["EventQueuePolicy"]["Properties"]
    assert policy["Queues"] == [{"Ref": "EventQueue"}]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"]["ArnEquals"] == {
        "aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${BucketName}"}
    }
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_visibility_timeout_is_at_least_six_times_the_function_timeout(template: dict[str, Any]) -> None:
    timeout = template["Resources"]["IngestFunction"]["Properties"]["Timeout"]
    queue = template["Resources"]["EventQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * timeout
    assert queue["VisibilityTimeout"] <= 43200  # SQS's maximum


def test_failed_events_are_redriven_kept_14_days_and_alarmed(template: dict[str, Any]) -> None:
    resources = render(template, Trigger="queue", **IN_VPC)
    event_queue = resources["EventQueue"]["Properties"]
    assert event_queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["FailedEventsQueue", "Arn"]},
        "maxReceiveCount": {"Ref": "MaxReceiveCount"},
    }
    failed = resources["FailedEventsQueue"]
    assert "Condition" not in failed  # both triggers keep their failures there
    assert failed["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    # A moved message keeps its first enqueue time: the source must expire first.
    assert event_queue["MessageRetentionPeriod"] < failed["Properties"]["MessageRetentionPeriod"]
    alarm = resources["FailedEventsAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["FailedEventsQueue", "QueueName"]}}]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm["AlarmActions"] == [{"Ref": "OutcomeTopic"}]


@pytest.mark.parametrize("trigger", ["direct", "queue"])
def test_queues_and_topic_are_encrypted(template: dict[str, Any], trigger: str) -> None:
    resources = render(template, Trigger=trigger, **IN_VPC)
    queues = [r for r in resources.values() if r["Type"] == "AWS::SQS::Queue"]
    assert len(queues) == (2 if trigger == "queue" else 1)
    # SSE-SQS: S3 cannot write to a queue under the AWS-managed KMS key.
    assert all(q["Properties"]["SqsManagedSseEnabled"] is True for q in queues)
    assert resources["OutcomeTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "OutcomeTopicKey"}
    key = resources["OutcomeTopicKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    principals = [s["Principal"] for s in key["KeyPolicy"]["Statement"]]
    assert {"Service": "cloudwatch.amazonaws.com"} in principals  # the alarms publish to the topic
