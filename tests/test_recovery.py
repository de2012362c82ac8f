"""Recovery: the scheduled redrive of dead-letter and retry queues, its bounds and its give-up, in the synthesized
stack and in the offline system with faults injected (SES throttling past the workflow's retries, target faults,
a redrive that cannot deliver)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import jsonschema
import pytest

from modules.common import event_schema
from offline.engine.faults import Faults
from tests.e2e import review, system_for
from tests.tf import decoded, only, references, resources

SES_THROTTLED = {"code": "TooManyRequestsException", "message": "Maximum sending rate exceeded."}
MAX_REDRIVES, MAX_RECEIVES = 3, 5
# Past every delay (the thank-you's 300 s) and visibility timeout (the redrive's 600 s).
A_WHILE = 601


# --- the synthesized stack ----------------------------------------------------------------------------------------


def test_the_redrive_workflow_is_express_and_started_every_five_minutes_by_a_schedule(dev: dict[str, Any]) -> None:
    machine_name, machine = only(dev, "aws_sfn_state_machine", "recovery")
    _, schedule = only(dev, "aws_scheduler_schedule", "recovery")
    assert machine["type"] == "EXPRESS"
    assert schedule["schedule_expression"] == "rate(5 minutes)"
    assert schedule["flexible_time_window"] == {"mode": "OFF"}
    assert references(schedule["target"]["arn"]) == [("aws_sfn_state_machine", machine_name, "arn")]


def test_the_schedule_role_may_start_the_redrive_and_nothing_else(dev: dict[str, Any]) -> None:
    _, schedule = only(dev, "aws_scheduler_schedule", "recovery")
    [(_, role_name, _)] = references(schedule["target"]["role_arn"])
    role = resources(dev, "aws_iam_role")[role_name]
    assert decoded(role, "assume_role_policy")["Statement"][0]["Principal"] == {"Service": "scheduler.amazonaws.com"}
    [policy] = [p for p in resources(dev, "aws_iam_role_policy").values() if role_name in p["role"]]
    actions = {a for s in decoded(policy, "policy")["Statement"] for a in s["Action"]}
    assert actions == {"states:StartExecution", "kms:Decrypt"}


def redriven_queues(dev: dict[str, Any]) -> set[str]:
    _, machine = only(dev, "aws_sfn_state_machine", "recovery")
    queues = json.loads(machine["definition"])["States"]["Queues"]["Result"]["queues"]
    return {references(url)[0][1] for url in queues}


def test_every_dead_letter_queue_of_a_workflow_target_and_the_thank_you_retry_queue_are_redriven(dev):
    workflow_dlqs = {
        references(target["dead_letter_config"]["arn"])[0][1]
        for target in resources(dev, "aws_cloudwatch_event_target").values()
        if "aws_sfn_state_machine" in target["arn"]
    }
    retry_name, retry = only(dev, "aws_sqs_queue", "thank-you_retry")
    assert redriven_queues(dev) == workflow_dlqs | {retry_name}
    assert retry["name"].endswith("-thankyou-retry")


def test_the_audit_and_email_failure_queues_are_not_redriven(dev: dict[str, Any]) -> None:
    names = {resources(dev, "aws_sqs_queue")[queue]["name"] for queue in redriven_queues(dev)}
    assert not [name for name in names if "audit" in name or "email" in name]


def test_the_parked_queue_is_encrypted_kept_14_days_and_alarmed(dev: dict[str, Any]) -> None:
    name, parked = only(dev, "aws_sqs_queue", "recovery_parked")
    assert "aws_kms_key" in parked["kms_master_key_id"]
    assert parked["message_retention_seconds"] == 14 * 24 * 3600
    alarm = next(
        a for a in resources(dev, "aws_cloudwatch_metric_alarm").values() if a["alarm_name"].endswith("recovery-parked")
    )
    assert alarm["dimensions"] == {"QueueName": f"${{aws_sqs_queue.{name}.name}}"}
    assert (alarm["metric_name"], alarm["threshold"]) == ("ApproximateNumberOfMessagesVisible", 1)


def test_the_redrive_may_start_only_the_workflows_whose_queues_it_reads(dev: dict[str, Any]) -> None:
    _, machine = only(dev, "aws_sfn_state_machine", "recovery")
    [(_, role_name, _)] = references(machine["role_arn"])
    [policy] = [p for p in resources(dev, "aws_iam_role_policy").values() if f".{role_name}." in p["role"]]
    [deliver] = [s for s in decoded(policy, "policy")["Statement"] if s["Sid"] == "DeliverAgain"]
    rule_targets = {
        references(target["arn"])[0][1]
        for target in resources(dev, "aws_cloudwatch_event_target").values()
        if "aws_sfn_state_machine" in target["arn"]
    }
    assert {references(arn)[0][1] for arn in deliver["Resource"]} == rule_targets


def test_the_thank_you_defers_to_its_retry_queue_after_five_minutes(dev: dict[str, Any]) -> None:
    _, machine = only(dev, "aws_sfn_state_machine", "thank-you")
    defer = json.loads(machine["definition"])["States"]["DeferThankYou"]
    assert defer["Parameters"]["DelaySeconds"] == 300
    assert "thank-you_retry" in defer["Parameters"]["QueueUrl"]


# --- the construct's inputs --------------------------------------------------------------------------------------


def _recovery(**overrides: Any) -> Any:
    from modules.recovery import Recovery
    from tests.tf import bare_stack, sample_platform

    settings: dict[str, Any] = {
        "platform": sample_platform(),
        "bus": None,
        "rules": [],
        "retry_queues": [],
        **overrides,
    }
    return Recovery(bare_stack(), "recovery", **settings)


@pytest.mark.parametrize(
    ("setting", "value"), [("interval_minutes", 0), ("max_redrives", 21), ("max_receives", 0), ("max_redrives", 1.5)]
)
def test_a_bound_out_of_range_is_refused_naming_it(setting, value):
    with pytest.raises(ValueError, match=setting):
        _recovery(**{setting: value})


def test_a_rule_that_does_not_start_a_workflow_is_refused():
    with pytest.raises(TypeError, match="rules"):
        _recovery(rules=["reviews-test-audit-all-events"])


def test_a_retry_queue_that_is_not_a_retry_queue_is_refused():
    with pytest.raises(TypeError, match="retry_queues"):
        _recovery(retry_queues=["https://sqs.eu-west-1.amazonaws.com/123456789012/q"])


def test_nothing_to_redrive_is_refused():
    with pytest.raises(ValueError, match="nothing to redrive"):
        _recovery()


# --- offline, with faults -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def faults() -> Faults:
    return Faults()


@pytest.fixture(scope="module")
def system(dev_stack_path, faults):
    with system_for(dev_stack_path, faults=faults, retry_waits=[]) as running:
        yield running


def recover(system, rounds: int) -> None:
    """Let time pass and the schedule fire, ``rounds`` times."""
    for _ in range(rounds):
        system.cloud.advance(A_WHILE)
        system.cloud.fire_schedule("recovery")
        system.cloud.drain(120)


def submitted(system, kind: str = "positive") -> tuple[str, str]:
    key, email = str(uuid.uuid4()), f"{uuid.uuid4().hex[:12]}@example.com"
    assert system.submit_review(review(kind, email=email), idempotency_key=key).status == 202
    system.cloud.drain(120)
    return key, email


def emails_to(system, email: str) -> list[Any]:
    return [m for m in system.cloud.emails() if m.destinations["ToAddresses"] == [email]]


def events(system, key: str, detail_type: str) -> list[dict[str, Any]]:
    return [
        e
        for e in system.cloud.eventbridge.events
        if e["detail-type"] == detail_type and e["detail"]["data"].get("reviewId") == key
    ]


def queue_depth(system, contains: str) -> int:
    sqs = system.cloud.client("sqs")
    url = system.cloud.resource("aws_sqs_queue", contains)["url"]
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def empty_parked(system) -> None:
    sqs = system.cloud.client("sqs")
    sqs.purge_queue(QueueUrl=system.cloud.resource("aws_sqs_queue", "recovery_parked")["url"])


@pytest.mark.slow
def test_a_thank_you_throttled_past_its_retries_is_sent_once_by_the_redrive(system, faults):
    # The workflow tries SES six times (one call and five retries): all throttled.
    faults.inject("sesv2", "SendEmail", times=6, **SES_THROTTLED)
    key, email = submitted(system)
    assert emails_to(system, email) == []
    assert queue_depth(system, "thank-you_retry") == 1
    recover(system, 1)
    assert len(emails_to(system, email)) == 1
    assert len(events(system, key, "ThankYouSent")) == 1
    assert queue_depth(system, "thank-you_retry") == 0


@pytest.mark.slow
def test_the_redrive_does_not_deliver_a_deferred_email_before_its_delay(system, faults):
    faults.inject("sesv2", "SendEmail", times=6, **SES_THROTTLED)
    _key, email = submitted(system)
    system.cloud.fire_schedule("recovery")
    system.cloud.drain(120)
    assert emails_to(system, email) == []
    recover(system, 1)
    assert len(emails_to(system, email)) == 1


@pytest.mark.slow
def test_a_thank_you_throttled_past_every_redrive_is_parked_with_delivery_abandoned_and_never_sent(system, faults):
    empty_parked(system)
    # First run and every redrive: six calls each.
    faults.inject("sesv2", "SendEmail", times=6 * (MAX_REDRIVES + 1), **SES_THROTTLED)
    key, email = submitted(system)
    recover(system, MAX_REDRIVES + 1)
    assert faults.pending("sesv2", "SendEmail") == 0
    assert emails_to(system, email) == []
    assert queue_depth(system, "thank-you_retry") == 0
    assert queue_depth(system, "recovery_parked") == 1
    [abandoned] = events(system, key, "DeliveryAbandoned")
    jsonschema.Draft4Validator(event_schema("delivery-abandoned")).validate(abandoned)
    assert abandoned["detail"]["data"]["redriveAttempts"] == MAX_REDRIVES
    assert abandoned["detail"]["data"]["targetArn"].endswith("-thankyou-send-thank-you")
    # Parked means parked: later runs leave it for the operator.
    recover(system, 1)
    assert queue_depth(system, "recovery_parked") == 1
    assert len(events(system, key, "DeliveryAbandoned")) == 1


@pytest.mark.slow
def test_a_rejected_recipient_is_not_deferred_the_execution_fails(system, faults):
    faults.inject("sesv2", "SendEmail", times=1, code="MessageRejected", message="Email address is not verified.")
    _key, email = submitted(system)
    assert queue_depth(system, "thank-you_retry") == 0
    recover(system, 1)
    assert emails_to(system, email) == []
    thank_you = system.cloud.resource("aws_sfn_state_machine", "thank-you")["arn"]
    sfn = system.cloud.client("stepfunctions")
    failed = sfn.list_executions(stateMachineArn=thank_you, statusFilter="FAILED")["executions"]
    assert failed, "the refused email should fail its execution, which raises the executions-failed alarm"


@pytest.mark.slow
def test_a_dead_lettered_analysed_review_is_delivered_again_and_thanked_once(system):
    thank_you = system.cloud.resource("aws_sfn_state_machine", "thank-you")["arn"]
    # The rule's retry policy: 8 retries. Every attempt fails, so the event is dead-lettered.
    system.cloud.eventbridge.fail_target(thank_you, times=9)
    key, email = submitted(system)
    assert queue_depth(system, "thank-you_on-review-analysed_dlq") == 1
    recover(system, 1)
    assert len(emails_to(system, email)) == 1
    assert len(events(system, key, "ThankYouSent")) == 1
    assert queue_depth(system, "thank-you_on-review-analysed_dlq") == 0


@pytest.mark.slow
def test_a_dead_letter_the_redrive_cannot_deliver_is_parked_after_its_receives(system, faults):
    empty_parked(system)
    thank_you = system.cloud.resource("aws_sfn_state_machine", "thank-you")["arn"]
    system.cloud.eventbridge.fail_target(thank_you, times=9)
    key, email = submitted(system)
    # The redrive's own StartExecution fails on every receive (with its retries: 4 calls per run).
    faults.inject(
        "sfn", "StartExecution", times=4 * MAX_RECEIVES, code="ServiceUnavailable", message="down", matching=thank_you
    )
    recover(system, MAX_RECEIVES + 1)
    assert faults.pending("sfn", "StartExecution") == 0
    assert emails_to(system, email) == []
    assert queue_depth(system, "recovery_parked") == 1
    [abandoned] = events(system, key, "DeliveryAbandoned")
    assert abandoned["detail"]["data"]["receiveCount"] == MAX_RECEIVES + 1
