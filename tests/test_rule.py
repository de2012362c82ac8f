"""modules/rule.py alone: an EventRule on a bare bus (or the account's default bus) delivering to a state machine, a
Firehose stream or an SQS queue, read back from that small stack's synthesized JSON."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import DefaultTokenResolver, StringConcat, TerraformStack, Tokenization
from cdktf_cdktf_provider_aws.cloudwatch_event_bus import CloudwatchEventBus
from cdktf_cdktf_provider_aws.kinesis_firehose_delivery_stream import KinesisFirehoseDeliveryStream
from cdktf_cdktf_provider_aws.sfn_state_machine import SfnStateMachine
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

from modules.common import deny_insecure_transport
from modules.rule import DLQ_RETENTION_SECONDS, DefaultEventBus, EventRule
from tests.tf import bare_stack, decoded, only, ref, resources, sample_platform, synth

PLATFORM = sample_platform()
PATTERN = {"source": ["reviews.frontend"], "detail-type": ["ReviewSubmitted"]}
NAME = "reviews-test-analysis-on-review-submitted"


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


def _rule_ref(stack: TerraformStack, made: EventRule, attribute: str) -> str:
    return ref("aws_cloudwatch_event_rule", stack.get_logical_id(made.rule), attribute)


def _resolved(stack: TerraformStack, value: Any) -> Any:
    """``value`` with its tokens replaced by the Terraform references they stand for."""
    return Tokenization.resolve(value, scope=stack, preparing=False, resolver=DefaultTokenResolver(StringConcat()))


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


def only_this_rule(sid: str, stack: TerraformStack, made: Any, queue_arn: str) -> list[dict[str, Any]]:
    """A queue policy that lets EventBridge send for this rule alone, the operator role alone receive, over TLS only."""
    return [
        {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": _arn(stack, "aws_cloudwatch_event_rule", made.rule)}},
        },
        {
            "Sid": "OnlyTheOperatorReceives",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:ReceiveMessage",
            "Resource": queue_arn,
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": PLATFORM.operator_role_arn}},
        },
        deny_insecure_transport("sqs:*", queue_arn),
    ]


def test_the_dead_letter_queue_admits_only_this_rule_to_send_and_only_the_operator_to_receive_over_tls(
    stack: TerraformStack,
) -> None:
    made = _rule(stack)
    _, policy = only(synth(stack), "aws_sqs_queue_policy", "dlq-policy")
    queue_arn = _arn(stack, "aws_sqs_queue", made.dead_letter_queue)
    assert policy["queue_url"] == ref("aws_sqs_queue", stack.get_logical_id(made.dead_letter_queue), "url")
    assert decoded(policy, "policy")["Statement"] == only_this_rule("OnlyThisRuleDeadLetters", stack, made, queue_arn)


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
    assert made.role is not None
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


# ----------------------------------------------------------------------------------------- an SQS queue target


def _queue(stack: TerraformStack) -> SqsQueue:
    return SqsQueue(stack, "queue", name="reviews-test-email-failures")


def test_a_queue_target_is_reached_through_its_policy_with_no_role(stack: TerraformStack) -> None:
    made = _rule(stack, target=_queue(stack))
    synthesized = synth(stack)
    _, target = only(synthesized, "aws_cloudwatch_event_target", "target")
    assert made.role is None
    assert "role_arn" not in target
    assert target["arn"] == ref("aws_sqs_queue", "queue", "arn")
    assert resources(synthesized, "aws_iam_role") == {} and resources(synthesized, "aws_iam_role_policy") == {}
    assert target["dead_letter_config"] == {"arn": _arn(stack, "aws_sqs_queue", made.dead_letter_queue)}


def test_a_queue_target_admits_only_this_rule_to_send_and_only_the_operator_to_receive_over_tls(
    stack: TerraformStack,
) -> None:
    made = _rule(stack, target=_queue(stack))
    assert made.target_policy is not None
    _, policy = only(synth(stack), "aws_sqs_queue_policy", "target-policy")
    queue_arn = ref("aws_sqs_queue", "queue", "arn")
    assert policy["queue_url"] == ref("aws_sqs_queue", "queue", "url")
    assert decoded(policy, "policy")["Statement"] == only_this_rule("OnlyThisRuleSends", stack, made, queue_arn)


def test_a_state_machine_target_gives_no_queue_policy_beyond_the_dead_letter_queues(stack: TerraformStack) -> None:
    made = _rule(stack)
    assert made.target_policy is None
    assert len(resources(synth(stack), "aws_sqs_queue_policy")) == 1


# --------------------------------------------------------------------------------- buses and metric dimensions


def test_a_rule_on_the_default_bus_names_it_and_is_measured_by_rule_name_alone(stack: TerraformStack) -> None:
    default = DefaultEventBus.of(PLATFORM)
    assert default == DefaultEventBus(
        name="default", arn=f"arn:aws:events:eu-west-1:{PLATFORM.account_id}:event-bus/default"
    )
    made = _rule(stack, bus=default, target=_queue(stack))
    synthesized = synth(stack)
    assert only(synthesized, "aws_cloudwatch_event_rule", "rule")[1]["event_bus_name"] == "default"
    assert only(synthesized, "aws_cloudwatch_event_target", "target")[1]["event_bus_name"] == "default"
    assert _resolved(stack, made.metric_dimensions) == {"RuleName": _rule_ref(stack, made, "name")}


def test_a_rule_on_a_bus_of_the_stack_is_measured_by_rule_and_bus_name(stack: TerraformStack) -> None:
    made = _rule(stack)
    assert _resolved(stack, made.metric_dimensions) == {
        "RuleName": _rule_ref(stack, made, "name"),
        "EventBusName": _rule_ref(stack, made, "event_bus_name"),
    }


def test_a_rule_keeps_its_match_alarm_text_and_has_none_by_default(stack: TerraformStack) -> None:
    assert _rule(stack).match_alarm is None
    assert _rule(bare_stack("other"), match_alarm="Every match is a failure: read the queue").match_alarm == (
        "Every match is a failure: read the queue"
    )


# ------------------------------------------------------------------------------------------ input validation


def test_a_target_that_is_not_a_state_machine_a_firehose_stream_or_a_queue_is_rejected_with_a_type_error(
    stack: TerraformStack,
) -> None:
    with pytest.raises(
        TypeError,
        match=r"target must be one of \['SfnStateMachine', 'KinesisFirehoseDeliveryStream', 'SqsQueue'\], got SnsTopic",
    ):
        _rule(stack, target=SnsTopic(stack, "topic", name="t"))


def test_a_bus_given_by_name_is_rejected_with_a_type_error(stack: TerraformStack) -> None:
    with pytest.raises(TypeError, match="bus must be a CloudwatchEventBus or the DefaultEventBus, got str"):
        _rule(stack, bus="reviews-test-events-bus")


@pytest.mark.parametrize("text", ["", "  "])
def test_a_blank_match_alarm_is_rejected(stack: TerraformStack, text: str) -> None:
    with pytest.raises(ValueError, match="EventRule rule: match_alarm must say what a match means"):
        _rule(stack, match_alarm=text)


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
