"""modules/common.py on its own: placeholder substitution, the IAM document helpers and the event contracts.
Pure functions, so nothing here synthesizes."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from modules.common import (
    ASL_DIR,
    EVENT_SCHEMA_DIR,
    SubstitutionError,
    deny_insecure_transport,
    event_catalogue,
    event_schema,
    load_asl,
    load_json,
    placeholders,
    policy_document,
    statement,
    substitute,
    table_key_statement,
    trust_policy,
)

# --- substitute: what it never touches ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "$.detail.data.reviewId",
        "$$.Task.Token",
        "$$.Execution.Id",
        "States.Format('{}-{}', $.reviewId, $$.State.EnteredTime)",
        "$input.path('$.reviewId')",
        "$util.escapeJavaScript($input.json('$'))",
        "#set($body = $input.path('$'))$context.requestId",
        "{literal braces} and a lone $",
    ],
)
def test_asl_paths_and_vtl_are_never_touched(text: str) -> None:
    document = {"Parameters": {"Value.$": text, "List": [text]}, "Name": "${Name}"}
    result = substitute(document, {"Name": "n"}, source="test")
    assert result == {"Parameters": {"Value.$": text, "List": [text]}, "Name": "n"}


def test_a_document_without_placeholders_comes_back_equal() -> None:
    document = {"StartAt": "A", "States": {"A": {"Type": "Pass", "ResultPath": "$.x", "End": True}}, "N": 3}
    assert substitute(document, {}, source="test") == document


def test_the_document_passed_in_is_left_unchanged() -> None:
    document = {"Name": "${Name}", "Items": ["${Name}"]}
    before = copy.deepcopy(document)
    substitute(document, {"Name": "n"}, source="test")
    assert document == before


def test_keys_numbers_booleans_and_nulls_pass_through() -> None:
    document = {"${Name}": 1, "Flag": True, "Nothing": None, "Ratio": 0.5, "Name": "${Name}"}
    assert substitute(document, {"Name": "n"}, source="test") == {
        "${Name}": 1,
        "Flag": True,
        "Nothing": None,
        "Ratio": 0.5,
        "Name": "n",
    }


# --- substitute: values -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [30, 0.25, True, None, {"Arn": "x"}, ["a", "b"], "text"])
def test_a_whole_string_placeholder_takes_the_value_with_its_type(value: Any) -> None:
    assert substitute({"TimeoutSeconds": "${Timeout}"}, {"Timeout": value}, source="test") == {"TimeoutSeconds": value}


def test_a_placeholder_inside_text_is_replaced_by_the_value_as_text() -> None:
    document = {"Arn": "arn:aws:events:${Region}:${Account}:event-bus/${Bus}", "Wait": "after ${Seconds} s"}
    values = {"Region": "eu-west-1", "Account": "123456789012", "Bus": "reviews", "Seconds": 30}
    assert substitute(document, values, source="test") == {
        "Arn": "arn:aws:events:eu-west-1:123456789012:event-bus/reviews",
        "Wait": "after 30 s",
    }


def test_one_placeholder_used_twice_in_one_string_is_replaced_both_times() -> None:
    assert substitute({"A": "${Name}/${Name}"}, {"Name": "n"}, source="test") == {"A": "n/n"}


@pytest.mark.parametrize("value", [True, {"a": 1}, ["a"], None])
def test_a_value_that_is_not_text_or_a_number_cannot_sit_inside_text(value: Any) -> None:
    with pytest.raises(SubstitutionError, match=re.escape("test: ${Value} sits inside text, so its value must be")):
        substitute({"A": "prefix-${Value}"}, {"Value": value}, source="test")


@pytest.mark.parametrize(
    "value",
    [
        'say "hello"',
        "two\nlines\tand a tab",
        "back\\slash",
        "${aws_sqs_queue.queue.arn}",
        "${TfToken[TOKEN.42]}",
        "</script>\u2028",
    ],
)
def test_a_value_with_quotes_newlines_or_terraform_tokens_never_breaks_the_json(value: str) -> None:
    document = {"Whole": "${Value}", "Inside": "before ${Value} after"}
    result = substitute(document, {"Value": value}, source="test")
    assert result == {"Whole": value, "Inside": f"before {value} after"}
    assert json.loads(json.dumps(result)) == result


def test_a_value_that_looks_like_a_placeholder_is_data_not_a_placeholder() -> None:
    # One pass over the document: a value is never searched for placeholders of its own.
    assert substitute({"A": "x ${First}"}, {"First": "${Second}"}, source="test") == {"A": "x ${Second}"}
    assert substitute({"A": "${First}"}, {"First": "${lower}"}, source="test") == {"A": "${lower}"}


# --- substitute: what it refuses -------------------------------------------------------------------------


def test_an_unknown_placeholder_fails_naming_it_and_the_values_provided() -> None:
    with pytest.raises(SubstitutionError) as error:
        substitute({"A": "${Missing}", "B": "${Given}"}, {"Given": "g"}, source="asl/x.asl.json")
    assert str(error.value) == "asl/x.asl.json: placeholder ${Missing} has no value; provided: ['Given']"


@pytest.mark.parametrize("name", ["lower", "snake_case", "Kebab-Case", "With Space", "", "1Digit"])
def test_a_placeholder_that_is_not_pascal_case_fails(name: str) -> None:
    with pytest.raises(SubstitutionError) as error:
        substitute({"A": f"x ${{{name}}} y"}, {}, source="test")
    assert str(error.value) == f"test: '${{{name}}}' is not a ${{PascalCase}} placeholder"


def test_a_whole_string_placeholder_that_is_not_pascal_case_fails_too() -> None:
    with pytest.raises(SubstitutionError, match=re.escape("test: '${bus}' is not a ${PascalCase} placeholder")):
        substitute({"A": "${bus}"}, {}, source="test")


@pytest.mark.parametrize("name", ["eventBus", "EVENT_BUS", "Event-Bus", "1Bus"])
def test_a_value_whose_name_is_not_pascal_case_fails(name: str) -> None:
    with pytest.raises(SubstitutionError) as error:
        substitute({"A": "a"}, {name: "x"}, source="test")
    assert str(error.value) == f"test: substitution name {name!r} is not PascalCase"


def test_a_value_the_document_never_uses_fails_naming_every_unused_one() -> None:
    with pytest.raises(SubstitutionError) as error:
        substitute({"A": "${Used}"}, {"Used": 1, "Zeta": 2, "Alpha": 3}, source="test")
    assert str(error.value) == "test: values provided but never used: ['Alpha', 'Zeta']"


def test_a_substitution_error_is_a_value_error() -> None:
    assert issubclass(SubstitutionError, ValueError)


# --- placeholders and load_asl ---------------------------------------------------------------------------


def test_placeholders_finds_every_name_in_nested_values_once() -> None:
    document = {"A": "${One}", "B": [{"C": "x ${Two} ${One}"}, 3, None], "D": "$.path", "E": "$$.Task.Token"}
    assert placeholders(document) == {"One", "Two"}


def test_placeholders_reports_names_that_substitute_would_refuse() -> None:
    # So a caller can list what a document expects before it has the values.
    assert placeholders({"A": "${lower} ${Good}"}) == {"lower", "Good"}


def test_placeholders_of_a_document_without_any_is_empty() -> None:
    assert placeholders({"A": "$.x", "B": ["$$.Execution.Id", 1]}) == set()


@pytest.mark.parametrize("path", sorted(ASL_DIR.glob("*.asl.json")), ids=lambda path: path.name)
def test_every_asl_file_fills_with_its_placeholders_and_keeps_its_paths(path: Path) -> None:
    document = load_json(path)
    names = placeholders(document)
    assert names, path.name
    workflow = path.name.removesuffix(".asl.json")
    text = load_asl(workflow, {name: f"value-of-{name}" for name in names})
    assert "${" not in text
    original = json.dumps(document)
    for path_prefix in ("$.", "$$."):
        assert text.count(path_prefix) == original.count(path_prefix), path_prefix


def test_load_asl_names_the_file_in_its_errors() -> None:
    with pytest.raises(SubstitutionError, match=re.escape("asl/analyse-review.asl.json: placeholder")):
        load_asl("analyse-review", {})


# --- IAM documents ---------------------------------------------------------------------------------------


def test_a_statement_allows_its_actions_sorted_on_its_resources() -> None:
    assert statement("Send", ["sqs:SendMessage", "kms:Decrypt"], ["arn:q"]) == {
        "Sid": "Send",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "sqs:SendMessage"],
        "Resource": ["arn:q"],
    }


def test_a_statement_takes_extra_keys_such_as_a_condition() -> None:
    condition = {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert statement("S", ["a:b"], ["r"], Condition=condition)["Condition"] == condition


def test_a_policy_document_is_json_of_the_2012_version_with_the_statements_in_order() -> None:
    first, second = statement("A", ["a:a"], ["r1"]), statement("B", ["b:b"], ["r2"])
    assert json.loads(policy_document([first, second])) == {"Version": "2012-10-17", "Statement": [first, second]}


def test_the_insecure_transport_statement_denies_everyone_without_tls() -> None:
    assert deny_insecure_transport("sqs:*", "arn:q") == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:*",
        "Resource": "arn:q",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def test_the_insecure_transport_statement_keeps_a_list_of_resources() -> None:
    resources = ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    assert deny_insecure_transport("s3:*", resources)["Resource"] == resources


def test_a_trust_policy_trusts_one_service_for_one_account() -> None:
    assert json.loads(trust_policy("states.amazonaws.com", "123456789012")) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "states.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
            }
        ],
    }


def test_a_trust_policy_with_a_source_arn_also_pins_the_caller() -> None:
    [trust] = json.loads(trust_policy("events.amazonaws.com", "123456789012", "arn:aws:events:*:*:rule/r"))["Statement"]
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:events:*:*:rule/r"},
    }


def test_the_table_key_statement_allows_the_key_only_through_dynamodb_in_the_region() -> None:
    assert table_key_statement("arn:key", "eu-west-1") == {
        "Sid": "UseTableKeyThroughDynamoDB",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": ["arn:key"],
        "Condition": {"StringEquals": {"kms:ViaService": "dynamodb.eu-west-1.amazonaws.com"}},
    }


# --- event contracts -------------------------------------------------------------------------------------


def test_the_event_catalogue_describes_each_event_once() -> None:
    catalogue = event_catalogue()
    assert catalogue
    for entry in catalogue:
        assert set(entry) >= {"source", "detailType", "schema", "producer", "consumers"}, entry
        assert entry["source"].startswith("reviews."), entry
        assert entry["consumers"], entry
    assert len({entry["detailType"] for entry in catalogue}) == len(catalogue)


def test_every_schema_file_is_in_the_catalogue_and_every_entry_has_one() -> None:
    files = {path.name.removesuffix(".schema.json") for path in EVENT_SCHEMA_DIR.glob("*.schema.json")}
    assert files == {entry["schema"] for entry in event_catalogue()}


@pytest.mark.parametrize("entry", event_catalogue(), ids=lambda entry: entry["detailType"])
def test_each_event_schema_is_valid_draft_4_for_its_source_and_detail_type(entry: dict[str, Any]) -> None:
    schema = event_schema(entry["schema"])
    jsonschema.Draft4Validator.check_schema(schema)
    assert schema["title"] == entry["detailType"]
    assert schema["properties"]["source"]["enum"] == [entry["source"]]
    assert schema["properties"]["detail-type"]["enum"] == [entry["detailType"]]


@pytest.mark.parametrize("entry", event_catalogue(), ids=lambda entry: entry["detailType"])
def test_each_event_schema_embeds_every_definition_it_refers_to(entry: dict[str, Any]) -> None:
    schema = event_schema(entry["schema"])
    refs = set(re.findall(r'"\$ref": "#/definitions/([^"]+)"', json.dumps(schema)))
    assert refs
    assert refs <= set(schema["definitions"])


def test_an_event_schema_is_self_contained_and_rejects_another_event() -> None:
    schema = event_schema("thank-you-sent")
    wrong = {"source": "reviews.frontend", "detail-type": "ThankYouSent", "detail": {"metadata": {}, "data": {}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(wrong)
