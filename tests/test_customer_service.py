"""Customer service: the case workflow, the case desk and resolve-case executed together on moto
(the callback token's whole round trip through the cases table), and their synthesized wiring."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jsonschema
import pytest

from modules.common import event_schema
from modules.customer_service import OPEN_CASE_ATTRIBUTES
from offline.engine.aws import aws_error
from tests.events import negative_review_analysed
from tests.sfn_harness import BUS, CONFIGURATION_SET, SENDER, Harness, aws
from tests.tf import decoded, only, references

CASES = "cases"
SUPPORT = "support@example.com"
ESCALATION = "escalations@example.com"
REVIEWER = "ada@example.com"
NOTE = "Refunded, and a fresh pizza is on its way."


class Desk:
    """The three customer-service workflows on one harness; events are handed on as the rules would."""

    def __init__(self, harness: Harness, timeout_seconds: int = 3600, escalation_seconds: int = 3600):
        self.harness = harness
        harness.create_table(CASES, "caseId")
        for stem in ("follow-up", "case-opened", "case-escalated"):
            harness.create_template(stem, stem)
        email = {"SenderEmail": SENDER, "ConfigurationSetName": CONFIGURATION_SET}
        self.case = harness.state_machine(
            "handle-negative-review",
            {
                "EventBusName": BUS,
                "CasesTableName": CASES,
                "CaseTimeoutSeconds": timeout_seconds,
                "EscalationTimeoutSeconds": escalation_seconds,
            },
        )
        self.desk = harness.state_machine(
            "record-case",
            {
                "CasesTableName": CASES,
                "SupportEmail": SUPPORT,
                "EscalationEmail": ESCALATION,
                "CaseOpenedTemplateName": "case-opened",
                "CaseEscalatedTemplateName": "case-escalated",
                **email,
            },
            kind="EXPRESS",
        )
        self.resolver = harness.state_machine(
            "resolve-case",
            {"CasesTableName": CASES, "EventBusName": BUS, "FollowUpTemplateName": "follow-up", **email},
            kind="EXPRESS",
        )

    def open(self, analysed: dict[str, Any]) -> str:
        """Start the case workflow and wait until it waits for an agent; return its execution ARN."""
        execution = self.harness.start(self.case, analysed)
        self.until_published("CaseOpened")
        self.until(lambda item: "callbackToken" in item)
        return execution

    def record(self, detail_type: str) -> dict[str, Any]:
        """Deliver the latest case event to the case desk, as the desk rule would."""
        latest = self.until_published(detail_type)[-1]
        return self.harness.run(self.desk, latest)

    def resolve(self, case_id: str = "review-1", note: str = NOTE) -> dict[str, Any]:
        """Run resolve-case as the API does; the finished execution, with its parsed output as ``outcome``."""
        import json

        finished = self.harness.run(
            self.resolver, {"caseId": case_id, "note": note, "agent": "agent-7", "agentEmail": "agent@example.com"}
        )
        return {**finished, "outcome": json.loads(finished["output"]) if "output" in finished else None}

    def case_item(self, case_id: str = "review-1") -> dict[str, Any] | None:
        return self.harness.item(CASES, "caseId", case_id)

    def until(self, holds: Any, case_id: str = "review-1") -> dict[str, Any]:
        for _ in range(400):
            item = self.case_item(case_id)
            if item is not None and holds(item):
                return item
            time.sleep(0.05)
        raise AssertionError(f"case {case_id} never reached the state awaited: {self.case_item(case_id)}")

    def until_published(self, detail_type: str) -> list[dict[str, Any]]:
        for _ in range(400):
            found = self.harness.published(detail_type)
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no {detail_type} published")

    def follow_ups(self) -> list[Any]:
        return [e for e in self.harness.emails() if e.destinations == {"ToAddresses": [REVIEWER]}]


@pytest.fixture
def desk():
    with aws() as harness:
        yield Desk(harness)


def test_a_negative_review_records_a_visible_case_before_anything_is_delivered(desk):
    execution = desk.harness.start(desk.case, negative_review_analysed())
    item = desk.until(lambda item: "callbackToken" in item)
    assert (item["status"]["S"], item["queue"]["S"], item["text"]["S"]) == (
        "OPEN",
        "OPEN",
        negative_review_analysed()["detail"]["data"]["text"],
    )
    assert item["workflow"]["S"] == execution
    assert desk.harness.sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"


def test_case_opened_carries_the_case_and_no_callback_token(desk):
    desk.open(negative_review_analysed())
    [opened] = desk.harness.published("CaseOpened")
    assert opened["detail"]["metadata"] == {"idempotency-key": "review-1"}
    jsonschema.Draft4Validator(event_schema("case-opened")).validate(opened)


def test_the_case_desk_emails_support_and_never_writes_the_case(desk):
    desk.open(negative_review_analysed())
    before = desk.case_item()
    assert desk.record("CaseOpened")["status"] == "SUCCEEDED"
    assert desk.case_item() == before
    [email] = desk.harness.emails()
    assert email.destinations == {"ToAddresses": [SUPPORT]}
    assert before["callbackToken"]["S"] not in email.html + email.text + email.subject


def test_resolving_a_case_resumes_the_workflow_emails_the_reviewer_and_publishes_case_resolved(desk):
    execution = desk.open(negative_review_analysed())
    resolved = desk.resolve()
    assert resolved["status"] == "SUCCEEDED"
    assert resolved["outcome"]["outcome"] == "Resolved" and resolved["outcome"]["followUp"] == "SENT"
    assert desk.harness.wait(execution)["status"] == "SUCCEEDED"
    [follow_up] = desk.follow_ups()
    assert NOTE in follow_up.text
    [case_resolved] = desk.harness.published("CaseResolved")
    assert case_resolved["detail"]["data"]["resolution"] == {
        "note": NOTE,
        "agent": "agent-7",
        "agentEmail": "agent@example.com",
    }
    assert case_resolved["detail"]["data"]["followUpMessageId"] == follow_up.id
    jsonschema.Draft4Validator(event_schema("case-resolved")).validate(case_resolved)


def test_a_resolved_and_emailed_case_loses_its_token_and_leaves_the_open_queue(desk):
    desk.open(negative_review_analysed())
    desk.resolve()
    item = desk.case_item()
    assert (item["status"]["S"], item["followUp"]["S"]) == ("RESOLVED", "SENT")
    assert "callbackToken" not in item and "queue" not in item


def test_resolving_an_unknown_case_succeeds_with_the_outcome_case_not_found(desk):
    result = desk.resolve("no-such-case")
    assert (result["status"], result["outcome"]) == ("SUCCEEDED", {"outcome": "CaseNotFound"})


def test_resolving_a_case_twice_succeeds_with_the_outcome_case_already_resolved(desk):
    desk.open(negative_review_analysed())
    desk.resolve()
    result = desk.resolve()
    assert (result["status"], result["outcome"]) == ("SUCCEEDED", {"outcome": "CaseAlreadyResolved"})
    assert len(desk.follow_ups()) == 1


def test_ten_agents_resolving_one_case_at_once_make_one_resolution_and_no_failed_execution(desk):
    desk.open(negative_review_analysed())
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda i: desk.resolve(note=f"Note {i}"), range(10)))
    assert Counter(r["status"] for r in results) == {"SUCCEEDED": 10}
    assert Counter(r["outcome"]["outcome"] for r in results) == {"Resolved": 1, "CaseAlreadyResolved": 9}
    assert len(desk.follow_ups()) == 1 and len(desk.harness.published("CaseResolved")) == 1


def test_a_duplicate_delivery_opens_no_second_case(desk):
    desk.open(negative_review_analysed())
    duplicate = desk.harness.run(desk.case, negative_review_analysed())
    assert duplicate["status"] == "SUCCEEDED"
    assert len(desk.harness.published("CaseOpened")) == 1


def test_a_case_not_resolved_in_time_escalates_with_a_new_token_and_can_still_be_resolved():
    with aws() as harness:
        desk = Desk(harness, timeout_seconds=1)
        execution = desk.open(negative_review_analysed())
        first = desk.case_item()["callbackToken"]["S"]
        escalated = desk.until_published("CaseEscalated")[-1]
        assert escalated["detail"]["metadata"] == {"idempotency-key": "review-1"}
        assert (escalated["detail"]["data"]["timeoutSeconds"], escalated["detail"]["data"]["expiresAfterSeconds"]) == (
            1,
            3600,
        )
        jsonschema.Draft4Validator(event_schema("case-escalated")).validate(escalated)
        item = desk.until(lambda item: item["status"]["S"] == "ESCALATED" and "callbackToken" in item)
        assert item["callbackToken"]["S"] != first and item["queue"]["S"] == "OPEN"
        desk.record("CaseEscalated")
        assert any(e.destinations == {"ToAddresses": [ESCALATION]} for e in harness.emails())
        assert desk.resolve()["outcome"]["outcome"] == "Resolved"
        assert harness.wait(execution)["status"] == "SUCCEEDED"


def test_an_escalated_case_nobody_resolves_expires_leaves_the_queue_and_cannot_be_resolved():
    with aws() as harness:
        desk = Desk(harness, timeout_seconds=1, escalation_seconds=1)
        execution = desk.harness.start(desk.case, negative_review_analysed())
        assert harness.wait(execution)["status"] == "SUCCEEDED"
        [expired] = harness.published("CaseExpired")
        jsonschema.Draft4Validator(event_schema("case-expired")).validate(expired)
        item = desk.case_item()
        assert item["status"]["S"] == "EXPIRED" and "queue" not in item and "callbackToken" not in item
        result = desk.resolve()
        assert (result["status"], result["outcome"]) == ("SUCCEEDED", {"outcome": "CaseExpired"})
        assert desk.follow_ups() == []


def test_a_case_whose_workflow_was_stopped_is_closed_when_an_agent_tries_to_resolve_it(desk):
    execution = desk.open(negative_review_analysed())
    desk.harness.sfn.stop_execution(executionArn=execution)
    result = desk.resolve()
    assert (result["status"], result["outcome"]) == ("SUCCEEDED", {"outcome": "CaseClosed"})
    item = desk.case_item()
    assert item["status"]["S"] == "CLOSED" and "queue" not in item and "resolvedAt" not in item
    assert desk.follow_ups() == []
    assert desk.resolve()["outcome"] == {"outcome": "CaseClosed"}


def test_a_case_event_arriving_after_resolution_emails_nobody(desk):
    desk.open(negative_review_analysed())
    desk.resolve()
    emails_before = len(desk.harness.emails())
    late = desk.record("CaseOpened")
    assert late["status"] == "SUCCEEDED"
    assert desk.case_item()["status"]["S"] == "RESOLVED"
    assert len(desk.harness.emails()) == emails_before


class FollowUps:
    """SESv2 SendEmail for the harness: the follow-up fails with ``error`` until ``error`` is None."""

    def __init__(self, code: str, message: str):
        self.error: tuple[str, str] | None = (code, message)
        self.sent: list[dict[str, Any]] = []

    def __call__(self, params: dict[str, Any]) -> dict[str, Any]:
        if params["Content"]["Template"]["TemplateName"] == "follow-up" and self.error is not None:
            raise aws_error("sesv2", "SendEmail", *self.error)
        self.sent.append(params)
        return {"MessageId": f"message-{len(self.sent)}"}


def test_a_follow_up_ses_throttles_past_its_retries_is_recorded_failed_and_the_case_stays_listed():
    ses = FollowUps("TooManyRequestsException", "Maximum sending rate exceeded.")
    waits: list[float] = []
    with aws({("sesv2", "sendEmail"): ses}, retry_waits=waits) as harness:
        desk = Desk(harness)
        execution = desk.open(negative_review_analysed())
        result = desk.resolve()
        assert result["status"] == "SUCCEEDED"
        assert result["outcome"] == {
            "outcome": "FollowUpFailed",
            "caseId": "review-1",
            "status": "RESOLVED",
            "resolvedAt": result["outcome"]["resolvedAt"],
            "followUp": "FAILED",
            "followUpError": "SesV2.TooManyRequestsException",
        }
        assert waits == [1.0, 2.0, 4.0]  # MaxAttempts 3, doubling from 1 s: the agent waits for the answer
        item = desk.case_item()
        assert (item["status"]["S"], item["followUp"]["S"], item["queue"]["S"]) == ("RESOLVED", "FAILED", "OPEN")
        assert harness.published("CaseResolved") == []
        [failed] = harness.published("CaseFollowUpFailed")
        jsonschema.Draft4Validator(event_schema("case-follow-up-failed")).validate(failed)
        # The case workflow is done either way: the resolution itself stands.
        assert harness.wait(execution)["status"] == "SUCCEEDED"


def test_a_follow_up_refused_for_a_sandboxed_recipient_is_not_retried_and_can_be_sent_again():
    ses = FollowUps("MessageRejected", f"Email address is not verified: {REVIEWER}")
    waits: list[float] = []
    with aws({("sesv2", "sendEmail"): ses}, retry_waits=waits) as harness:
        desk = Desk(harness)
        desk.open(negative_review_analysed())
        first = desk.resolve()["outcome"]
        assert (first["followUp"], first["followUpError"]) == ("FAILED", "SesV2.MessageRejectedException")
        assert waits == []
        ses.error = None
        again = desk.resolve(note="Sorry for the trouble: refunded in full.")
        kept = {key: value for key, value in first.items() if key != "followUpError"}
        assert again["outcome"] == {**kept, "outcome": "Resolved", "followUp": "SENT"}
        [sent] = [p for p in ses.sent if p["Content"]["Template"]["TemplateName"] == "follow-up"]
        assert "refunded in full" in sent["Content"]["Template"]["TemplateData"]
        item = desk.case_item()
        assert item["followUp"]["S"] == "SENT" and "queue" not in item and "followUpError" not in item
        [resolved] = harness.published("CaseResolved")
        assert resolved["detail"]["data"]["resolvedAt"] == first["resolvedAt"]
        assert desk.resolve()["outcome"] == {"outcome": "CaseAlreadyResolved"}


def test_the_case_workflow_is_standard_so_it_can_wait_for_days(dev, dev_config):
    _, machine = only(dev, "aws_sfn_state_machine", "case-workflow")
    assert machine["type"] == "STANDARD"
    definition = decoded(machine, "definition")
    timeout = dev_config.customer_service.case_timeout_seconds
    assert definition["States"]["WaitForAgent"]["TimeoutSeconds"] == timeout
    # The escalated wait ends too, within Step Functions' one-year execution limit.
    assert definition["States"]["WaitEscalated"]["TimeoutSeconds"] == timeout
    assert 2 * timeout < 365 * 24 * 3600


def test_the_open_cases_index_never_holds_the_callback_token(dev):
    _, table = only(dev, "aws_dynamodb_table", "cases")
    [index] = table["global_secondary_index"]
    assert index["projection_type"] == "INCLUDE"
    assert "callbackToken" not in index["non_key_attributes"]
    assert set(index["non_key_attributes"]) == set(OPEN_CASE_ATTRIBUTES)


def test_only_the_case_workflow_may_receive_task_success_from_resolve_case(dev):
    _, policy = only(dev, "aws_iam_role_policy", "resolve-workflow")
    [resume] = [s for s in decoded(policy, "policy")["Statement"] if "states:SendTaskSuccess" in s["Action"]]
    [(kind, name, attribute)] = [ref for resource in resume["Resource"] for ref in references(resource)]
    case_machine, _ = only(dev, "aws_sfn_state_machine", "case-workflow")
    assert (kind, name, attribute) == ("aws_sfn_state_machine", case_machine, "arn")


def test_agents_are_created_by_admins_only_with_strong_passwords(dev):
    _, pool = only(dev, "aws_cognito_user_pool", "agents")
    assert pool["admin_create_user_config"]["allow_admin_create_user_only"] is True
    assert pool["password_policy"]["minimum_length"] >= 12


def test_an_agents_email_changes_only_once_verified_and_the_console_cannot_write_it(dev):
    _, pool = only(dev, "aws_cognito_user_pool", "agents")
    assert pool["user_attribute_update_settings"] == {"attributes_require_verification_before_update": ["email"]}
    _, client = only(dev, "aws_cognito_user_pool_client", "console")
    assert client["write_attributes"] == ["name"]
    assert set(client["read_attributes"]) == {"email", "email_verified", "name"}
