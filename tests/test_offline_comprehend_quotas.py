"""offline/comprehend/quotas.py: token buckets per Comprehend operation, on a clock the tests move."""

from __future__ import annotations

import pytest

from offline.comprehend.quotas import DEFAULT_RATES, Quotas, TokenBucket
from offline.stepfunctions.validation import sdk_error_name


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_admits_one_second_of_requests_at_once_then_its_rate():
    clock = Clock()
    bucket = TokenBucket(10, clock=clock)
    assert [bucket.take() for _ in range(11)] == [True] * 10 + [False]
    clock.now = 0.5
    assert [bucket.take() for _ in range(6)] == [True] * 5 + [False]


def test_a_bucket_never_holds_more_than_its_capacity():
    clock = Clock()
    bucket = TokenBucket(2, clock=clock)
    clock.now = 100.0
    assert [bucket.take() for _ in range(3)] == [True, True, False]


def test_over_a_long_run_a_bucket_admits_its_rate():
    clock = Clock()
    bucket = TokenBucket(10, clock=clock)
    admitted = 0
    for step in range(1, 10_001):  # 100 s in steps of 10 ms, 5 requests tried per step
        clock.now = step / 100
        admitted += sum(bucket.take() for _ in range(5))
    assert 1000 <= admitted <= 1010  # 10 per second for 100 s, plus the first second's bucket


def test_each_operation_has_its_own_bucket_and_unlisted_ones_are_not_limited():
    clock = Clock()
    quotas = Quotas({"BatchDetectSentiment": 1}, clock=clock)
    assert quotas.admit("BatchDetectSentiment") and not quotas.admit("BatchDetectSentiment")
    assert all(quotas.admit("DetectSentiment") for _ in range(100))


def test_the_default_rates_are_the_documented_defaults():
    assert DEFAULT_RATES == {
        "DetectSentiment": 20.0,
        "DetectDominantLanguage": 20.0,
        "BatchDetectSentiment": 10.0,
        "BatchDetectDominantLanguage": 10.0,
    }


@pytest.mark.parametrize("rate", [0, -1])
def test_a_rate_must_be_positive(rate):
    with pytest.raises(ValueError):
        Quotas({"BatchDetectSentiment": rate})


@pytest.mark.parametrize("operation", ["BatchDetectSentiment", "BatchDetectDominantLanguage"])
def test_a_throttled_batch_call_surfaces_in_step_functions_as_the_sdk_base_exception(operation):
    # botocore's model lists no ThrottlingException for the batch calls: the retries must name this.
    assert sdk_error_name("comprehend", operation, "ThrottlingException") == "Comprehend.ComprehendException"
