"""Operations: an alarm on everything that can fail quietly, to an encrypted topic with an email
subscription. Expected alarms are derived from the synthesized stack, so a workflow, rule or
dead-letter queue added without its alarm fails here."""

from __future__ import annotations

import json
from typing import Any

import cdktf
import pytest

from modules.operations import MAX_QUEUED_AGE_SECONDS
from tests.tf import bare_stack, decoded, only, ref, references, resources, sample_platform

SAMPLE_ACCOUNT = "123456789012"


def _alarms(dev: dict[str, Any], metric: str) -> list[dict[str, Any]]:
    return [alarm for alarm in resources(dev, "aws_cloudwatch_metric_alarm").values() if alarm["metric_name"] == metric]


def _watched(dev: dict[str, Any], metric: str, dimension: str) -> list[str]:
    return sorted(alarm["dimensions"][dimension] for alarm in _alarms(dev, metric))


def _topic(dev: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return only(dev, "aws_sns_topic", "operations")


def _redriven(dev: dict[str, Any]) -> set[str]:
    """The queues the recovery workflow reads (its definition's queue list)."""
    [machine] = [m for m in resources(dev, "aws_sfn_state_machine").values() if "-recovery-" in m["name"]]
    queues = json.loads(machine["definition"])["States"]["Queues"]["Result"]["queues"]
    return {references(url)[0][1] for url in queues}


def test_every_dead_letter_queue_nothing_redrives_and_the_parked_queue_have_a_depth_alarm(dev: dict[str, Any]) -> None:
    queues = [
        references(target["dead_letter_config"]["arn"])[0][1]
        for target in resources(dev, "aws_cloudwatch_event_target").values()
    ]
    assert queues, "the stack has no rule target with a dead-letter queue"
    # A queue's own dead-letter queue (SQS's redrive policy) holds what every delivery failed: given up.
    queues += [
        references(json.loads(queue["redrive_policy"])["deadLetterTargetArn"])[0][1]
        for queue in resources(dev, "aws_sqs_queue").values()
        if queue.get("redrive_policy")
    ]
    parked = only(dev, "aws_sqs_queue", "recovery_parked")[0]
    expected = sorted(ref("aws_sqs_queue", queue, "name") for queue in {*queues, parked} - _redriven(dev))
    assert _watched(dev, "ApproximateNumberOfMessagesVisible", "QueueName") == expected
    for alarm in _alarms(dev, "ApproximateNumberOfMessagesVisible"):
        assert (alarm["namespace"], alarm["comparison_operator"], alarm["threshold"]) == (
            "AWS/SQS",
            "GreaterThanOrEqualToThreshold",
            1,
        )


def test_every_redriven_queue_alarms_when_a_message_outlives_the_redrive(dev: dict[str, Any]) -> None:
    redriven = _redriven(dev)
    assert redriven, "the recovery workflow redrives no queue"
    # Besides the redriven queues, the analysis queue has its own age alarm (its reviews wait too long).
    buffer, _ = only(dev, "aws_sqs_queue", "analysis_buffer_queue")
    watched = _watched(dev, "ApproximateAgeOfOldestMessage", "QueueName")
    assert watched == sorted(ref("aws_sqs_queue", queue, "name") for queue in {*redriven, buffer})
    for alarm in _alarms(dev, "ApproximateAgeOfOldestMessage"):
        if alarm["dimensions"]["QueueName"] == ref("aws_sqs_queue", buffer, "name"):
            continue
        # Six intervals of five minutes: one to be read, five failed deliveries.
        assert (alarm["comparison_operator"], alarm["threshold"]) == ("GreaterThanThreshold", 1800)


@pytest.mark.parametrize("metric", ["ExecutionsFailed", "ExecutionsTimedOut"])
def test_every_state_machine_has_an_alarm_on(dev: dict[str, Any], metric: str) -> None:
    machines = resources(dev, "aws_sfn_state_machine")
    assert machines, "the stack has no state machine"
    expected = sorted(ref("aws_sfn_state_machine", name, "arn") for name in machines)
    assert _watched(dev, metric, "StateMachineArn") == expected
    for alarm in _alarms(dev, metric):
        assert (alarm["namespace"], alarm["statistic"], alarm["threshold"]) == ("AWS/States", "Sum", 1)


def test_every_rule_has_a_failed_invocations_alarm_on_its_bus(dev: dict[str, Any]) -> None:
    rules = resources(dev, "aws_cloudwatch_event_rule")
    assert rules, "the stack has no rule"
    expected = sorted(ref("aws_cloudwatch_event_rule", name, "name") for name in rules)
    assert _watched(dev, "FailedInvocations", "RuleName") == expected
    for alarm in _alarms(dev, "FailedInvocations"):
        (rule,) = references(alarm["dimensions"]["RuleName"])
        assert alarm["namespace"] == "AWS/Events"
        # AWS/Events names a rule of the default bus by RuleName alone, a rule of another bus with EventBusName too.
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
        if rules[rule[1]]["event_bus_name"] == "default":
            assert set(alarm["dimensions"]) == {"RuleName"}
        else:
            assert alarm["dimensions"]["EventBusName"] == ref(rule[0], rule[1], "event_bus_name")


def test_every_email_ses_accepted_and_did_not_deliver_raises_an_alarm(dev: dict[str, Any]) -> None:
    rule, _ = only(dev, "aws_cloudwatch_event_rule", "email")
    (alarm,) = _alarms(dev, "MatchedEvents")
    assert alarm["namespace"] == "AWS/Events"
    assert alarm["dimensions"] == {"RuleName": ref("aws_cloudwatch_event_rule", rule, "name")}
    assert (alarm["statistic"], alarm["comparison_operator"], alarm["threshold"], alarm["period"]) == (
        "Sum",
        "GreaterThanOrEqualToThreshold",
        1,
        300,
    )
    assert "reviews-dev-email-failures" in alarm["alarm_description"]
    assert alarm["alarm_name"] == "reviews-dev-operations-email-on-failure-matched"


def test_the_api_has_a_5xx_alarm_on_its_stage(dev: dict[str, Any]) -> None:
    api = only(dev, "aws_api_gateway_rest_api", "")[0]
    stage = only(dev, "aws_api_gateway_stage", "")[0]
    (alarm,) = _alarms(dev, "5XXError")
    assert alarm["namespace"] == "AWS/ApiGateway"
    assert alarm["dimensions"] == {
        "ApiName": ref("aws_api_gateway_rest_api", api, "name"),
        "Stage": ref("aws_api_gateway_stage", stage, "stage_name"),
    }


def test_the_audit_stream_alarms_on_failed_and_stale_delivery_to_s3(dev: dict[str, Any]) -> None:
    stream = ref(
        "aws_kinesis_firehose_delivery_stream", only(dev, "aws_kinesis_firehose_delivery_stream", "audit")[0], "name"
    )
    (failed,) = _alarms(dev, "DeliveryToS3.Success")
    assert (failed["statistic"], failed["comparison_operator"], failed["threshold"]) == (
        "Minimum",
        "LessThanThreshold",
        1,
    )
    (stale,) = _alarms(dev, "DeliveryToS3.DataFreshness")
    assert (stale["statistic"], stale["comparison_operator"]) == ("Maximum", "GreaterThanThreshold")
    for alarm in (failed, stale):
        assert alarm["namespace"] == "AWS/Firehose"
        assert alarm["dimensions"] == {"DeliveryStreamName": stream}


def test_every_alarm_notifies_the_topic_when_it_fires_and_when_it_recovers(dev: dict[str, Any]) -> None:
    topic = [ref("aws_sns_topic", _topic(dev)[0], "arn")]
    for name, alarm in resources(dev, "aws_cloudwatch_metric_alarm").items():
        assert alarm["alarm_actions"] == topic, name
        assert alarm["ok_actions"] == topic, name
        assert alarm.get("actions_enabled", True) is True, name


def test_every_alarm_says_what_to_do_and_treats_silence_as_healthy(dev: dict[str, Any]) -> None:
    for name, alarm in resources(dev, "aws_cloudwatch_metric_alarm").items():
        assert len(alarm["alarm_description"]) > 40, name
        assert alarm["treat_missing_data"] == "notBreaching", name
        assert alarm["alarm_name"].startswith("reviews-dev-operations-"), name


def test_the_topic_is_encrypted_with_the_platform_key(dev: dict[str, Any]) -> None:
    key = ref("aws_kms_key", only(dev, "aws_kms_key", "security")[0], "arn")
    assert _topic(dev)[1]["kms_master_key_id"] == key


def test_the_topic_emails_the_configured_alarm_address(dev: dict[str, Any], dev_config: Any) -> None:
    (subscription,) = resources(dev, "aws_sns_topic_subscription").values()
    assert subscription["topic_arn"] == ref("aws_sns_topic", _topic(dev)[0], "arn")
    assert (subscription["protocol"], subscription["endpoint"]) == ("email", dev_config.operations.alarm_email)


def test_only_this_accounts_alarms_may_publish_and_only_over_tls(dev: dict[str, Any]) -> None:
    topic = ref("aws_sns_topic", _topic(dev)[0], "arn")
    (policy,) = [p for p in resources(dev, "aws_sns_topic_policy").values() if p["arn"] == topic]
    allow, deny = decoded(policy, "policy")["Statement"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": "${data.aws_caller_identity.account.account_id}"}
    assert allow["Condition"]["ArnLike"]["aws:SourceArn"].endswith(":alarm:reviews-dev-operations-*")
    assert (deny["Effect"], deny["Principal"], deny["Condition"]) == (
        "Deny",
        "*",
        {"Bool": {"aws:SecureTransport": "false"}},
    )


# Input validation: each bad input fails at construction, naming the input. No synthesis needed.


@pytest.fixture
def bare() -> Any:
    """A fresh stack with a platform, for constructing Operations alone."""

    stack, platform = bare_stack(), sample_platform(SAMPLE_ACCOUNT)
    return stack, platform


VALID = {"alarm_email": "alarms@example.com", "workflows": [], "rules": []}
SETTINGS = ("alarm_email",)


def _build(bare: Any, **overrides: Any) -> Any:
    from cdktf_cdktf_provider_aws.api_gateway_rest_api import ApiGatewayRestApi
    from cdktf_cdktf_provider_aws.api_gateway_stage import ApiGatewayStage
    from cdktf_cdktf_provider_aws.kinesis_firehose_delivery_stream import KinesisFirehoseDeliveryStream

    from modules.config import OperationsSettings
    from modules.operations import Operations

    stack, platform = bare
    resources = {
        "api": ApiGatewayRestApi(stack, "api", name="reviews-test-frontend-api"),
        "stage": ApiGatewayStage(stack, "stage", rest_api_id="api", deployment_id="d", stage_name="v1"),
        "delivery_stream": KinesisFirehoseDeliveryStream(
            stack, "audit-stream", name="reviews-test-audit-events", destination="extended_s3"
        ),
    }
    values = {**VALID, **overrides}
    settings = OperationsSettings(**{name: values.pop(name) for name in SETTINGS})
    return Operations(stack, "operations", platform=platform, settings=settings, **{**resources, **values})


def test_valid_operations_construct_without_synthesis(bare: Any) -> None:
    assert set(_build(bare).alarms) == {"api:5xx", "audit-delivery:failed", "audit-delivery:stale"}


def _rule(bare: Any, id: str = "rule", **overrides: Any) -> Any:
    from cdktf_cdktf_provider_aws.cloudwatch_event_bus import CloudwatchEventBus
    from cdktf_cdktf_provider_aws.kinesis_firehose_delivery_stream import KinesisFirehoseDeliveryStream

    from modules.rule import EventRule

    stack, platform = bare
    settings: dict[str, Any] = {
        "platform": platform,
        "service": "test",
        "purpose": f"on-{id}",
        "description": "test",
        "bus": CloudwatchEventBus(stack, f"{id}-bus", name="bus"),
        "pattern": {"source": ["test"]},
        "target": KinesisFirehoseDeliveryStream(stack, f"{id}-stream", name="test", destination="extended_s3"),
        **overrides,
    }
    return EventRule(stack, id, **settings)


def test_operations_alarm_on_each_rule_passed_in(bare: Any) -> None:
    alarms = _build(bare, rules=[_rule(bare)]).alarms
    assert {"rule:dead-letters", "rule:failed-invocations"} <= set(alarms)
    assert "rule:matched" not in alarms


def test_a_rule_whose_matches_are_failures_alarms_on_them_with_its_own_words(bare: Any) -> None:
    from modules.rule import DefaultEventBus

    _, platform = bare
    rule = _rule(bare, "failures", bus=DefaultEventBus.of(platform), match_alarm="A match is a failure: read the queue")
    alarms = _build(bare, rules=[rule]).alarms
    assert {"failures:dead-letters", "failures:failed-invocations", "failures:matched"} <= set(alarms)
    synthesized = json.loads(cdktf.Testing.synth(bare[0]))
    by_name = {alarm["alarm_name"]: alarm for alarm in resources(synthesized, "aws_cloudwatch_metric_alarm").values()}
    rule_name = ref("aws_cloudwatch_event_rule", bare[0].get_logical_id(rule.rule), "name")
    matched = by_name["reviews-test-operations-failures-matched"]
    assert (matched["namespace"], matched["metric_name"]) == ("AWS/Events", "MatchedEvents")
    assert matched["alarm_description"] == "A match is a failure: read the queue"
    assert matched["dimensions"] == {"RuleName": rule_name}
    assert by_name["reviews-test-operations-failures-failed-invocations"]["dimensions"] == {"RuleName": rule_name}


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("alarm_email", "alarms"),
        ("alarm_email", ""),
    ],
)
def test_an_invalid_operations_input_is_rejected_by_name(bare: Any, setting: str, value: Any) -> None:
    with pytest.raises(ValueError, match=setting):
        _build(bare, **{setting: value})


@pytest.mark.parametrize("setting", ["api", "stage", "delivery_stream"])
def test_operations_watch_resources_not_names(bare: Any, setting: str) -> None:
    with pytest.raises(TypeError, match=setting):
        _build(bare, **{setting: "reviews-test-frontend-api"})


@pytest.mark.parametrize(
    ("setting", "value"),
    [("workflows", ["analyse-review"]), ("workflows", "analyse-review"), ("rules", [object()]), ("rules", None)],
)
def test_operations_reject_something_other_than_workflows_and_rules_by_name(
    bare: Any, setting: str, value: Any
) -> None:
    with pytest.raises(TypeError, match=setting):
        _build(bare, **{setting: value})


def test_the_analysis_queue_alarms_when_its_oldest_review_waits_too_long(dev: dict[str, Any]) -> None:
    queue, _ = only(dev, "aws_sqs_queue", "analysis_buffer_queue")
    [alarm] = [
        alarm
        for alarm in _alarms(dev, "ApproximateAgeOfOldestMessage")
        if alarm["dimensions"] == {"QueueName": ref("aws_sqs_queue", queue, "name")}
    ]
    assert (alarm["statistic"], alarm["comparison_operator"], alarm["threshold"]) == (
        "Maximum",
        "GreaterThanThreshold",
        MAX_QUEUED_AGE_SECONDS,
    )
