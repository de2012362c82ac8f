"""Helpers of the end-to-end tests: sample reviews and an offline system quiet enough to read."""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from offline.system import OfflineSystem
from tests.events import submission

TEXTS = {
    # VADER scores these firmly, so each takes its path whatever the wording's small print.
    "positive": "The crust was perfect and the delivery was quick. Best pizza in town!",
    "neutral": "The pizza arrived at seven. It had eight slices and a box.",
    "negative": "Cold, soggy and an hour late. The worst pizza I have ever ordered.",
}


def review(kind: str, *, email: str = "reviewer@example.com", **overrides: Any) -> dict[str, Any]:
    """The body a client POSTs for a review of ``kind`` (a key of TEXTS)."""
    return submission(text=TEXTS[kind], reviewerEmail=email, languageCode="en", **overrides)


@contextmanager
def system_for(stack: Path | dict[str, Any], **options: Any):
    # moto logs a handled ASL path miss (a Choice on IsPresent false) as an ERROR; it is not one.
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    with OfflineSystem(stack, **options) as system:
        yield system


# --- cases, through the HTTP API ----------------------------------------------------------------------------


def case_item(system, key: str) -> dict[str, Any] | None:
    table = system.cloud.resource("aws_dynamodb_table", "cases")["name"]
    return (
        system.cloud.client("dynamodb")
        .get_item(TableName=table, Key={"caseId": {"S": key}}, ConsistentRead=True)
        .get("Item")
    )


def resolve(system, agent: dict[str, str], key: str, note: str = "Refunded in full.") -> Any:
    return system.request("POST", f"/cases/{key}/resolution", {"note": note}, agent)


def listed(system, agent: dict[str, str], key: str) -> list[dict[str, Any]]:
    """The case as the open list shows it (every page read), or nothing."""
    return [case for case in all_pages(system, agent) if case["caseId"] == key]


def all_pages(system, agent: dict[str, str], limit: int = 100) -> list[dict[str, Any]]:
    cases, path = [], f"/cases?limit={limit}"
    for _ in range(100):
        answer = system.request("GET", path, headers=agent)
        assert answer.status == 200, answer.body
        cases += answer.body["cases"]
        if "nextToken" not in answer.body:
            return cases
        path = f"/cases?limit={limit}&next={quote(answer.body['nextToken'], safe='')}"
    raise AssertionError("more than 100 pages")


def emails_to(system, address: str) -> list[Any]:
    return [m for m in system.cloud.emails() if address in m.destinations.get("ToAddresses", [])]


def events_of(system, key: str, detail_type: str) -> list[dict[str, Any]]:
    return [
        e
        for e in system.cloud.eventbridge.events
        if e["detail"]["metadata"].get("idempotency-key") == key and e["detail-type"] == detail_type
    ]


def failed_executions(system) -> list[str]:
    """Executions the system started that failed: what the ExecutionsFailed alarms count."""
    sfn = system.cloud.client("stepfunctions")
    return [
        arn
        for arn in list(system.cloud.eventbridge.executions)
        if sfn.describe_execution(executionArn=arn)["status"] in {"FAILED", "TIMED_OUT"}
    ]


def opened_case(system, email: str = "reviewer@example.com", text: str | None = None) -> str:
    """Submit a negative review and wait until its case waits for an agent; return the case id."""
    key = str(uuid.uuid4())
    body = review("negative", email=email)
    if text is not None:
        body["text"] = text
    assert system.submit_review(body, idempotency_key=key).status == 202
    system.cloud.drain(120)
    assert "callbackToken" in (case_item(system, key) or {}), f"case {key} is not waiting"
    return key
