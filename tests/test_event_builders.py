"""tests/events.py: every sample event the tests build is one the system's contracts accept."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from modules.common import API_DIR, EVENT_SCHEMA_DIR, event_catalogue, event_schema, load_json
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


def test_case_events_carry_no_callback_token_which_stays_in_the_cases_table() -> None:
    for event in (events.case_opened(), events.case_escalated(), events.case_expired()):
        assert event["detail"]["metadata"] == {"idempotency-key": events.REVIEW_ID}
        validate(event)


def submission_schema() -> dict[str, Any]:
    """ReviewSubmission with its references to the shared definitions resolved (none of them refers on)."""
    definitions = load_json(EVENT_SCHEMA_DIR / "definitions.json")
    schema: dict[str, Any] = load_json(API_DIR / "openapi.json")["components"]["schemas"]["ReviewSubmission"]
    prefix = "../events/definitions.json#/"
    properties = {name: definitions[field["$ref"].removeprefix(prefix)] for name, field in schema["properties"].items()}
    return {**schema, "properties": properties}


@pytest.mark.parametrize("overrides", [{}, {"languageCode": "fr"}], ids=["without a language", "with a language"])
def test_a_submission_is_a_body_the_api_accepts(overrides: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(submission_schema()).validate(events.submission(**overrides))


def test_a_submitted_review_is_the_submission_with_the_id_and_time_the_api_adds() -> None:
    data = events.review_submitted()["detail"]["data"]
    assert data == {**events.submission(), "reviewId": events.REVIEW_ID, "submittedAt": events.SUBMITTED_AT}


def test_an_override_that_breaks_the_contract_is_caught_by_the_schema() -> None:
    # The validation above would be worthless if a builder's output slipped past the schema whatever it held.
    with pytest.raises(jsonschema.ValidationError):
        validate(events.review_analysed("HAPPY"))
