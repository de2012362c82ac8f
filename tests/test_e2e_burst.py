"""A burst above Comprehend's quota, offline: 50 reviews submitted at once through the HTTP API while the offline
Comprehend admits one batch call per second. The analysis throttles; its calls are retried, and the reviews whose
retries run out return to the queue and are analysed on a later delivery: every review is analysed exactly once,
none fails, none is dead-lettered."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from offline.comprehend.language import LanguageServices
from offline.comprehend.quotas import Quotas
from tests.e2e import review, system_for

pytestmark = pytest.mark.slow

REVIEWS = 50


def test_a_burst_above_the_quota_is_analysed_once_per_review_with_nothing_failed_or_dead_lettered(dev_stack_path):
    language = LanguageServices(quotas=Quotas({"BatchDetectSentiment": 1, "BatchDetectDominantLanguage": 1}))
    # The Retry waits are slept, as Step Functions does (1, 2, 4 s with full jitter), so a throttled batch's calls
    # spread over the seconds the quota refills in. Recorded instead of slept, the four calls of every throttled
    # batch came at once, the batches redelivered together after the same visibility timeout, and each round of
    # them found one token: in one run of three, 10 reviews used up their 5 receives (a pile-up AWS's sleeping
    # retries do not make). A review whose retries run out returns to the queue, visible again after 5% of the
    # queue's visibility timeout (about 10 s): with batches of 7, 50 reviews are 8 batches contending for one call
    # a second.
    with system_for(dev_stack_path, language=language, visibility_scale=0.05) as system:
        keys = [str(uuid.uuid4()) for _ in range(REVIEWS)]

        def submit(key: str) -> int:
            return system.submit_review(review("positive", email=f"{key}@example.com"), idempotency_key=key).status

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(submit, keys))
        system.cloud.drain(timeout=600)
        events = list(system.cloud.eventbridge.events)
        batches = list(system.cloud.pipes.batches)
        sqs = system.cloud.client("sqs")
        dlq = system.cloud.resource("aws_sqs_queue", "analysis/buffer/dlq")
        dead = sqs.get_queue_attributes(QueueUrl=dlq["url"], AttributeNames=["ApproximateNumberOfMessages"])
    assert statuses == [202] * REVIEWS
    analysed = Counter(e["detail"]["data"]["reviewId"] for e in events if e["detail-type"] == "ReviewAnalysed")
    assert analysed == Counter(dict.fromkeys(keys, 1))
    assert [e for e in events if e["detail-type"] == "ReviewAnalysisFailed"] == []
    assert dead["Attributes"]["ApproximateNumberOfMessages"] == "0"
    # The quota did bite: calls were throttled (whether a throttled batch recovered within its retries or through
    # the queue depends on how fast this machine runs them; every review was analysed either way).
    assert language.throttled["comprehend:BatchDetectSentiment"] > 0
    assert len(batches) > 1
