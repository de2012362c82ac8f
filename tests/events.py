"""Sample events for the tests: the system's EventBridge envelope, one builder per event of
contracts/events/catalogue.json and the /reviews request body, each valid against its contract
(tests/test_event_builders.py checks it).

Every builder takes keyword overrides of its ``data``, so a test names only what it is about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from moto.events.models import EventPattern
from moto.events.utils import EventMessageType

ACCOUNT = "123456789012"
REGION = "eu-west-1"
EVENT_ID = "6a7e8feb-b491-4cf7-a9f1-bf3703467718"
TIME = "2026-11-27T10:00:00Z"
REVIEW_ID = "review-1"
SUBMITTED_AT = 1795000000
TOKEN = "task-token-1"

Event = dict[str, Any]


def envelope(
    source: str, detail_type: str, data: Mapping[str, Any], *, account: str = ACCOUNT, **metadata: Any
) -> Event:
    """An EventBridge event in the system's envelope, as a rule target receives it; ``metadata`` adds to
    the idempotency key, which is the review's id as every producer sets it."""
    return {
        "version": "0",
        "id": EVENT_ID,
        "source": source,
        "detail-type": detail_type,
        "account": account,
        "time": TIME,
        "region": REGION,
        "resources": [],
        "detail": {"metadata": {"idempotency-key": data.get("reviewId", "key-1"), **metadata}, "data": dict(data)},
    }


def submission(**overrides: Any) -> dict[str, Any]:
    """The body a client POSTs to /reviews (ReviewSubmission in contracts/api/openapi.json)."""
    return {
        "reviewerName": "Ada Lovelace",
        "reviewerEmail": "ada@example.com",
        "productId": "pizza-margherita",
        "text": "Lovely crust, will order again.",
        **overrides,
    }


def review(**overrides: Any) -> dict[str, Any]:
    """A review as the front-end API accepted it, with the id and time it added: the data of a ReviewSubmitted."""
    return {"reviewId": REVIEW_ID, **submission(), "submittedAt": SUBMITTED_AT, **overrides}


def sentiment_score(
    positive: float = 0.0, negative: float = 0.0, neutral: float = 0.0, mixed: float = 0.0
) -> dict[str, float]:
    """Scores as the events carry them (Comprehend's, in lower case)."""
    return {"positive": positive, "negative": negative, "neutral": neutral, "mixed": mixed}


POSITIVE_SCORE = sentiment_score(positive=0.98, neutral=0.02)
NEGATIVE_SCORE = sentiment_score(positive=0.01, negative=0.95, neutral=0.03, mixed=0.01)
NEGATIVE_TEXT = "Cold, soggy and late."


def analysed_review(sentiment: str = "POSITIVE", score: Mapping[str, float] | None = None, **overrides: Any) -> Event:
    """The data of a ReviewAnalysed: the review, its language and its scores."""
    analysis = {
        "languageCode": "en",
        "translated": False,
        "sentiment": sentiment,
        "sentimentScore": dict(POSITIVE_SCORE if score is None else score),
    }
    return review(**{**analysis, **overrides})


def review_submitted(**overrides: Any) -> Event:
    return envelope("reviews.frontend", "ReviewSubmitted", review(**overrides))


def review_analysed(sentiment: str = "POSITIVE", score: Mapping[str, float] | None = None, **overrides: Any) -> Event:
    return envelope("reviews.analysis", "ReviewAnalysed", analysed_review(sentiment, score, **overrides))


def negative_review_analysed(**overrides: Any) -> Event:
    """A review negative enough to open a customer-service case."""
    return review_analysed("NEGATIVE", NEGATIVE_SCORE, **{"text": NEGATIVE_TEXT, **overrides})


def review_analysis_failed(**overrides: Any) -> Event:
    data = {
        **review(),
        "error": "Comprehend.ComprehendException",
        "cause": "Rate exceeded",
        **overrides,
    }
    return envelope("reviews.analysis", "ReviewAnalysisFailed", data)


def thank_you_sent(**overrides: Any) -> Event:
    data = {"reviewId": REVIEW_ID, "reviewerEmail": "ada@example.com", "messageId": "message-1", "sentAt": TIME}
    return envelope("reviews.thankyou", "ThankYouSent", {**data, **overrides})


def _case(**overrides: Any) -> dict[str, Any]:
    data = analysed_review("NEGATIVE", NEGATIVE_SCORE, text=NEGATIVE_TEXT)
    for key in ("submittedAt", "languageCode", "translated"):
        del data[key]
    return {"caseId": REVIEW_ID, **data, "openedAt": TIME, **overrides}


def case_opened(**overrides: Any) -> Event:
    return envelope("reviews.customerservice", "CaseOpened", _case(**overrides))


def case_escalated(**overrides: Any) -> Event:
    data = _case(escalatedAt="2026-11-27T11:00:00Z", timeoutSeconds=3600, expiresAfterSeconds=3600, **overrides)
    return envelope("reviews.customerservice", "CaseEscalated", data)


def case_expired(**overrides: Any) -> Event:
    data = {
        "caseId": REVIEW_ID,
        "reviewId": REVIEW_ID,
        "productId": "pizza-margherita",
        "openedAt": TIME,
        "escalatedAt": "2026-11-27T11:00:00Z",
        "expiredAt": "2026-11-27T12:00:00Z",
        **overrides,
    }
    return envelope("reviews.customerservice", "CaseExpired", data)


def case_follow_up_failed(**overrides: Any) -> Event:
    data = {
        "caseId": REVIEW_ID,
        "reviewId": REVIEW_ID,
        "resolvedAt": "2026-11-27T12:00:00Z",
        "error": "SesV2.MessageRejectedException",
        "failedAt": "2026-11-27T12:00:05Z",
        **overrides,
    }
    return envelope("reviews.customerservice", "CaseFollowUpFailed", data)


def case_resolved(**overrides: Any) -> Event:
    data = {
        "caseId": REVIEW_ID,
        "reviewId": REVIEW_ID,
        "resolution": {
            "note": "Refunded, and a fresh pizza is on its way.",
            "agent": "agent-7",
            "agentEmail": "agent@example.com",
        },
        "resolvedAt": "2026-11-27T12:00:00Z",
        "followUpMessageId": "message-2",
        **overrides,
    }
    return envelope("reviews.customerservice", "CaseResolved", data)


def delivery_abandoned(**overrides: Any) -> Event:
    data = {
        "reviewId": REVIEW_ID,
        "eventId": "event-1",
        "targetArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:reviews-dev-thankyou-send-thank-you",
        "deadLetterQueue": "https://sqs.eu-west-1.amazonaws.com/123456789012/reviews-dev-thankyou-retry",
        "redriveAttempts": 3,
        "receiveCount": 1,
        "abandonedAt": TIME,
        **overrides,
    }
    return envelope("reviews.recovery", "DeliveryAbandoned", data)


# One builder per catalogued detail-type.
BUILDERS: dict[str, Callable[..., Event]] = {
    "ReviewSubmitted": review_submitted,
    "ReviewAnalysed": review_analysed,
    "ReviewAnalysisFailed": review_analysis_failed,
    "ThankYouSent": thank_you_sent,
    "CaseOpened": case_opened,
    "CaseEscalated": case_escalated,
    "CaseResolved": case_resolved,
    "DeliveryAbandoned": delivery_abandoned,
    "CaseFollowUpFailed": case_follow_up_failed,
    "CaseExpired": case_expired,
}


def sample(entry: Mapping[str, Any], *, account: str = ACCOUNT) -> Event:
    """A valid event of the catalogue entry ``entry``, sent from ``account``."""
    return {**BUILDERS[entry["detailType"]](), "account": account}


def matches(pattern: EventPattern, event: Mapping[str, Any]) -> bool:
    """Whether EventBridge's pattern matching (moto's) selects ``event``."""
    # moto types the event as its own TypedDict of the envelope; ours are plain JSON objects of the same shape.
    return pattern.matches_event(cast(EventMessageType, event))
