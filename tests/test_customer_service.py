"""Customer service: the case workflow, the case desk and resolve-case executed together on moto
(the callback token's whole round trip), and their synthesized wiring."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from modules.common import event_schema
from modules.customer_service import OPEN_CASE_ATTRIBUTES
from tests.events import negative_review_analysed
from tests.sfn_harness import BUS, CONFIGURATION_SET, SENDER, Harness, aws
from tests.tf import decoded, only, references

CASES = "cases"
SUPPORT = "support@example.com"
ESCALATION = "escalations@example.com"


class Desk:
    """The three customer-service workflows on one harness; events are handed on as the rules would."""

    def __init__(self, harness: Harness, timeout_seconds: int = 3600):
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
                "FollowUpTemplateName": "follow-up",
                **email,
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
        self.resolver = harness.state_machine("resolve-case", {"CasesTableName": CASES}, kind="EXPRESS")

    def open(self, analysed: dict[str, Any]) -> str:
        """Start the case workflow and wait until it waits for an agent; return its execution ARN."""
        execution = self.harness.start(self.case, analysed)
        self.harness.wait(execution, until={"RUNNING"})
        self._until_published("CaseOpened")
        return execution

    def record(self, detail_type: str) -> dict[str, Any]:
        """Deliver the latest case event to the case desk, as the desk rule would."""
        latest = self._until_published(detail_type)[-1]
        return self.harness.run(self.desk, latest)

    def resolve(self, case_id: str, note: str = "Refunded, and a fresh pizza is on its way.") -> dict[str, Any]:
        return self.harness.run(
            self.resolver, {"caseId": case_id, "note": note, "agent": "agent-7", "agentEmail": "agent@example.com"}
        )

    def case_item(self, case_id: str = "review-1") -> dict[str, Any] | None:
        return self.harness.item(CASES, "caseId", case_id)

    def _until_published(self, detail_type: str) -> list[dict[str, Any]]:
        import time

        for _ in range(200):
            found = self.harness.published(detail_type)
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no {detail_type} published")


@pytest.fixture
def desk():
    with aws() as harness:
        yield Desk(harness)


def test_a_negative_review_opens_a_case_whose_event_carries_the_callback_token(desk):
    desk.open(negative_review_analysed())
    [opened] = desk.harness.published("CaseOpened")
    assert opened["detail"]["metadata"]["idempotency-key"] == "review-1"
    assert opened["detail"]["metadata"]["callbackToken"]
    jsonschema.Draft4Validator(event_schema("case-opened")).validate(opened)


def test_the_case_workflow_waits_for_an_agent(desk):
    execution = desk.open(negative_review_analysed())
    assert desk.harness.sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"


def test_the_case_desk_records_the_case_with_its_token_and_emails_support_without_it(desk):
    desk.open(negative_review_analysed())
    assert desk.record("CaseOpened")["status"] == "SUCCEEDED"
    item = desk.case_item()
    token = desk.harness.published("CaseOpened")[0]["detail"]["metadata"]["callbackToken"]
    assert (item["status"]["S"], item["queue"]["S"], item["callbackToken"]["S"]) == ("OPEN", "OPEN", token)
    [email] = desk.harness.emails()
    assert email.destinations == {"ToAddresses": [SUPPORT]}
    assert token not in email.html + email.text + email.subject


def test_resolving_a_case_resumes_the_workflow_which_follows_up_and_publishes_case_resolved(desk):
    execution = desk.open(negative_review_analysed())
    desk.record("CaseOpened")
    resolved = desk.resolve("review-1")
    assert resolved["status"] == "SUCCEEDED"
    assert desk.harness.wait(execution)["status"] == "SUCCEEDED"
    follow_up = [e for e in desk.harness.emails() if e.destinations == {"ToAddresses": ["ada@example.com"]}]
    assert len(follow_up) == 1 and "Refunded, and a fresh pizza is on its way." in follow_up[0].text
    [case_resolved] = desk.harness.published("CaseResolved")
    assert case_resolved["detail"]["data"]["resolution"] == {
        "note": case_resolved["detail"]["data"]["resolution"]["note"],
        "agent": "agent-7",
        "agentEmail": "agent@example.com",
    }
    jsonschema.Draft4Validator(event_schema("case-resolved")).validate(case_resolved)


def test_a_resolved_case_loses_its_token_and_leaves_the_open_queue(desk):
    desk.open(negative_review_analysed())
    desk.record("CaseOpened")
    desk.resolve("review-1")
    item = desk.case_item()
    assert item["status"]["S"] == "RESOLVED"
    assert "callbackToken" not in item and "queue" not in item


def test_resolving_an_unknown_case_fails_with_case_not_found(desk):
    result = desk.resolve("no-such-case")
    assert (result["status"], result["error"]) == ("FAILED", "CaseNotFound")


def test_resolving_a_case_twice_fails_with_case_already_resolved(desk):
    desk.open(negative_review_analysed())
    desk.record("CaseOpened")
    desk.resolve("review-1")
    result = desk.resolve("review-1")
    assert (result["status"], result["error"]) == ("FAILED", "CaseAlreadyResolved")


def test_a_duplicate_delivery_opens_no_second_case(desk):
    desk.open(negative_review_analysed())
    duplicate = desk.harness.run(desk.case, negative_review_analysed())
    assert duplicate["status"] == "SUCCEEDED"
    assert len(desk.harness.published("CaseOpened")) == 1


def test_a_case_not_resolved_in_time_escalates_with_a_new_token_and_can_still_be_resolved():
    with aws() as harness:
        desk = Desk(harness, timeout_seconds=1)
        execution = desk.open(negative_review_analysed())
        escalated = desk._until_published("CaseEscalated")[-1]
        assert (
            escalated["detail"]["metadata"]["callbackToken"]
            != harness.published("CaseOpened")[0]["detail"]["metadata"]["callbackToken"]
        )
        jsonschema.Draft4Validator(event_schema("case-escalated")).validate(escalated)
        desk.record("CaseOpened")
        desk.record("CaseEscalated")
        assert desk.case_item()["status"]["S"] == "ESCALATED"
        assert any(e.destinations == {"ToAddresses": [ESCALATION]} for e in harness.emails())
        assert desk.resolve("review-1")["status"] == "SUCCEEDED"
        assert harness.wait(execution)["status"] == "SUCCEEDED"


def test_the_case_workflow_is_standard_so_it_can_wait_for_days(dev, dev_config):
    _, machine = only(dev, "aws_sfn_state_machine", "case-workflow")
    assert machine["type"] == "STANDARD"
    definition = decoded(machine, "definition")
    assert definition["States"]["WaitForAgent"]["TimeoutSeconds"] == dev_config.customer_service.case_timeout_seconds


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


def test_a_case_event_arriving_after_resolution_does_not_reopen_the_case(desk):
    desk.open(negative_review_analysed())
    desk.record("CaseOpened")
    desk.resolve("review-1")
    emails_before = len(desk.harness.emails())
    late = desk.record("CaseOpened")
    assert late["status"] == "SUCCEEDED"
    assert desk.case_item()["status"]["S"] == "RESOLVED"
    assert len(desk.harness.emails()) == emails_before


def test_a_follow_up_that_ses_refuses_fails_the_case_workflow_after_retries():
    from offline.engine.aws import aws_error

    def refuse(params):
        if params["Content"]["Template"]["TemplateName"] == "follow-up":
            raise aws_error("sesv2", "SendEmail", "TooManyRequestsException", "slow down")
        raise aws_error("sesv2", "SendEmail", "NotFoundException", "only the follow-up is under test")

    waits: list[float] = []
    with aws({("sesv2", "sendEmail"): refuse}, retry_waits=waits) as harness:
        desk = Desk(harness)
        execution = desk.open(negative_review_analysed())
        # The desk's notification fails too (refused above); the case is recorded before it, so resolve works.
        desk.record("CaseOpened")
        assert desk.resolve("review-1")["status"] == "SUCCEEDED"
        finished = harness.wait(execution)
        assert finished["status"] == "FAILED"
        assert waits == [2.0, 4.0, 8.0, 16.0, 32.0]  # MaxAttempts 5, doubling from 2 s
        assert harness.published("CaseResolved") == []


def test_an_agents_email_changes_only_once_verified_and_the_console_cannot_write_it(dev):
    _, pool = only(dev, "aws_cognito_user_pool", "agents")
    assert pool["user_attribute_update_settings"] == {"attributes_require_verification_before_update": ["email"]}
    _, client = only(dev, "aws_cognito_user_pool_client", "console")
    assert client["write_attributes"] == ["name"]
    assert set(client["read_attributes"]) == {"email", "email_verified", "name"}
