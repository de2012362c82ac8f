"""tests/events.py: every sample event the tests build is one the system's contracts accept."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from modules.common import event_catalogue, event_schema
from tests import events

CATALOGUE = {entry["detailType"]: entry for entry in event_catalogue()}


def validate(event: dict[str, Any]) -> None:
    schema = event_schema(CATALOGUE[event["detail-type"]]["schema"])
    jsonschema.Draft4Validator(schema).validate(event)


def test_there_is_one_builder_per_catalogued_event() -> None:
    assert set(events.BUILDERS) == set(CATALOGUE)


@pytest.mark.parametrize("detail_type", sorted(events.BUILDERS))
def test_each_builder_makes_an_event_its_schema_accepts(detail_type: str) -> None:
    validate(events.BUILDERS[detail_type]())


@pytest.mark.parametrize("detail_type", sorted(events.BUILDERS))
def test_each_builder_uses_the_source_and_detail_type_of_its_catalogue_entry(detail_type: str) -> None:
    event = events.BUILDERS[detail_type]()
    assert (event["source"], event["detail-type"]) == (CATALOGUE[detail_type]["source"], detail_type)


@pytest.mark.parametrize("entry", event_catalogue(), ids=lambda entry: entry["detailType"])
def test_a_sample_of_a_catalogue_entry_is_valid_and_sent_from_the_given_account(entry: dict[str, Any]) -> None:
    event = events.sample(entry, account="210987654321")
    validate(event)
    assert event["account"] == "210987654321"


@pytest.mark.parametrize("sentiment", ["POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"])
def test_an_analysed_review_of_any_sentiment_is_valid(sentiment: str) -> None:
    validate(events.review_analysed(sentiment, events.sentiment_score(neutral=1.0)))


def test_a_negative_analysed_review_is_valid() -> None:
    validate(events.negative_review_analysed())


def test_overrides_replace_fields_of_the_data_and_keep_the_rest() -> None:
    event = events.review_submitted(text="Too salty.", languageCode="de")
    data = event["detail"]["data"]
    assert (data["text"], data["languageCode"], data["reviewId"]) == ("Too salty.", "de", events.REVIEW_ID)
    validate(event)


def test_the_idempotency_key_is_the_review_id() -> None:
    event = events.review_submitted(reviewId="review-7")
    assert event["detail"]["metadata"] == {"idempotency-key": "review-7"}


def test_case_events_carry_the_callback_token_in_their_metadata() -> None:
    for event in (events.case_opened(token="t-1"), events.case_escalated(token="t-1")):
        assert event["detail"]["metadata"] == {"idempotency-key": events.REVIEW_ID, "callbackToken": "t-1"}
        validate(event)


def test_an_override_that_breaks_the_contract_is_caught_by_the_schema() -> None:
    # The validation above would be worthless if a builder's output slipped past the schema whatever it held.
    with pytest.raises(jsonschema.ValidationError):
        validate(events.review_analysed("HAPPY"))
