"""POST /reviews through the offline HTTP API: one Idempotency-Key is one review (analysed once, one outcome), a
key reused for another review is refused, and every rule of the contract is a 400 naming the field."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from offline.comprehend.language import LanguageServices
from tests.e2e import review, system_for

pytestmark = pytest.mark.slow

OUTCOMES = ("ThankYouSent", "CaseOpened")


@pytest.fixture(scope="module")
def language():
    return LanguageServices()


@pytest.fixture(scope="module")
def system(dev_stack_path, language):
    with system_for(dev_stack_path, language=language) as running:
        yield running


def events_of(system, key: str, detail_type: str | None = None) -> list[dict[str, Any]]:
    return [
        e
        for e in system.cloud.eventbridge.events
        if e["detail"]["metadata"].get("idempotency-key") == key and detail_type in (None, e["detail-type"])
    ]


def outcomes_of(system, key: str) -> list[dict[str, Any]]:
    return [e for e in events_of(system, key) if e["detail-type"] in OUTCOMES]


def sentiment_calls(language: LanguageServices) -> int:
    # The analysis scores reviews in batches: one review submitted once is one BatchDetectSentiment call.
    return language.calls["comprehend:DetectSentiment"] + language.calls["comprehend:BatchDetectSentiment"]


def send_all(system, bodies: list[dict[str, Any]], key: str) -> list[Any]:
    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(lambda body: system.submit_review(body, idempotency_key=key), bodies))


# --- one key, one review ------------------------------------------------------------------------------


def test_five_identical_sends_are_one_review_analysed_once_with_one_outcome(system, language):
    key = str(uuid.uuid4())
    before = sentiment_calls(language)
    answers = send_all(system, [review("positive", email="five@example.com")] * 5, key)
    assert [a.status for a in answers] == [202] * 5, [a.body for a in answers]
    assert {json.dumps(a.body, sort_keys=True) for a in answers} == {
        json.dumps({"idempotencyKey": key, "reviewId": key}, sort_keys=True)
    }
    system.cloud.drain(60)
    assert len(events_of(system, key, "ReviewSubmitted")) == 1
    assert sentiment_calls(language) - before == 1
    assert len(outcomes_of(system, key)) == 1


def test_five_reviewers_sharing_a_key_get_one_202_and_four_409s(system):
    key = str(uuid.uuid4())
    bodies = [review("positive", email=f"sharer-{n}@example.com") for n in range(5)]
    answers = send_all(system, bodies, key)
    assert sorted(a.status for a in answers) == [202, 409, 409, 409, 409], [a.body for a in answers]
    for answer in answers:
        if answer.status == 409:
            assert "Idempotency-Key" in answer.body["message"] and answer.body["requestId"]
    system.cloud.drain(60)
    assert len(events_of(system, key, "ReviewSubmitted")) == 1
    assert len(outcomes_of(system, key)) == 1


def test_a_positive_and_a_negative_review_with_one_key_get_one_202_one_409_and_one_outcome(system):
    key = str(uuid.uuid4())
    answers = send_all(system, [review("positive"), review("negative")], key)
    assert sorted(a.status for a in answers) == [202, 409]
    system.cloud.drain(60)
    assert len(outcomes_of(system, key)) == 1


def test_a_retry_after_the_first_was_accepted_answers_the_same_review_and_publishes_nothing_more(system):
    key = str(uuid.uuid4())
    body = review("neutral", email="retry@example.com")
    first = system.submit_review(body, idempotency_key=key)
    system.cloud.drain(60)
    again = system.submit_review(body, idempotency_key=key)
    assert (first.status, again.status) == (202, 202) and first.body == again.body
    system.cloud.drain(60)
    assert len(events_of(system, key, "ReviewSubmitted")) == 1


def test_the_same_review_in_another_field_order_is_the_same_review(system):
    key = str(uuid.uuid4())
    body = review("positive", email="order@example.com")
    assert system.submit_review(body, idempotency_key=key).status == 202
    assert system.submit_review(dict(reversed(list(body.items()))), idempotency_key=key).status == 202


def test_without_a_key_every_send_is_a_new_review(system):
    first = system.submit_review(review("positive"))
    second = system.submit_review(review("positive"))
    assert (first.status, second.status) == (202, 202)
    assert first.body["reviewId"] != second.body["reviewId"]


# --- refused at the door --------------------------------------------------------------------------------

REFUSED = {
    "key over 256 characters": ({}, {"Idempotency-Key": "k" * 257}, "Idempotency-Key"),
    "key of a dot": ({}, {"Idempotency-Key": "."}, "Idempotency-Key"),
    "key of two dots": ({}, {"Idempotency-Key": ".."}, "Idempotency-Key"),
    "key with a space and a Bcc": ({}, {"Idempotency-Key": "order-1 Bcc: x@evil.test"}, "Idempotency-Key"),
    "email ending in a newline": ({"reviewerEmail": "ada@example.com\n"}, {}, "reviewerEmail"),
    "email of hyphens": ({"reviewerEmail": "-@-.-"}, {}, "reviewerEmail"),
    "product id ending in a newline": ({"productId": "p1\n"}, {}, "productId"),
    "5000 characters over 5000 bytes": ({"text": "ピザ" * 2500}, {}, "text"),
    "text with a NUL": ({"text": "good\u0000pizza"}, {}, "text"),
    "unknown field": ({"rating": 5}, {}, "rating"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_a_broken_rule_is_a_400_naming_the_field_and_nothing_is_published(system, name):
    fields, headers, field = REFUSED[name]
    system.cloud.drain(60)
    before = len(system.cloud.eventbridge.events)
    answer = system.request("POST", "/reviews", {**review("positive"), **fields}, headers=headers)
    system.cloud.drain(60)
    assert answer.status == 400, answer.body
    assert answer.body["field"] == field and answer.body["reason"] and answer.body["message"]
    assert answer.headers["Cache-Control"] == "no-store"
    assert len(system.cloud.eventbridge.events) == before


def test_a_folded_key_header_is_refused(system):
    # http.client refuses to send a raw CR LF in a header; a folded header arrives unfolded or with its CR LF.
    for key in ("order-1\r\n Bcc: x@evil.test", "order-1\tBcc"):
        answer = system.api.handle(
            "POST",
            "/v1/reviews",
            {"Content-Type": "application/json", "User-Agent": "test", "Idempotency-Key": key},
            json.dumps(review("positive")).encode(),
        )
        assert answer.status == 400
        assert json.loads(answer.body)["field"] == "Idempotency-Key"


def test_a_multi_megabyte_text_is_refused_with_a_small_answer_that_does_not_echo_it(system):
    answer = system.request(
        "POST", "/reviews", raw=json.dumps({**review("positive"), "text": "spam " * 600_000}).encode()
    )
    assert answer.status in (400, 403)
    assert len(json.dumps(answer.body)) < 1000 and "spam" not in json.dumps(answer.body)
    if answer.status == 400:
        assert answer.body["field"] == "text"


def test_a_body_that_is_not_a_json_object_is_refused_by_the_validator(system):
    answer = system.request("POST", "/reviews", raw=b'["a review"]')
    assert answer.status == 400 and "field" not in answer.body
