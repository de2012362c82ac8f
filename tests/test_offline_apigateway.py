"""offline/apigateway/: a REST API created from its OpenAPI body, as Terraform's aws_api_gateway_rest_api does."""

from __future__ import annotations

import json

import pytest

from offline.engine.cloud import OfflineCloud
from tests.offline_stacks import small_stack


def test_a_rest_api_with_mock_preflights_is_imported():
    body = {
        "openapi": "3.0.1",
        "info": {"title": "t", "description": "moto's import needs one", "version": "1"},
        "paths": {
            "/reviews": {
                "options": {
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {"application/json": '{"statusCode": 200}'},
                        "responses": {"default": {"statusCode": "200"}},
                    },
                }
            }
        },
    }
    document = small_stack({"aws_api_gateway_rest_api": {"api": {"name": "test-api", "body": json.dumps(body)}}})
    with OfflineCloud(document) as running:
        api = running.resource("aws_api_gateway_rest_api", "api")
        paths = [item["path"] for item in running.client("apigateway").get_resources(restApiId=api["id"])["items"]]
    assert sorted(paths) == ["/", "/reviews"]


# --- API Gateway's own answers (offline/apigateway/responses.py) ---------------------------------------------

VALIDATION_CASES = {
    "required": (
        {"required": ["text", "reviewerName"]},
        {"reviewerName": "A"},
        'object has missing required properties (["text"])',
    ),
    "type": (
        {"type": "string"},
        5,
        'instance type (integer) does not match any allowed primitive type (allowed: ["string"])',
    ),
    "maxLength": ({"maxLength": 3}, 'a"bcd', 'string "a\\"bcd" is too long (length: 5, maximum allowed: 3)'),
    "pattern": ({"pattern": "^x$"}, "y", 'ECMA 262 regex "^x$" does not match input string "y"'),
    "enum": ({"enum": ["en", "nl"]}, "fr", 'instance value ("fr") not found in enum (possible values: ["en", "nl"])'),
}


@pytest.mark.parametrize("keyword", list(VALIDATION_CASES))
def test_validation_errors_read_as_api_gateways_validator_writes_them(keyword):
    import jsonschema

    from offline.apigateway.responses import validation_error_string

    schema, instance, expected = VALIDATION_CASES[keyword]
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(instance))
    assert validation_error_string(errors) == f"[{expected}]"


def test_a_gateway_response_template_is_substituted_not_rendered_as_vtl():
    from offline.apigateway.responses import render_gateway_template

    template = '{"m": $context.error.messageString, "v": "$context.error.validationErrorString", "s": "$stageVariables.x", "h": "method.request.header.Origin", "u": "$util.escapeJavaScript($x)", "gone": "$context.nothing.here"}'
    rendered = render_gateway_template(
        template,
        context={"error": {"messageString": '"Invalid"', "validationErrorString": '[a "b"]'}},
        stage_variables={"x": "stage"},
        method_request={"header": {"Origin": "https://o.example"}},
    )
    # No escaping: a quote in the validation string breaks a JSON string around it, as on AWS.
    assert (
        rendered
        == '{"m": "Invalid", "v": "[a "b"]", "s": "stage", "h": "https://o.example", "u": "$util.escapeJavaScript($x)", "gone": ""}'
    )
