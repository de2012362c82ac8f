"""modules/rule.py alone: an EventRule on a bare bus delivering to a state machine or a Firehose stream, read back
from that small stack's synthesized JSON."""

from __future__ import annotations

import json
from typing import Any

import cdktf
import pytest
from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.cloudwatch_event_bus import CloudwatchEventBus
from cdktf_cdktf_provider_aws.kinesis_firehose_delivery_stream import KinesisFirehoseDeliveryStream
from cdktf_cdktf_provider_aws.sfn_state_machine import SfnStateMachine
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

from modules.common import deny_insecure_transport
from modules.rule import DLQ_RETENTION_SECONDS, EventRule
from tests.tf import bare_stack, decoded, only, ref, sample_platform

PLATFORM = sample_platform()
PATTERN = {"source": ["reviews.frontend"], "detail-type": ["ReviewSubmitted"]}
NAME = "reviews-test-analysis-on-review-submitted"


def synth(stack: TerraformStack) -> dict[str, Any]:
    return json.loads(cdktf.Testing.synth(stack))


@pytest.fixture
def stack() -> TerraformStack:
    return bare_stack()


def _machine(stack: TerraformStack) -> SfnStateMachine:
    return SfnStateMachine(stack, "machine", name="machine", role_arn="arn:aws:iam::1:role/r", definition="{}")


def _stream(stack: TerraformStack) -> KinesisFirehoseDeliveryStream:
    return KinesisFirehoseDeliveryStream(stack, "stream", name="stream", destination="extended_s3")


def _rule(stack: TerraformStack, target: Any = None, **overrides: Any) -> EventRule:
    settings: dict[str, Any] = {
        "platform": PLATFORM,
        "service": "analysis",
        "purpose": "on-review-submitted",
        "description": "Analyse every submitted review",
        "bus": CloudwatchEventBus(stack, "bus", name="reviews-test-events-bus"),
        "pattern": PATTERN,
        "target": target if target is not None else _machine(stack),
        **overrides,
    }
    return EventRule(stack, "rule", **settings)


def _arn(stack: TerraformStack, kind: str, construct: Any) -> str:
    return ref(kind, stack.get_logical_id(construct), "arn")


# ------------------------------------------------------------------------------------------------- the rule


def test_the_rule_is_named_after_service_and_purpose_on_the_given_bus(stack: TerraformStack) -> None:
    made = _rule(stack)
    _, rule = only(synth(stack), "aws_cloudwatch_event_rule", "rule")
    assert rule["name"] == NAME
    assert rule["description"] == "Analyse every submitted review"
    assert rule["event_bus_name"] == ref("aws_cloudwatch_event_bus", "bus", "name")
    assert decoded(rule, "event_pattern") == PATTERN == made.pattern


def test_the_rule_keeps_its_own_copy_of_the_pattern(stack: TerraformStack) -> None:
    pattern = dict(PATTERN)
    made = _rule(stack, pattern=pattern)
    pattern["source"] = ["elsewhere"]
    assert made.pattern == PATTERN


def test_the_target_delivers_on_the_bus_with_the_role_the_dead_letter_queue_and_default_retries(
    stack: TerraformStack,
) -> None:
    made = _rule(stack)
    _, target = only(synth(stack), "aws_cloudwatch_event_target", "target")
    assert target["rule"] == ref("aws_cloudwatch_event_rule", stack.get_logical_id(made.rule), "name")
    assert target["event_bus_name"] == ref("aws_cloudwatch_event_bus", "bus", "name")
    assert target["target_id"] == "on-review-submitted"
    assert target["arn"] == ref("aws_sfn_state_machine", "machine", "arn")
    assert target["role_arn"] == _arn(stack, "aws_iam_role", made.role)
    assert target["dead_letter_config"] == {"arn": _arn(stack, "aws_sqs_queue", made.dead_letter_queue)}
    assert target["retry_policy"] == {"maximum_retry_attempts": 8, "maximum_event_age_in_seconds": 3600}


def test_the_retry_policy_takes_the_given_bounds(stack: TerraformStack) -> None:
    _rule(stack, retry_attempts=0, max_event_age_seconds=86400)
    _, target = only(synth(stack), "aws_cloudwatch_event_target", "target")
    assert target["retry_policy"] == {"maximum_retry_attempts": 0, "maximum_event_age_in_seconds": 86400}


# ------------------------------------------------------------------------------------ the dead-letter queue


def test_the_dead_letter_queue_is_encrypted_with_the_platform_key_and_kept_fourteen_days(
    stack: TerraformStack,
) -> None:
    _rule(stack)
    _, queue = only(synth(stack), "aws_sqs_queue", "dlq")
    assert queue == {
        "name": f"{NAME}-dlq",
        "kms_master_key_id": PLATFORM.key_arn,
        "message_retention_seconds": DLQ_RETENTION_SECONDS,
    }
    assert DLQ_RETENTION_SECONDS == 14 * 24 * 3600


def test_the_dead_letter_queue_admits_only_this_rule_and_only_over_tls(stack: TerraformStack) -> None:
    made = _rule(stack)
    _, policy = only(synth(stack), "aws_sqs_queue_policy", "dlq-policy")
    queue_arn = _arn(stack, "aws_sqs_queue", made.dead_letter_queue)
    assert policy["queue_url"] == ref("aws_sqs_queue", stack.get_logical_id(made.dead_letter_queue), "url")
    assert decoded(policy, "policy")["Statement"] == [
        {
            "Sid": "OnlyThisRuleDeadLetters",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": _arn(stack, "aws_cloudwatch_event_rule", made.rule)}},
        },
        deny_insecure_transport("sqs:*", queue_arn),
    ]


# --------------------------------------------------------------------------------------------- the role


def test_the_role_is_trusted_only_by_eventbridge_for_this_rule_of_this_account(stack: TerraformStack) -> None:
    made = _rule(stack)
    _, role = only(synth(stack), "aws_iam_role", "role")
    assert role["name"] == f"{NAME}-events"
    assert decoded(role, "assume_role_policy")["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": PLATFORM.account_id},
                "ArnLike": {"aws:SourceArn": _arn(stack, "aws_cloudwatch_event_rule", made.rule)},
            },
        }
    ]


def _delivery_statements(stack: TerraformStack, made: EventRule) -> list[dict[str, Any]]:
    _, policy = only(synth(stack), "aws_iam_role_policy", "policy")
    assert policy["role"] == ref("aws_iam_role", stack.get_logical_id(made.role), "id")
    statements: list[dict[str, Any]] = decoded(policy, "policy")["Statement"]
    return statements


def test_a_role_for_a_state_machine_may_only_start_executions_of_it(stack: TerraformStack) -> None:
    made = _rule(stack)
    assert _delivery_statements(stack, made) == [
        {
            "Sid": "DeliverToTarget",
            "Effect": "Allow",
            "Action": ["states:StartExecution"],
            "Resource": [ref("aws_sfn_state_machine", "machine", "arn")],
        }
    ]


def test_a_role_for_a_firehose_stream_may_only_put_records_into_it(stack: TerraformStack) -> None:
    made = _rule(stack, target=_stream(stack))
    assert _delivery_statements(stack, made) == [
        {
            "Sid": "DeliverToTarget",
            "Effect": "Allow",
            "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
            "Resource": [ref("aws_kinesis_firehose_delivery_stream", "stream", "arn")],
        }
    ]


# ------------------------------------------------------------------------------------------ input validation


def test_a_target_that_is_neither_a_state_machine_nor_a_firehose_stream_is_rejected_with_a_type_error(
    stack: TerraformStack,
) -> None:
    with pytest.raises(TypeError, match=r"target must be one of \['SfnStateMachine', .*got SqsQueue"):
        _rule(stack, target=SqsQueue(stack, "queue", name="q"))


@pytest.mark.parametrize("attempts", [-1, 186])
def test_retry_attempts_outside_zero_to_185_are_rejected(stack: TerraformStack, attempts: int) -> None:
    with pytest.raises(
        ValueError, match=f"EventRule rule: retry_attempts: {attempts} must be a whole number from 0 to 185"
    ):
        _rule(stack, retry_attempts=attempts)


@pytest.mark.parametrize("seconds", [59, 86401])
def test_a_max_event_age_outside_a_minute_to_a_day_is_rejected(stack: TerraformStack, seconds: int) -> None:
    with pytest.raises(
        ValueError, match=f"EventRule rule: max_event_age_seconds: {seconds} must be a whole number from 60 to 86400"
    ):
        _rule(stack, max_event_age_seconds=seconds)


def test_an_empty_pattern_is_rejected(stack: TerraformStack) -> None:
    with pytest.raises(ValueError, match="EventRule rule: pattern must not be empty"):
        _rule(stack, pattern={})
