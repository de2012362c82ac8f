"""modules/event_bus.py alone: the bus, its archive and its schema registry in a bare stack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdktf import TerraformStack
from moto.events.models import EventPattern

from modules.common import EVENT_SCHEMA_DIR, event_catalogue, event_schema, load_json
from modules.config import EventBusSettings
from modules.event_bus import CALLBACK_TOKEN, EventBus, archive_pattern, carries_callback_token
from tests.events import matches, sample
from tests.tf import bare_stack, only, ref, resolved, resources, sample_platform, synth

PLATFORM = sample_platform()


@pytest.fixture
def stack() -> TerraformStack:
    return bare_stack()


def _bus(stack: TerraformStack, archive_retention_days: int = 30) -> EventBus:
    return EventBus(
        stack, "events", platform=PLATFORM, settings=EventBusSettings(archive_retention_days=archive_retention_days)
    )


def test_the_bus_is_named_after_the_platform(stack: TerraformStack) -> None:
    _bus(stack)
    _, bus = only(synth(stack), "aws_cloudwatch_event_bus", "bus")
    assert bus == {"name": "reviews-test-events-bus", "description": "Review system events"}


def test_the_archive_keeps_the_bus_events_for_the_given_days_under_the_platform_key(stack: TerraformStack) -> None:
    made = _bus(stack, archive_retention_days=90)
    _, archive = only(synth(stack), "aws_cloudwatch_event_archive", "archive")
    assert archive["name"] == "reviews-test-events-archive"
    assert archive["event_source_arn"] == ref("aws_cloudwatch_event_bus", stack.get_logical_id(made.bus), "arn")
    assert archive["retention_days"] == 90
    assert archive["kms_key_identifier"] == PLATFORM.key_arn
    assert json.loads(archive["event_pattern"]) == archive_pattern()


@pytest.mark.parametrize("entry", event_catalogue(), ids=lambda entry: entry["detailType"])
def test_the_archive_takes_every_catalogued_event_but_those_carrying_a_callback_token(entry: dict[str, Any]) -> None:
    event = sample(entry)
    carries_token = CALLBACK_TOKEN in event["detail"]["metadata"]
    assert carries_callback_token(entry) is carries_token
    assert matches(EventPattern.load(json.dumps(archive_pattern())), event) is not carries_token


def test_reviews_stay_replayable_and_case_tokens_stay_out_of_the_archive() -> None:
    archived = set(archive_pattern()["detail-type"])
    assert "ReviewSubmitted" in archived
    # The case workflow keeps its token in the cases table (its waiting task writes it), so no catalogued event may
    # carry one, and every event is archived; one whose schema allowed a token again would leave the archive.
    assert not [entry["detailType"] for entry in event_catalogue() if carries_callback_token(entry)]
    assert archived == {entry["detailType"] for entry in event_catalogue()}


def test_the_registry_holds_one_schema_per_catalogued_event_named_source_at_detail_type(stack: TerraformStack) -> None:
    made = _bus(stack)
    synthesized = synth(stack)
    _, registry = only(synthesized, "aws_schemas_registry", "registry")
    assert registry["name"] == "reviews-test-events-schemas"
    schemas = resources(synthesized, "aws_schemas_schema")
    catalogue = event_catalogue()
    assert sorted(made.schemas) == sorted(entry["detailType"] for entry in catalogue)
    assert sorted(body["name"] for body in schemas.values()) == sorted(
        f"{entry['source']}@{entry['detailType']}" for entry in catalogue
    )
    registry_name = ref("aws_schemas_registry", stack.get_logical_id(made.registry), "name")
    for entry in catalogue:
        body = schemas[stack.get_logical_id(made.schemas[entry["detailType"]])]
        assert (body["registry_name"], body["type"]) == (registry_name, "JSONSchemaDraft4")
        assert body["description"] == f"{entry['detailType']} from {entry['source']}; producer: {entry['producer']}"


def test_each_registry_schema_is_the_event_schema_with_the_shared_definitions_embedded(stack: TerraformStack) -> None:
    made = _bus(stack)
    schemas = resources(synth(stack), "aws_schemas_schema")
    definitions = load_json(EVENT_SCHEMA_DIR / "definitions.json")
    for entry in event_catalogue():
        content = json.loads(schemas[stack.get_logical_id(made.schemas[entry["detailType"]])]["content"])
        assert content == event_schema(entry["schema"])
        assert content["definitions"] == definitions


def test_publishers_get_put_events_on_exactly_this_bus(stack: TerraformStack) -> None:
    made = _bus(stack)
    assert resolved(stack, made.put_events_statement()) == {
        "Sid": "PublishEvents",
        "Effect": "Allow",
        "Action": ["events:PutEvents"],
        "Resource": [ref("aws_cloudwatch_event_bus", stack.get_logical_id(made.bus), "arn")],
    }


@pytest.mark.parametrize("days", [1, 3650])
def test_archive_retention_takes_the_bounds_of_one_day_and_ten_years(stack: TerraformStack, days: int) -> None:
    _bus(stack, archive_retention_days=days)
    assert only(synth(stack), "aws_cloudwatch_event_archive", "archive")[1]["retention_days"] == days


# ------------------------------------------------------------------------------------------ input validation


@pytest.mark.parametrize("days", [0, 3651])
def test_archive_retention_outside_one_to_3650_days_is_rejected(stack: TerraformStack, days: int) -> None:
    with pytest.raises(ValueError, match=f"archive_retention_days: {days} must be a whole number from 1 to 3650"):
        _bus(stack, archive_retention_days=days)
