"""End to end, offline, when things go wrong: throttled Comprehend, and a case nobody resolves in time."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from offline.comprehend.language import LanguageServices
from offline.engine.terraform import Stack
from tests.e2e import case_item, emails_to, failed_executions, listed, opened_case, resolve, review, system_for

pytestmark = pytest.mark.slow


def events_of(system, key: str, detail_type: str) -> list[dict]:
    return [
        e
        for e in system.cloud.eventbridge.events
        if e["detail"]["metadata"].get("idempotency-key") == key and e["detail-type"] == detail_type
    ]


def test_throttled_comprehend_is_retried_with_backoff_and_the_review_is_analysed(dev_stack_path):
    language, waits = LanguageServices(throttle=2), []
    with system_for(dev_stack_path, language=language, retry_waits=waits) as system:
        key = str(uuid.uuid4())
        assert system.submit_review(review("positive", email="retried@example.com"), key).status == 202
        system.cloud.drain(60)
        assert language.throttled["comprehend:BatchDetectSentiment"] == 2
        assert len(waits) == 2 and waits[1] >= 0
        assert len(events_of(system, key, "ReviewAnalysed")) == 1
        assert len([m for m in system.cloud.emails() if "retried@example.com" in m.destinations["ToAddresses"]]) == 1


def test_persistent_throttling_is_retried_through_the_queue_then_given_up_with_analysis_failed_and_a_dead_letter(
    dev_stack_path,
):
    language = LanguageServices(throttle=1000)
    # Retry waits recorded, not slept; a returned review is visible again after 1% of the visibility timeout.
    with system_for(dev_stack_path, language=language, retry_waits=[], visibility_scale=0.01) as system:
        key = str(uuid.uuid4())
        body = review("positive", email="throttled@example.com")
        assert system.submit_review(body, key).status == 202
        system.cloud.drain(300)
        [failed] = events_of(system, key, "ReviewAnalysisFailed")
        assert failed["detail"]["data"]["error"] == "Comprehend.ComprehendException"
        assert "given up after 5 receives" in failed["detail"]["data"]["cause"]
        assert {k: failed["detail"]["data"][k] for k in ("reviewerEmail", "text")} == {
            "reviewerEmail": body["reviewerEmail"],
            "text": body["text"],
        }
        # Five deliveries (analysis_max_receive_count), each one call and four retries, then the dead-letter queue.
        assert language.throttled["comprehend:BatchDetectSentiment"] == 25
        sqs = system.cloud.client("sqs")
        dlq = system.cloud.resource("aws_sqs_queue", "analysis/buffer/dlq")
        [dead] = sqs.receive_message(QueueUrl=dlq["url"]).get("Messages", [])
        assert json.loads(dead["Body"])["detail"]["data"]["reviewId"] == key
        bucket = system.cloud.resource("aws_s3_bucket", "audit/bucket")["bucket"]
        audited = [
            r["detail-type"]
            for r in system.cloud.json_lines(bucket, "events/")
            if r["detail"]["metadata"]["idempotency-key"] == key
        ]
        assert sorted(audited) == ["ReviewAnalysisFailed", "ReviewSubmitted"]
        assert system.cloud.emails() == []


def test_a_throttle_that_clears_before_the_last_delivery_ends_in_one_analysis(dev_stack_path):
    # Two deliveries' worth of throttles (5 calls each): the third delivery is analysed.
    language = LanguageServices(throttle=10)
    with system_for(dev_stack_path, language=language, retry_waits=[], visibility_scale=0.01) as system:
        key = str(uuid.uuid4())
        assert system.submit_review(review("positive", email="later@example.com"), key).status == 202
        system.cloud.drain(300)
        assert len(events_of(system, key, "ReviewAnalysed")) == 1
        assert events_of(system, key, "ReviewAnalysisFailed") == []
        assert len([m for m in system.cloud.emails() if "later@example.com" in m.destinations["ToAddresses"]]) == 1


def with_case_timeout(stack_path, seconds: int) -> Stack:
    """The synthesized dev stack with the case workflow's timeout shortened, so escalation happens in a test."""
    stack = json.loads(stack_path.read_text())
    for machine in stack["resource"]["aws_sfn_state_machine"].values():
        definition = json.loads(machine["definition"])
        if "WaitForAgent" in definition["States"]:
            definition["States"]["WaitForAgent"]["TimeoutSeconds"] = seconds
            machine["definition"] = json.dumps(definition)
    return Stack(stack, directory=stack_path.parent)


def test_a_case_nobody_resolves_in_time_escalates_and_an_agent_can_still_resolve_it(dev_stack_path):
    with system_for(with_case_timeout(dev_stack_path, 1)) as system:
        key = str(uuid.uuid4())
        assert system.submit_review(review("negative", email="late@example.com"), key).status == 202
        deadline = time.monotonic() + 30
        while not events_of(system, key, "CaseEscalated") and time.monotonic() < deadline:
            time.sleep(0.1)
        system.cloud.drain(60)
        [escalated] = events_of(system, key, "CaseEscalated")
        assert escalated["detail"]["metadata"] == {"idempotency-key": key}
        item = case_item(system, key)
        assert item["status"]["S"] == "ESCALATED" and item["callbackToken"]["S"]
        assert [m for m in system.cloud.emails() if m.destinations["ToAddresses"] == ["escalations@example.com"]]
        token = system.sign_in(*system.create_agent())
        cases = system.request("GET", "/cases", headers={"Authorization": token}).body["cases"]
        assert [c["status"] for c in cases if c["caseId"] == key] == ["ESCALATED"]
        answer = system.request(
            "POST", f"/cases/{key}/resolution", {"note": "Sorry for the wait."}, {"Authorization": token}
        )
        assert answer.status == 200
        system.cloud.drain(60)
        assert len(events_of(system, key, "CaseResolved")) == 1
        assert [m for m in system.cloud.emails() if m.destinations["ToAddresses"] == ["late@example.com"]]


def with_waits(stack_path, seconds: int) -> Stack:
    """The synthesized dev stack with both of the case workflow's waits shortened to ``seconds``."""
    stack = json.loads(stack_path.read_text())
    for machine in stack["resource"]["aws_sfn_state_machine"].values():
        definition = json.loads(machine["definition"])
        for state in ("WaitForAgent", "WaitEscalated"):
            if state in definition["States"]:
                definition["States"][state]["TimeoutSeconds"] = seconds
        machine["definition"] = json.dumps(definition)
    return Stack(stack, directory=stack_path.parent)


def test_an_escalated_case_nobody_resolves_expires_leaves_the_list_and_is_refused_with_a_reason(dev_stack_path):
    with system_for(with_waits(dev_stack_path, 1)) as system:
        key = str(uuid.uuid4())
        assert system.submit_review(review("negative", email="expired@example.com"), key).status == 202
        deadline = time.monotonic() + 60
        while not events_of(system, key, "CaseExpired") and time.monotonic() < deadline:
            time.sleep(0.1)
        system.cloud.drain(60)
        [expired] = events_of(system, key, "CaseExpired")
        assert len(events_of(system, key, "CaseEscalated")) == 1
        assert expired["detail"]["data"]["caseId"] == key
        item = case_item(system, key)
        assert item["status"]["S"] == "EXPIRED" and "queue" not in item and "callbackToken" not in item
        agent = {"Authorization": system.sign_in(*system.create_agent())}
        assert listed(system, agent, key) == []
        answer = resolve(system, agent, key)
        assert (answer.status, answer.body["reason"]) == (409, "CaseExpired")
        assert "expired" in answer.body["message"]
        assert emails_to(system, "expired@example.com") == []
        assert failed_executions(system) == []


def without_the_case_desk(stack_path) -> Stack:
    """The synthesized dev stack with the case desk's rule target removed: CaseOpened reaches only the audit."""
    stack = json.loads(stack_path.read_text())
    targets = stack["resource"]["aws_cloudwatch_event_target"]
    [desk] = [name for name in targets if "on-case-event" in name or "desk" in name]
    del targets[desk]
    return Stack(stack, directory=stack_path.parent)


def test_a_case_whose_case_opened_never_reaches_the_desk_is_listed_and_resolvable_at_once(dev_stack_path):
    with system_for(without_the_case_desk(dev_stack_path)) as system:
        agent = {"Authorization": system.sign_in(*system.create_agent())}
        key = opened_case(system, email="undelivered@example.com")
        assert len(events_of(system, key, "CaseOpened")) == 1
        assert emails_to(system, "support@example.com") == []
        [shown] = listed(system, agent, key)
        assert shown["status"] == "OPEN"
        answer = resolve(system, agent, key)
        assert (answer.status, answer.body["followUp"]) == (200, "SENT")
        system.cloud.drain(60)
        assert len(emails_to(system, "undelivered@example.com")) == 1
