"""Concurrency, offline: 99 reviews submitted at once through the HTTP API by 32 clients. Every one is audited at each
step, every positive or neutral one gets exactly one email, every negative one opens one case, and nothing is
dead-lettered.

32 clients keep up to 32 reviews in flight, so the races a large load meets (idempotency records, deliveries, case
tokens, Firehose buffers and emails written from many threads at once) are met here too; 99 reviews keep it to
seconds. bench/offline_bench.py runs the same promises at 1,000 reviews (by default) beside its throughput, latency
and cost figures: each promise below is a function returning what broke, so that the bench checks exactly these.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e import review, system_for

pytestmark = pytest.mark.slow

REVIEWS = 99
CLIENTS = 32
KINDS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class LoadRun:
    """A settled run: the system, each review's idempotency key and kind, and the API's status for each."""

    system: Any
    kinds: dict[str, str]
    statuses: list[int]


def reviews(count: int) -> dict[str, str]:
    """``count`` fresh idempotency keys, a third of them each kind; each reviewer's address is its key."""
    return {str(uuid.uuid4()): KINDS[i % len(KINDS)] for i in range(count)}


def submit_concurrently(
    system: Any, kinds: dict[str, str], on_answer: Callable[[str], None] | None = None
) -> list[int]:
    """POSTs every review from ``CLIENTS`` threads; ``on_answer(key)`` runs as each answer arrives."""

    def submit(item: tuple[str, str]) -> int:
        key, kind = item
        status = system.submit_review(review(kind, email=f"{key}@example.com"), idempotency_key=key).status
        if on_answer is not None:
            on_answer(key)
        return int(status)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(submit, kinds.items()))


# --- the promises: each returns what broke, nothing when it holds -------------------------------------------


def refused_reviews(run: LoadRun) -> dict[int, int]:
    """Statuses other than 202, with how many reviews got each."""
    return dict(Counter(status for status in run.statuses if status != 202))


def audit_miscounts(run: LoadRun) -> dict[str, tuple[int, int]]:
    """Detail types whose audited count is not one per review that should publish it: (audited, expected)."""
    bucket = run.system.cloud.resource("aws_s3_bucket", "audit/bucket")["bucket"]
    audited = Counter(r["detail-type"] for r in run.system.cloud.json_lines(bucket, "events/"))
    kinds = Counter(run.kinds.values())
    expected = Counter(
        {
            "ReviewSubmitted": len(run.kinds),
            "ReviewAnalysed": len(run.kinds),
            "ThankYouSent": kinds["positive"] + kinds["neutral"],
            "CaseOpened": kinds["negative"],
        }
    )
    return {kind: (audited[kind], expected[kind]) for kind in audited | expected if audited[kind] != expected[kind]}


def wrong_thank_yous(run: LoadRun) -> dict[str, tuple[str, int]]:
    """Reviewers who did not get exactly one email (a positive or neutral review) or none (a negative one):
    (kind, emails received), by idempotency key."""
    sent = Counter(address for m in run.system.cloud.emails() for address in m.destinations["ToAddresses"])
    wrong = {}
    for key, kind in run.kinds.items():
        received = sent[f"{key}@example.com"]
        if received != (0 if kind == "negative" else 1):
            wrong[key] = (kind, received)
    return wrong


def wrong_cases(run: LoadRun) -> dict[str, int]:
    """Case ids emailed to support other than once, for negative reviews, or at all, for the others."""
    support = Counter(
        m.template_data["caseId"]
        for m in run.system.cloud.emails()
        if m.destinations["ToAddresses"] == ["support@example.com"]
    )
    negatives = {key for key, kind in run.kinds.items() if kind == "negative"}
    return {key: support[key] for key in negatives | set(support) if support[key] != (1 if key in negatives else 0)}


def dead_letters(run: LoadRun) -> dict[str, int]:
    """Queues holding messages once everything settled (every queue of the stack is a dead-letter queue)."""
    sqs = run.system.cloud.client("sqs")
    depths = {
        queue["name"]: int(
            sqs.get_queue_attributes(QueueUrl=queue["url"], AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )
        for queue in run.system.cloud.resources("aws_sqs_queue").values()
    }
    return {name: depth for name, depth in depths.items() if depth}


def schema_breaks(run: LoadRun) -> list[Any]:
    return list(run.system.cloud.schema_violations)


PROMISES: dict[str, Callable[[LoadRun], Any]] = {
    "every review is accepted": refused_reviews,
    "one audit record of each expected type per review": audit_miscounts,
    "one email per positive or neutral review, none per negative one": wrong_thank_yous,
    "one case per negative review, emailed to support once": wrong_cases,
    "nothing dead-lettered": dead_letters,
    "no event breaks its schema": schema_breaks,
}


# --- the tests ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(dev_stack_path):
    with system_for(dev_stack_path) as system:
        kinds = reviews(REVIEWS)
        statuses = submit_concurrently(system, kinds)
        system.cloud.drain(600)
        yield LoadRun(system, kinds, statuses)


def test_every_review_is_accepted(loaded):
    assert len(loaded.statuses) == REVIEWS
    assert refused_reviews(loaded) == {}


def test_the_audit_trail_holds_one_record_of_each_expected_type_per_review(loaded):
    assert audit_miscounts(loaded) == {}


def test_each_positive_or_neutral_review_gets_exactly_one_email(loaded):
    assert wrong_thank_yous(loaded) == {}


def test_each_negative_review_opens_one_case_and_emails_support_once(loaded):
    assert wrong_cases(loaded) == {}


def test_no_message_is_dead_lettered_and_no_event_breaks_its_schema(loaded):
    assert dead_letters(loaded) == {}
    assert schema_breaks(loaded) == []
