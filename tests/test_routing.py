"""modules/routing.py alone: the patterns it derives from contracts/events/catalogue.json, its filters' Python
predicates checked against EventBridge's matcher (moto's), and its errors on a bad catalogue. No provider bindings."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from moto.events.models import EventPattern
from moto.events.utils import EventMessageType

from modules.common import EVENT_SCHEMA_DIR, event_catalogue, load_json
from modules.routing import (
    CASE_SENTIMENT,
    FILTERS,
    SENTIMENTS,
    THIS_ACCOUNT,
    Route,
    RoutingError,
    consumers_of,
    routes,
    rule_pattern,
)

ACCOUNT = "123456789012"
THRESHOLD = 0.7
CASE = ("customerservice", "on-negative-review")
THANKS = ("thankyou", "on-review-analysed")
AUDIT = ("audit", "all-events")
# Below, at and above the threshold, and the ends of the scale.
NEGATIVE_SCORES = (0.0, 0.3, THRESHOLD - 0.01, THRESHOLD, THRESHOLD + 0.01, 1.0)
GRID = [(sentiment, score) for sentiment in SENTIMENTS for score in NEGATIVE_SCORES]


def pattern_of(service: str, rule: str, threshold: float | None = THRESHOLD) -> dict[str, Any]:
    return rule_pattern(service, rule, negative_case_threshold=threshold, account_id=ACCOUNT)


def analysed_data(sentiment: str, negative: float) -> dict[str, Any]:
    scores = {"positive": 0.0, "negative": negative, "neutral": round(1 - negative, 2), "mixed": 0.0}
    return {"reviewId": "r-1", "sentiment": sentiment, "sentimentScore": scores}


def event(source: str, detail_type: str, data: Mapping[str, Any], account: str = ACCOUNT) -> EventMessageType:
    return {
        "version": "0",
        "id": "1",
        "source": source,
        "detail-type": detail_type,
        "account": account,
        "time": "2026-11-27T10:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {"metadata": {"idempotency-key": "k"}, "data": dict(data)},
    }


def matches(pattern: Mapping[str, Any], candidate: EventMessageType) -> bool:
    return EventPattern.load(json.dumps(pattern)).matches_event(candidate)


def use_catalogue(monkeypatch: pytest.MonkeyPatch, catalogue: list[dict[str, Any]]) -> None:
    monkeypatch.setattr("modules.routing.event_catalogue", lambda: catalogue)


def catalogue_where(detail_type: str, **consumer: Any) -> list[dict[str, Any]]:
    """The real catalogue with one more consumer on ``detail_type``."""
    changed = copy.deepcopy(event_catalogue())
    next(entry for entry in changed if entry["detailType"] == detail_type)["consumers"].append(
        {"does": "a test consumer", **consumer}
    )
    return changed


# ------------------------------------------------------------------------------------------------- routes


def test_routes_list_every_consumer_of_every_event_in_catalogue_order() -> None:
    expected = [
        (entry["detailType"], consumer["service"], consumer["rule"])
        for entry in event_catalogue()
        for consumer in entry["consumers"]
    ]
    assert [(route.detail_type, route.service, route.rule) for route in routes()] == expected


def test_a_route_carries_the_events_source_and_the_consumers_filter_and_purpose() -> None:
    first, *_ = routes()
    assert first == Route(
        "reviews.frontend",
        "ReviewSubmitted",
        "analysis",
        "on-review-submitted",
        None,
        "queues the review; a pipe hands batches to the analysis workflow",
    )
    thanks = next(route for route in routes() if (route.service, route.rule) == THANKS)
    assert (thanks.source, thanks.filter) == ("reviews.analysis", "not-a-case")


# ------------------------------------------------------------------------------------- patterns per consumer


def test_analysis_takes_every_submitted_review() -> None:
    assert pattern_of("analysis", "on-review-submitted") == {
        "source": ["reviews.frontend"],
        "detail-type": ["ReviewSubmitted"],
    }


def test_thankyou_takes_the_analysed_reviews_that_are_not_a_case() -> None:
    assert pattern_of(*THANKS) == {
        "source": ["reviews.analysis"],
        "detail-type": ["ReviewAnalysed"],
        "detail": {
            "data": {
                "$or": [
                    {"sentiment": ["POSITIVE", "NEUTRAL", "MIXED"]},
                    {"sentiment": ["NEGATIVE"], "sentimentScore": {"negative": [{"numeric": ["<", THRESHOLD]}]}},
                ]
            }
        },
    }


def test_customerservice_opens_a_case_for_analysed_reviews_negative_at_or_above_the_threshold() -> None:
    assert pattern_of(*CASE) == {
        "source": ["reviews.analysis"],
        "detail-type": ["ReviewAnalysed"],
        "detail": {
            "data": {"sentiment": ["NEGATIVE"], "sentimentScore": {"negative": [{"numeric": [">=", THRESHOLD]}]}}
        },
    }


def test_the_case_desk_takes_opened_and_escalated_cases_from_one_source() -> None:
    assert pattern_of("customerservice", "on-case-event", threshold=None) == {
        "source": ["reviews.customerservice"],
        "detail-type": ["CaseOpened", "CaseEscalated"],
    }


def test_audit_takes_every_event_of_the_deploying_account() -> None:
    assert pattern_of(*AUDIT, threshold=None) == {"account": [ACCOUNT]}


def test_the_audit_pattern_takes_events_the_catalogue_does_not_list_but_not_other_accounts() -> None:
    pattern = pattern_of(*AUDIT, threshold=None)
    assert matches(pattern, event("reviews.future", "SomethingNew", {}))
    assert not matches(pattern, event("reviews.frontend", "ReviewSubmitted", {}, account="210987654321"))


def test_a_consumer_without_a_filter_takes_its_events_whatever_their_data() -> None:
    pattern = pattern_of("analysis", "on-review-submitted")
    assert matches(pattern, event("reviews.frontend", "ReviewSubmitted", {"anything": 1}))
    assert not matches(pattern, event("reviews.analysis", "ReviewSubmitted", {}))
    assert not matches(pattern, event("reviews.frontend", "ReviewAnalysed", {}))


# ------------------------------------------------------------------------ filters: predicate == pattern


@pytest.mark.parametrize("threshold", [0.5, THRESHOLD, 1.0])
@pytest.mark.parametrize(("service", "rule"), [THANKS, CASE])
def test_each_filters_predicate_agrees_with_its_eventbridge_pattern(service: str, rule: str, threshold: float) -> None:
    [name] = {route.filter for route in routes() if (route.service, route.rule) == (service, rule)}
    assert name is not None
    pattern = pattern_of(service, rule, threshold)
    for sentiment, score in GRID:
        data = analysed_data(sentiment, score)
        assert matches(pattern, event("reviews.analysis", "ReviewAnalysed", data)) is FILTERS[name].accepts(
            data, threshold
        ), (name, threshold, sentiment, score)


@pytest.mark.parametrize("threshold", [0.5, THRESHOLD, 1.0])
def test_negative_case_and_not_a_case_are_exact_complements(threshold: float) -> None:
    case, thanks = pattern_of(*CASE, threshold), pattern_of(*THANKS, threshold)
    for sentiment, score in GRID:
        data = analysed_data(sentiment, score)
        analysed = event("reviews.analysis", "ReviewAnalysed", data)
        predicates = (FILTERS["negative-case"].accepts(data, threshold), FILTERS["not-a-case"].accepts(data, threshold))
        assert sorted(predicates) == [False, True], (threshold, sentiment, score)
        assert (matches(case, analysed), matches(thanks, analysed)) == predicates, (threshold, sentiment, score)


def test_a_negative_review_exactly_at_the_threshold_is_a_case() -> None:
    assert FILTERS["negative-case"].accepts(analysed_data(CASE_SENTIMENT, THRESHOLD), THRESHOLD)
    assert not FILTERS["negative-case"].accepts(analysed_data(CASE_SENTIMENT, THRESHOLD - 0.01), THRESHOLD)


def test_only_the_this_account_filter_takes_everything() -> None:
    assert {name for name, chosen in FILTERS.items() if chosen.everything} == {THIS_ACCOUNT}
    assert FILTERS[THIS_ACCOUNT].detail is None


def test_the_sentiments_routing_knows_are_exactly_those_of_the_event_schema() -> None:
    # The complement proof above covers SENTIMENTS; an enum value beyond them would go to neither consumer.
    assert set(SENTIMENTS) == set(load_json(EVENT_SCHEMA_DIR / "definitions.json")["sentiment"]["enum"])
    assert CASE_SENTIMENT in SENTIMENTS


def test_a_consumer_of_two_events_from_two_sources_takes_only_those_two_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    changed = catalogue_where("ReviewSubmitted", service="digest", rule="on-activity")
    next(entry for entry in changed if entry["detailType"] == "ThankYouSent")["consumers"].append(
        {"service": "digest", "rule": "on-activity", "does": "a test consumer"}
    )
    use_catalogue(monkeypatch, changed)
    pattern = pattern_of("digest", "on-activity", threshold=None)
    assert matches(pattern, event("reviews.frontend", "ReviewSubmitted", {}))
    assert matches(pattern, event("reviews.thankyou", "ThankYouSent", {}))
    assert not matches(pattern, event("reviews.thankyou", "ReviewSubmitted", {}))


# ---------------------------------------------------------------------------------------------- consumers_of


@pytest.mark.parametrize(
    ("detail_type", "data", "expected"),
    [
        ("ReviewSubmitted", {"reviewId": "r-1"}, {("analysis", "on-review-submitted"), AUDIT}),
        ("ReviewAnalysed", analysed_data("NEGATIVE", 0.9), {CASE, AUDIT}),
        ("ReviewAnalysed", analysed_data("NEGATIVE", 0.2), {THANKS, AUDIT}),
        ("ReviewAnalysed", analysed_data("POSITIVE", 0.0), {THANKS, AUDIT}),
        ("CaseOpened", {}, {("customerservice", "on-case-event"), AUDIT}),
        ("CaseEscalated", {}, {("customerservice", "on-case-event"), AUDIT}),
        ("ReviewAnalysisFailed", {}, {AUDIT}),
        ("ThankYouSent", {}, {AUDIT}),
        ("CaseResolved", {}, {AUDIT}),
    ],
)
def test_consumers_of_an_event_follow_the_catalogue_and_the_filters(
    monkeypatch: pytest.MonkeyPatch, detail_type: str, data: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    # A copy of the catalogue as it was written, so that a new consumer touches the real one alone.
    use_catalogue(monkeypatch, load_json(Path(__file__).parent / "fixtures" / "routing-catalogue.json"))
    assert consumers_of(detail_type, data, negative_case_threshold=THRESHOLD) == expected


# ------------------------------------------------------------------------------------------- routing errors


def test_a_routing_error_is_a_value_error() -> None:
    assert issubclass(RoutingError, ValueError)


def test_a_catalogue_naming_an_unknown_filter_is_rejected_with_the_known_filters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_catalogue(monkeypatch, catalogue_where("ThankYouSent", service="loud", rule="on-thanks", filter="shouting"))
    with pytest.raises(
        RoutingError, match=r"ThankYouSent: consumer loud/on-thanks names filter 'shouting'; known filters: \["
    ):
        routes()


def test_a_rule_nobody_routes_to_is_rejected() -> None:
    with pytest.raises(
        RoutingError, match=r"no event of contracts/events/catalogue\.json names the consumer thankyou/on-nothing"
    ):
        pattern_of("thankyou", "on-nothing")


def test_a_this_account_consumer_missing_from_an_event_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    changed = copy.deepcopy(event_catalogue())
    last = changed[-1]
    last["consumers"] = [c for c in last["consumers"] if (c["service"], c["rule"]) != AUDIT]
    use_catalogue(monkeypatch, changed)
    with pytest.raises(
        RoutingError, match=r"audit/all-events takes every event \(this-account\): list it on every event"
    ):
        pattern_of(*AUDIT, threshold=None)


def test_a_filter_needing_a_threshold_without_one_is_rejected() -> None:
    with pytest.raises(
        RoutingError, match="thankyou/on-review-analysed: filter 'not-a-case' needs negative_case_threshold"
    ):
        pattern_of(*THANKS, threshold=None)


def test_a_consumer_using_two_filters_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    use_catalogue(monkeypatch, catalogue_where("CaseResolved", service="thankyou", rule="on-review-analysed"))
    with pytest.raises(
        RoutingError, match=r"thankyou/on-review-analysed uses several filters \['None', 'not-a-case'\]"
    ):
        pattern_of(*THANKS)
