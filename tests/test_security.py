"""modules/security.py alone: the Platform every construct shares, and the Security key built in a bare stack."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from cdktf import TerraformStack

from modules.security import Platform, Security
from tests.tf import bare_stack, decoded, only, ref, sample_platform, synth

ACCOUNT = "210987654321"
REGION = "eu-central-1"
PARTITION = "aws-cn"


@pytest.fixture
def stack() -> TerraformStack:
    return bare_stack()


def _security(stack: TerraformStack) -> Security:
    return Security(stack, "security", prefix="reviews-test", account_id=ACCOUNT, region=REGION, partition=PARTITION)


def _key_statements(stack: TerraformStack) -> dict[str, dict[str, Any]]:
    _, key = only(synth(stack), "aws_kms_key", "key")
    return {statement["Sid"]: statement for statement in decoded(key, "policy")["Statement"]}


# -------------------------------------------------------------------------------------------------- Platform


def test_platform_names_are_prefix_service_purpose() -> None:
    assert sample_platform().name("audit", "events") == "reviews-test-audit-events"


def test_platform_arns_use_its_partition_region_and_account() -> None:
    platform = dataclasses.replace(sample_platform(ACCOUNT), partition=PARTITION, region=REGION)
    assert platform.arn("states", "stateMachine:m") == f"arn:aws-cn:states:eu-central-1:{ACCOUNT}:stateMachine:m"


def test_a_platform_cannot_be_changed_once_built() -> None:
    platform: Platform = sample_platform()
    with pytest.raises(dataclasses.FrozenInstanceError):
        platform.prefix = "other"  # type: ignore[misc]


# -------------------------------------------------------------------------------------------------- Security


def test_the_key_rotates_yearly_with_a_thirty_day_deletion_window(stack: TerraformStack) -> None:
    _security(stack)
    _, key = only(synth(stack), "aws_kms_key", "key")
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    assert key["description"] == "reviews-test: data at rest of the review system"


def test_the_key_policy_lets_the_account_administer_it_then_admits_logs_events_and_alarms_then_the_archive(
    stack: TerraformStack,
) -> None:
    _security(stack)
    statements = _key_statements(stack)
    assert list(statements) == [
        "AccountAdministersKeyThroughIam",
        "CloudWatchLogsEncryptsThisAccountsLogGroups",
        "EventBridgeAndAlarmsUseKeyForQueuesAndTopics",
        "EventBridgeDescribesKeyForArchives",
        "EventBridgeArchivesThisStacksBuses",
    ]
    assert statements["AccountAdministersKeyThroughIam"]["Principal"] == {"AWS": f"arn:aws-cn:iam::{ACCOUNT}:root"}


def test_cloudwatch_logs_of_the_region_may_use_the_key_only_for_this_accounts_log_groups(
    stack: TerraformStack,
) -> None:
    _security(stack)
    logs = _key_statements(stack)["CloudWatchLogsEncryptsThisAccountsLogGroups"]
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert logs["Action"] == ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws-cn:logs:{REGION}:{ACCOUNT}:log-group:*"}
    }


def test_eventbridge_and_cloudwatch_alarms_may_use_the_key_only_for_this_account(stack: TerraformStack) -> None:
    _security(stack)
    services = _key_statements(stack)["EventBridgeAndAlarmsUseKeyForQueuesAndTopics"]
    assert services["Principal"] == {"Service": ["events.amazonaws.com", "cloudwatch.amazonaws.com"]}
    assert services["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert services["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_the_alias_names_the_prefix_and_points_at_the_key(stack: TerraformStack) -> None:
    made = _security(stack)
    _, alias = only(synth(stack), "aws_kms_alias", "alias")
    assert alias == {
        "name": "alias/reviews-test-data",
        "target_key_id": ref("aws_kms_key", stack.get_logical_id(made.key), "key_id"),
    }


def test_eventbridge_may_describe_the_key_and_archive_with_it_only_for_this_stacks_buses(stack: TerraformStack) -> None:
    # The four actions and the encryption context of the EventBridge guide's archive key policy.
    _security(stack)
    statements = _key_statements(stack)
    describe, archive = (
        statements["EventBridgeDescribesKeyForArchives"],
        statements["EventBridgeArchivesThisStacksBuses"],
    )
    assert describe["Principal"] == archive["Principal"] == {"Service": "events.amazonaws.com"}
    assert describe["Action"] == "kms:DescribeKey" and "Condition" not in describe
    assert archive["Action"] == ["kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncrypt*"]
    assert archive["Condition"] == {
        "StringLike": {
            "kms:EncryptionContext:aws:events:event-bus:arn": f"arn:aws-cn:events:{REGION}:{ACCOUNT}:event-bus/reviews-test-*"
        }
    }


def test_the_operator_role_is_assumable_only_by_this_accounts_principals_with_mfa(stack: TerraformStack) -> None:
    _security(stack)
    _, role = only(synth(stack), "aws_iam_role", "operator")
    assert role["name"] == "reviews-test-security-operator"
    assert decoded(role, "assume_role_policy")["Statement"] == [
        {
            "Sid": "ThisAccountsPrincipalsWithMfa",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws-cn:iam::{ACCOUNT}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }
    ]


def test_the_operator_may_read_the_stacks_queues_and_decrypt_them_only_through_sqs(stack: TerraformStack) -> None:
    made = _security(stack)
    _, policy = only(synth(stack), "aws_iam_role_policy", "operator-policy")
    assert policy["role"] == ref("aws_iam_role", stack.get_logical_id(made.operator_role), "id")
    read, decrypt = decoded(policy, "policy")["Statement"]
    assert read["Action"] == [
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
    ]
    assert read["Resource"] == [f"arn:aws-cn:sqs:{REGION}:{ACCOUNT}:reviews-test-*"]
    assert decrypt["Action"] == ["kms:Decrypt"]
    assert decrypt["Resource"] == [ref("aws_kms_key", stack.get_logical_id(made.key), "arn")]
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": f"sqs.{REGION}.amazonaws.com"}}
