"""Load, offline: 1,000 reviews submitted concurrently through the HTTP API. Every one is audited at each step,
every positive or neutral one gets exactly one email, every negative one opens one case, and nothing is
dead-lettered. (Throughput and latency figures are in bench/offline_bench.py, not asserted here.)"""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e import review, system_for

pytestmark = pytest.mark.slow

REVIEWS = 1000
KINDS = ("positive", "neutral", "negative")


@pytest.fixture(scope="module")
def loaded(dev_stack_path):
    with system_for(dev_stack_path) as system:
        keys = {str(uuid.uuid4()): KINDS[i % 3] for i in range(REVIEWS)}

        def submit(item):
            key, kind = item
            return system.submit_review(review(kind, email=f"{key}@example.com"), idempotency_key=key).status

        with ThreadPoolExecutor(max_workers=32) as pool:
            statuses = list(pool.map(submit, keys.items()))
        system.cloud.drain(1200)
        yield system, keys, statuses


def test_every_review_is_accepted(loaded):
    _, _, statuses = loaded
    assert Counter(statuses) == {202: REVIEWS}


def test_the_audit_trail_holds_one_record_of_each_expected_type_per_review(loaded):
    system, keys, _ = loaded
    bucket = system.cloud.resource("aws_s3_bucket", "audit/bucket")["bucket"]
    audited = Counter(r["detail-type"] for r in system.cloud.json_lines(bucket, "events/"))
    kinds = Counter(keys.values())
    assert audited == {
        "ReviewSubmitted": REVIEWS,
        "ReviewAnalysed": REVIEWS,
        "ThankYouSent": kinds["positive"] + kinds["neutral"],
        "CaseOpened": kinds["negative"],
    }


def test_each_positive_or_neutral_review_gets_exactly_one_email(loaded):
    system, keys, _ = loaded
    sent = Counter(address for m in system.cloud.emails() for address in m.destinations["ToAddresses"])
    for key, kind in keys.items():
        assert sent[f"{key}@example.com"] == (0 if kind == "negative" else 1), kind


def test_each_negative_review_opens_one_case_and_emails_support_once(loaded):
    system, keys, _ = loaded
    negatives = {key for key, kind in keys.items() if kind == "negative"}
    support = [m for m in system.cloud.emails() if m.destinations["ToAddresses"] == ["support@example.com"]]
    assert Counter(m.template_data["caseId"] for m in support) == dict.fromkeys(negatives, 1)


def test_no_message_is_dead_lettered_and_no_event_breaks_its_schema(loaded):
    system, _, _ = loaded
    sqs = system.cloud.client("sqs")
    depth = {
        queue["name"]: int(
            sqs.get_queue_attributes(QueueUrl=queue["url"], AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )
        for queue in system.cloud.resources("aws_sqs_queue").values()
    }
    assert set(depth.values()) == {0}
    assert system.cloud.schema_violations == []
