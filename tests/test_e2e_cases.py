"""End to end, offline, for cases: the dev stack driven through its HTTP API when agents race, when the follow-up
email fails, when a case's workflow is stopped, and when there are more open cases than one DynamoDB page holds.
Cases that expire, and cases whose CaseOpened never reaches the case desk, need stacks of their own: they are in
tests/test_e2e_failures.py."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from unittest import mock
from urllib.parse import quote

import pytest

from offline.ses import templates
from tests.e2e import (
    all_pages,
    case_item,
    emails_to,
    events_of,
    failed_executions,
    listed,
    opened_case,
    resolve,
    review,
    system_for,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def system(dev_stack_path):
    with system_for(dev_stack_path) as running:
        yield running


@pytest.fixture(scope="module")
def agent(system) -> dict[str, str]:
    return {"Authorization": system.sign_in(*system.create_agent("agent@example.com"))}


@contextmanager
def sandboxed(*recipients: str) -> Iterator[list[str]]:
    """SES refuses mail to ``recipients`` as an account in the sandbox refuses an unverified address
    (MessageRejected, https://docs.aws.amazon.com/ses/latest/dg/request-production-access.html); returns the list of
    refused sends."""
    refused: list[str] = []
    send: Callable[[Any], str] = templates._send_templated_email

    def refusing(response: Any) -> str:
        from moto.ses.exceptions import MessageRejectedError

        addresses = json.loads(response.body).get("Destination", {}).get("ToAddresses", [])
        blocked = [address for address in addresses if address in recipients]
        if blocked:
            refused.extend(blocked)
            raise MessageRejectedError(
                f"Email address is not verified. The following identities failed the check in region "
                f"{response.region.upper()}: {', '.join(blocked)}"
            )
        return send(response)

    with mock.patch.object(templates, "_send_templated_email", refusing):
        yield refused


# --- agents racing ------------------------------------------------------------------------------------------------


def test_ten_agents_resolving_one_case_at_once_get_one_200_and_nine_409s_and_no_execution_fails(system, agent):
    key = opened_case(system, email="race@example.com")
    before = failed_executions(system)
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda i: resolve(system, agent, key, f"Note {i}"), range(10)))
    system.cloud.drain(120)
    assert Counter(a.status for a in answers) == {200: 1, 409: 9}
    [won] = [a for a in answers if a.status == 200]
    assert (won.body["status"], won.body["followUp"]) == ("RESOLVED", "SENT")
    assert {a.body["reason"] for a in answers if a.status == 409} == {"CaseAlreadyResolved"}
    assert len(emails_to(system, "race@example.com")) == 1
    assert len(events_of(system, key, "CaseResolved")) == 1
    assert failed_executions(system) == before


def test_unknown_and_resolved_cases_answer_404_and_409_without_a_failed_execution(system, agent):
    key = opened_case(system)
    before = failed_executions(system)
    assert resolve(system, agent, f"no-such-case-{uuid.uuid4()}").status == 404
    assert resolve(system, agent, key).status == 200
    again = resolve(system, agent, key)
    assert (again.status, again.body["reason"]) == (409, "CaseAlreadyResolved")
    system.cloud.drain(60)
    assert failed_executions(system) == before


# --- the follow-up email ------------------------------------------------------------------------------------------


def test_a_follow_up_ses_refuses_is_reported_listed_as_failed_and_can_be_sent_again(system, agent):
    key = opened_case(system, email="sandboxed@example.com")
    with sandboxed("sandboxed@example.com") as refused:
        answer = resolve(system, agent, key, "Refunded in full.")
    assert answer.status == 200
    assert (answer.body["status"], answer.body["followUp"], answer.body["followUpError"]) == (
        "RESOLVED",
        "FAILED",
        "SesV2.MessageRejectedException",
    )
    assert refused == ["sandboxed@example.com"]  # refused for good: not retried
    [shown] = listed(system, agent, key)
    assert (shown["status"], shown["followUp"], shown["followUpError"], shown["resolutionNote"]) == (
        "RESOLVED",
        "FAILED",
        "SesV2.MessageRejectedException",
        "Refunded in full.",
    )
    system.cloud.drain(60)
    assert events_of(system, key, "CaseResolved") == []
    assert len(events_of(system, key, "CaseFollowUpFailed")) == 1

    again = resolve(system, agent, key, "Refunded in full, and sorry for the wait.")
    assert (again.status, again.body["followUp"]) == (200, "SENT")
    assert again.body["resolvedAt"] == answer.body["resolvedAt"]
    system.cloud.drain(60)
    [follow_up] = emails_to(system, "sandboxed@example.com")
    assert "sorry for the wait" in follow_up.text
    assert listed(system, agent, key) == []
    assert len(events_of(system, key, "CaseResolved")) == 1
    assert resolve(system, agent, key).body["reason"] == "CaseAlreadyResolved"


# --- a case's end -------------------------------------------------------------------------------------------------


def test_a_case_whose_workflow_was_stopped_is_closed_on_resolution_and_leaves_the_list(system, agent):
    key = opened_case(system, email="stopped@example.com")
    workflow = case_item(system, key)["workflow"]["S"]
    system.cloud.client("stepfunctions").stop_execution(executionArn=workflow)
    answer = resolve(system, agent, key)
    assert (answer.status, answer.body["reason"]) == (409, "CaseClosed")
    assert case_item(system, key)["status"]["S"] == "CLOSED"
    assert listed(system, agent, key) == []
    assert emails_to(system, "stopped@example.com") == []


# --- many open cases ----------------------------------------------------------------------------------------------

MANY = 250
LONG_TEXT = ("Cold, soggy and an hour late. The worst pizza I have ever ordered. " * 80)[:5000]


@pytest.fixture(scope="module")
def crowded(system, agent):
    """MANY more open cases of 5,000-byte texts: above 1.25 MB of open cases, more than one DynamoDB page holds."""
    keys = [str(uuid.uuid4()) for _ in range(MANY)]

    def submit(key: str) -> int:
        body = {**review("negative", email=f"{key}@example.com"), "text": LONG_TEXT}
        return int(system.submit_review(body, idempotency_key=key).status)

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert set(pool.map(submit, keys)) == {202}
    system.cloud.drain(600)
    return system, agent, keys


def test_the_open_cases_are_more_than_one_dynamodb_page_holds(crowded):
    system, _, keys = crowded
    table = system.cloud.resource("aws_dynamodb_table", "cases")["name"]
    page = system.cloud.client("dynamodb").query(
        TableName=table,
        IndexName="open-cases",
        KeyConditionExpression="#queue = :open",
        ExpressionAttributeNames={"#queue": "queue"},
        ExpressionAttributeValues={":open": {"S": "OPEN"}},
    )
    assert page["Count"] < len(keys) and "LastEvaluatedKey" in page


@pytest.mark.parametrize("limit", [100, 37])
def test_every_open_case_is_listed_once_newest_first_across_pages(crowded, limit):
    system, agent, keys = crowded
    cases = all_pages(system, agent, limit=limit)
    ids = [case["caseId"] for case in cases]
    assert len(ids) == len(set(ids)) and set(keys) <= set(ids)
    opened = [case["openedAt"] for case in cases]
    assert opened == sorted(opened, reverse=True)
    assert all(case["text"] == LONG_TEXT for case in cases if case["caseId"] in keys)


def test_the_default_page_holds_50_cases_and_a_token_for_the_rest(crowded):
    system, agent, _ = crowded
    answer = system.request("GET", "/cases", headers=agent)
    assert answer.status == 200 and len(answer.body["cases"]) == 50 and answer.body["nextToken"]


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "limit=ten", "next=not-a-token", "next=" + quote("aGVsbG8=", safe=""), "limit=5&next=%25"],
)
def test_a_bad_page_request_answers_400_with_the_reason(crowded, query):
    system, agent, _ = crowded
    answer = system.request("GET", f"/cases?{query}", headers=agent)
    assert answer.status == 400, answer.body
    assert " must be " in answer.body["message"] and answer.body["requestId"]
