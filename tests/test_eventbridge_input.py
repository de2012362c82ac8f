"""aws_behaviour/eventbridge_input.py: what an EventBridge target receives, the one model the emulator's deliveries and
the operator's redrive share. The expected outputs follow what AWS gave for the same shapes of template (see the
module docstring for the pages and recordings they come from)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from aws_behaviour.eventbridge_input import Undeliverable, select, target_input, transform

ROOT = Path(__file__).resolve().parent.parent
RULE = "arn:aws:events:eu-west-1:123456789012:rule/reviews-dev-events-bus/reviews-dev-audit"
EVENT: dict[str, Any] = {
    "version": "0",
    "id": "e-1",
    "detail-type": "ReviewSubmitted",
    "source": "reviews.frontend",
    "account": "123456789012",
    "time": "2026-12-01T10:00:00Z",
    "region": "eu-west-1",
    "resources": ["arn:aws:apigateway:eu-west-1::/restapis/a1"],
    "detail": {
        "review": {"id": "r-1", "stars": 5, "text": 'Said "wow"', "verified": True, "reply": None},
        "customer": {"name": "Ann", "tier": "gold"},
        "tags": ["fast", "kind"],
    },
}
PATHS = {
    "id": "$.detail.review.id",
    "stars": "$.detail.review.stars",
    "text": "$.detail.review.text",
    "verified": "$.detail.review.verified",
    "reply": "$.detail.review.reply",
    "customer": "$.detail.customer",
    "tags": "$.detail.tags",
    "missing": "$.detail.nothing",
}
ENVELOPE = {key: value for key, value in EVENT.items() if key not in ("detail", "detail-type")}

# (template, the exact text the target receives)
DELIVERED = [
    ('{"s": <stars>, "i": <id>}', '{"s": 5, "i": "r-1"}'),
    ('{"m": <missing>}', '{"m": ""}'),
    ('{"r": <reply>, "quoted": "[<reply>]"}', '{"r": null, "quoted": "[]"}'),
    ('{"path": "reviews/<id>/stars/<stars>"}', '{"path": "reviews/r-1/stars/5"}'),
    ('{"v": "<verified>"}', '{"v": "true"}'),
    ('{"c": <customer>, "t": <tags>}', '{"c": {"name": "Ann", "tier": "gold"}, "t": ["fast", "kind"]}'),
    ('{"t": [<id>, "fixed"]}', '{"t": ["r-1", "fixed"]}'),
    ('"Review <id> by <customer>"', '"Review r-1 by {name:Ann,tier:gold}"'),
    ('"tags <tags>, missing <missing>."', '"tags [fast,kind], missing ."'),
    ('"said <text>"', '"said Said "wow""'),
    (
        '"<aws.events.rule-name> on <aws.events.rule-arn> at <aws.events.event.ingestion-time>"',
        f'"reviews-dev-audit on {RULE} at 2026-12-01T10:00:00Z"',
    ),
    ('{"rule": <aws.events.rule-name>}', '{"rule": "reviews-dev-audit"}'),
    ('"whole <aws.events.event.json>"', f'"whole {json.dumps(EVENT)}"'),
]
# (template, what the refusal says): EventBridge delivers nothing for these.
UNDELIVERABLE = [
    ('{"c": "<customer>"}', "<customer> selects a JSON object"),
    ('{"t": "tags <tags>"}', "<tags> selects a JSON array"),
    ('{"said": "Review: <text>"}', "invalid JSON"),
    ('{"e": "<aws.events.event.json>"}', "invalid JSON"),
]


def transformed(template: str, paths: dict[str, str] = PATHS) -> str:
    return transform({"InputPathsMap": paths, "InputTemplate": template}, EVENT, rule_arn=RULE)


@pytest.mark.parametrize(("template", "expected"), DELIVERED, ids=[case[0] for case in DELIVERED])
def test_an_input_template_gives_the_text_eventbridge_delivers(template, expected):
    assert transformed(template) == expected


@pytest.mark.parametrize(("template", "reason"), UNDELIVERABLE, ids=[case[0] for case in UNDELIVERABLE])
def test_an_input_template_eventbridge_cannot_fill_for_the_event_is_refused_with_its_reason(template, reason):
    with pytest.raises(Undeliverable, match=reason.replace("<", r"\<")):
        transformed(template)


def test_the_event_variable_is_the_envelope_without_detail_its_detail_type_named_detail_type_in_camel_case():
    assert json.loads(transformed('{"e": <aws.events.event>}')) == {"e": {**ENVELOPE, "detailType": "ReviewSubmitted"}}


def test_the_event_json_variable_is_the_whole_event():
    assert json.loads(transformed('{"e": <aws.events.event.json>}')) == {"e": EVENT}


def test_the_rule_name_of_a_rule_on_the_default_bus_is_the_end_of_its_arn():
    rule = "arn:aws:events:eu-west-1:123456789012:rule/nightly"
    template = {"InputTemplate": '"<aws.events.rule-name>"'}
    assert transform(template, EVENT, rule_arn=rule) == '"nightly"'


def test_a_placeholder_no_path_defines_stays_as_written():
    assert transformed('"<undefined> stays"', {}) == '"<undefined> stays"'


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", (True, EVENT)),
        ("$.detail-type", (True, "ReviewSubmitted")),
        ("$.resources[0]", (True, EVENT["resources"][0])),
        ("$.detail.review.reply", (True, None)),
        ("$.resources[1]", (False, None)),
        ("$.detail.review.id.more", (False, None)),
    ],
)
def test_an_input_path_selects_by_names_and_indices(path, expected):
    assert select(path, EVENT) == expected


@pytest.mark.parametrize("path", ["detail.review", "$..id", "$.detail[0", "$.detail['review']", "$.tags[*]"])
def test_an_input_path_outside_what_is_modelled_is_refused_rather_than_selecting_nothing(path):
    with pytest.raises(ValueError, match="input path"):
        select(path, EVENT)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({"Input": '{"constant": true}'}, '{"constant": true}'),
        ({"InputPath": "$.detail.customer"}, '{"name": "Ann", "tier": "gold"}'),
        ({"InputPath": "$.detail.nothing"}, "null"),
        ({}, json.dumps(EVENT)),
        ({"InputTransformer": {"InputPathsMap": {"id": "$.id"}, "InputTemplate": '"<id>"'}}, '"e-1"'),
    ],
    ids=["Input", "InputPath", "InputPath selecting nothing", "no input setting", "InputTransformer"],
)
def test_a_target_receives_what_its_input_setting_says(target, expected):
    assert target_input(target, EVENT, rule_arn=RULE) == expected


def _imported_packages(folder: str) -> set[str]:
    found: set[str] = set()
    for source in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("aws_behaviour", {"modules", "offline", "ops"}),
        ("ops", {"modules", "offline"}),
        ("offline", {"modules", "ops"}),
    ],
)
def test_the_shared_model_lets_ops_and_offline_keep_apart(folder, forbidden):
    assert _imported_packages(folder) & forbidden == set()
