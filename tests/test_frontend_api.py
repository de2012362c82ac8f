"""Front-end API: the synthesized OpenAPI document (routes, integrations, validators, authorizer, CORS), the
integration roles, the stage, the request models, and every mapping template rendered with the offline renderer."""

from __future__ import annotations

import json
import shutil
import time
from typing import Any

import jsonschema
import pytest

from modules import common
from modules.common import event_schema, load_json
from modules.customer_service import OPEN_CASES_INDEX
from modules.frontend_api import (
    MAX_TEXT_BYTES,
    FrontendApi,
    TemplateError,
    mapping_template,
    render_rules,
    schema_rules,
)
from offline.apigateway.vtl import RenderResult, render
from tests.sfn_harness import ACCOUNT, BUS, REGION, aws
from tests.tf import decoded, only, ref, references, resources, sample_platform

REQUEST_ID = "c0ffee00-0000-4000-8000-000000000001"
EPOCH_MS = 1767225600123
TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAA-callback-token-never-shown"
REVIEW = {
    "reviewerName": "Ada Lovelace",
    "reviewerEmail": "ada@example.com",
    "productId": "tea-42",
    "text": "Lovely tea.",
}
# Values that break naive escaping. Control characters are valid only in text (the name's pattern refuses them).
NASTY = {
    "double-quotes": 'He said "great", then "fine"',
    "backslashes": 'C:\\tea\\ \\" \\u0041 \\',
    "newlines-and-tabs": "line one\nline two\r\n\tindented",
    "emoji": "Loved it 😀👍🏽 ❤️",
    "cjk": "很好喝，还会再买",  # noqa: RUF001 - a real full-width comma
    "script-tag": "</script><script>alert(1)</script>",
    "single-quotes": "'single' and it's",
    "json-lookalike": '{"data": {"text": "x"}, "metadata": 1}',
}
TEXT_ONLY = {"newlines-and-tabs"}


# --- reading the synthesized stack --------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(dev) -> tuple[str, dict[str, Any]]:
    return only(dev, "aws_api_gateway_rest_api", "frontend")


@pytest.fixture(scope="module")
def document(api) -> dict[str, Any]:
    return json.loads(api[1]["body"])


@pytest.fixture(scope="module")
def stage(dev) -> dict[str, Any]:
    return only(dev, "aws_api_gateway_stage", "frontend")[1]


@pytest.fixture(scope="module")
def stage_variables(stage) -> dict[str, str]:
    return stage["variables"]


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(path, method): operation for path, item in document["paths"].items() for method, operation in item.items()}


def integration(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    return document["paths"][path][method]["x-amazon-apigateway-integration"]


def request_template(document: dict[str, Any], path: str, method: str) -> str:
    return integration(document, path, method)["requestTemplates"]["application/json"]


def response_template(document: dict[str, Any], path: str, method: str, selection: str = "default") -> str:
    return integration(document, path, method)["responses"][selection]["responseTemplates"]["application/json"]


def role(dev, dev_config, name: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The logical name, the role and its one inline policy, of the integration role ``name``."""
    physical = f"{dev_config.prefix}-frontend-{name}-apigw"
    [(logical, body)] = [(n, r) for n, r in resources(dev, "aws_iam_role").items() if r["name"] == physical]
    [policy] = [
        decoded(p, "policy")
        for p in resources(dev, "aws_iam_role_policy").values()
        if references(p["role"])[0][1] == logical
    ]
    return logical, body, policy


# --- the document -------------------------------------------------------------------------------------


def test_the_api_has_exactly_the_review_and_case_routes_and_their_preflights(document):
    assert set(operations(document)) == {
        ("/reviews", "post"),
        ("/reviews", "options"),
        ("/cases", "get"),
        ("/cases", "options"),
        ("/cases/{caseId}/resolution", "post"),
        ("/cases/{caseId}/resolution", "options"),
    }


def test_only_review_submission_and_preflights_are_anonymous(document):
    anonymous = {key for key, operation in operations(document).items() if not operation.get("security")}
    assert anonymous == {
        ("/reviews", "post"),
        ("/reviews", "options"),
        ("/cases", "options"),
        ("/cases/{caseId}/resolution", "options"),
    }


def test_agent_routes_require_the_agents_authorizer(document):
    for key in [("/cases", "get"), ("/cases/{caseId}/resolution", "post")]:
        assert operations(document)[key]["security"] == [{"agents": []}], key


def test_the_agents_authorizer_takes_the_consoles_id_tokens_of_the_user_pool_from_the_authorization_header(
    dev, document
):
    scheme = document["components"]["securitySchemes"]["agents"]
    pool, _ = only(dev, "aws_cognito_user_pool", "agents")
    client, _ = only(dev, "aws_cognito_user_pool_client", "console")
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert scheme["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    # Without the expression API Gateway takes an ID token of any app client of the pool: it checks aud only
    # through it. https://docs.aws.amazon.com/apigateway/latest/api/API_Authorizer.html
    assert scheme["x-amazon-apigateway-authorizer"] == {
        "type": "cognito_user_pools",
        "providerARNs": [ref("aws_cognito_user_pool", pool, "arn")],
        "identityValidationExpression": "^" + ref("aws_cognito_user_pool_client", client, "id") + "$",
    }


def test_review_submission_starts_the_accept_review_workflow_synchronously(document, dev_config):
    target = integration(document, "/reviews", "post")
    assert (target["type"], target["httpMethod"]) == ("aws", "POST")
    assert target["uri"] == (
        f"arn:${{data.aws_partition.partition.partition}}:apigateway:{dev_config.region}:states:action/StartSyncExecution"
    )


def test_listing_cases_is_a_dynamodb_query(document, dev_config):
    target = integration(document, "/cases", "get")
    assert (target["type"], target["httpMethod"]) == ("aws", "POST")
    assert target["uri"].endswith(f":apigateway:{dev_config.region}:dynamodb:action/Query")


def test_resolving_a_case_starts_a_synchronous_execution(document, dev_config):
    target = integration(document, "/cases/{caseId}/resolution", "post")
    assert (target["type"], target["httpMethod"]) == ("aws", "POST")
    assert target["uri"].endswith(f":apigateway:{dev_config.region}:states:action/StartSyncExecution")


@pytest.mark.parametrize(
    ("path", "method", "name"),
    [
        ("/reviews", "post", "submit-review"),
        ("/cases", "get", "list-open-cases"),
        ("/cases/{caseId}/resolution", "post", "resolve-case"),
    ],
)
def test_each_integration_calls_with_its_own_role(dev, dev_config, document, path, method, name):
    logical, _, _ = role(dev, dev_config, name)
    assert integration(document, path, method)["credentials"] == ref("aws_iam_role", logical, "arn")


def test_service_integrations_refuse_content_types_they_have_no_template_for(document):
    for key, operation in operations(document).items():
        target = operation["x-amazon-apigateway-integration"]
        if target["type"] == "aws":
            assert target["passthroughBehavior"] == "never", key
            assert set(target["requestTemplates"]) == {"application/json"}, key


def test_bodies_and_parameters_of_review_and_resolution_requests_are_validated(document):
    validators = document["x-amazon-apigateway-request-validators"]
    for key in [("/reviews", "post"), ("/cases/{caseId}/resolution", "post")]:
        chosen = validators[operations(document)[key]["x-amazon-apigateway-request-validator"]]
        assert chosen == {"validateRequestBody": True, "validateRequestParameters": True}, key


def test_request_bodies_name_their_models(document):
    def model(key: tuple[str, str]) -> str:
        return operations(document)[key]["requestBody"]["content"]["application/json"]["schema"]["$ref"]

    # The validator checks only that a review is a JSON object: the template names what else is wrong.
    assert model(("/reviews", "post")) == "#/components/schemas/ReviewBody"
    assert document["components"]["schemas"]["ReviewBody"]["type"] == "object"
    assert set(document["components"]["schemas"]["ReviewBody"]) == {"title", "type", "description"}
    assert model(("/cases/{caseId}/resolution", "post")) == "#/components/schemas/CaseResolution"


@pytest.mark.parametrize(
    ("response", "status"),
    [
        ("BAD_REQUEST_BODY", "400"),
        ("UNAUTHORIZED", "401"),
        ("ACCESS_DENIED", "403"),
        ("DEFAULT_4XX", None),
        ("DEFAULT_5XX", None),
    ],
)
def test_gateway_errors_answer_json_with_the_request_id(document, response, status):
    gateway = document["x-amazon-apigateway-gateway-responses"][response]
    assert gateway.get("statusCode") == status
    assert '"requestId": "$context.requestId"' in gateway["responseTemplates"]["application/json"]


# What AWS can put in the variables a gateway response reads: its validation strings hold double quotes and echo
# the client's input (backslashes, quotes, control characters), and messages are AWS's own sentences.
AWS_VALUES = {
    "validationErrorString": [
        '[object has missing required properties (["text"])]',
        '[string "a\\"b" is too long (length: 5001, maximum allowed: 5000)]',
        "[Unknown error parsing request body]",
        '[ECMA 262 regex "^x$" does not match input string "\n\u0000"]',
    ],
    "message": ["Invalid request body", "Unauthorized", 'Missing "Authentication" Token', "Forbidden"],
}


@pytest.mark.parametrize(
    "response", ["BAD_REQUEST_BODY", "UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"]
)
@pytest.mark.parametrize("index", range(4))
def test_every_gateway_response_is_valid_json_for_any_message_aws_can_produce(document, response, index):
    from offline.apigateway.responses import render_gateway_template

    template = document["x-amazon-apigateway-gateway-responses"][response]["responseTemplates"]["application/json"]
    # Non-VTL: only simple substitution, no $util and no directives.
    assert "$util" not in template and "#" not in template
    message = AWS_VALUES["message"][index]
    context = {
        "requestId": "r-1",
        "error": {
            "message": message,
            "messageString": json.dumps(message),
            "validationErrorString": AWS_VALUES["validationErrorString"][index],
        },
    }
    body = json.loads(render_gateway_template(template, context=context, stage_variables={}, method_request={}))
    assert body["requestId"] == "r-1" and body["message"]


def test_every_response_carries_the_configured_origin(document, dev_config):
    origin = f"'{dev_config.frontend.allowed_origin}'"
    for key, operation in operations(document).items():
        for status, response in operation["responses"].items():
            assert "Access-Control-Allow-Origin" in response["headers"], (key, status)
        for selection, response in operation["x-amazon-apigateway-integration"]["responses"].items():
            assert response["responseParameters"]["method.response.header.Access-Control-Allow-Origin"] == origin, (
                key,
                selection,
            )
    for name, response in document["x-amazon-apigateway-gateway-responses"].items():
        assert response["responseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"] == origin, name


@pytest.mark.parametrize(
    ("path", "methods"),
    [("/reviews", "POST,OPTIONS"), ("/cases", "GET,OPTIONS"), ("/cases/{caseId}/resolution", "POST,OPTIONS")],
)
def test_preflights_allow_the_configured_origin_the_path_methods_and_the_request_headers(
    document, dev_config, path, methods
):
    preflight = integration(document, path, "options")
    [answer] = preflight["responses"].values()
    assert preflight["type"] == "mock"
    assert answer["responseParameters"] == {
        "method.response.header.Access-Control-Allow-Origin": f"'{dev_config.frontend.allowed_origin}'",
        "method.response.header.Access-Control-Allow-Methods": f"'{methods}'",
        "method.response.header.Access-Control-Allow-Headers": "'Content-Type,Authorization,Idempotency-Key'",
        "method.response.header.Access-Control-Max-Age": "'600'",
    }


def test_every_integration_status_is_a_declared_method_response(document):
    for key, operation in operations(document).items():
        for response in operation["x-amazon-apigateway-integration"]["responses"].values():
            assert response["statusCode"] in operation["responses"], key


def test_service_errors_are_selected_by_status_code_into_a_502(document):
    for key, operation in operations(document).items():
        target = operation["x-amazon-apigateway-integration"]
        if target["type"] == "aws":
            assert target["responses"]["4\\d{2}|5\\d{2}"]["statusCode"] == "502", key


def test_every_mapping_template_is_the_text_of_its_vtl_file(document):
    names = {
        ("/reviews", "post"): "submit-review",
        ("/cases", "get"): "list-open-cases",
        ("/cases/{caseId}/resolution", "post"): "resolve-case",
    }
    for (path, method), name in names.items():
        for kind, deployed in (
            ("request", request_template(document, path, method)),
            ("response", response_template(document, path, method)),
        ):
            file_name = f"{name}.{kind}.vtl"
            assert deployed == render_rules(mapping_template(file_name), document, file_name)
        assert response_template(document, path, method, "4\\d{2}|5\\d{2}") == mapping_template(
            "integration-error.response.vtl"
        )


def test_every_vtl_file_is_used(document):
    text = json.dumps(document)
    for path in common.API_DIR.glob("*.vtl"):
        used_whole = json.dumps(render_rules(mapping_template(path.name), document, path.name))[1:-1] in text
        parsed = any(f'#parse("{path.name}")' in p.read_text() for p in common.API_DIR.glob("*.vtl"))
        assert used_whole or parsed, path.name


# --- roles --------------------------------------------------------------------------------------------


def accept_machine(dev, dev_config) -> tuple[str, dict[str, Any]]:
    [(logical, machine)] = [
        (n, m)
        for n, m in resources(dev, "aws_sfn_state_machine").items()
        if m["name"] == f"{dev_config.prefix}-frontend-accept-review"
    ]
    return logical, machine


def test_the_submit_review_role_may_only_start_sync_executions_of_the_accept_workflow(dev, dev_config):
    _, _, policy = role(dev, dev_config, "submit-review")
    machine, _ = accept_machine(dev, dev_config)
    [grant] = policy["Statement"]
    assert grant["Action"] == ["states:StartSyncExecution"]
    assert grant["Resource"] == [ref("aws_sfn_state_machine", machine, "arn")]


def test_the_accept_workflow_is_express_and_may_only_claim_reviews_and_publish_frontend_events(dev, dev_config):
    _, machine = accept_machine(dev, dev_config)
    assert machine["type"] == "EXPRESS"
    [(role_name, _)] = [
        (n, r)
        for n, r in resources(dev, "aws_iam_role").items()
        if r["name"] == f"{dev_config.prefix}-frontend-accept-review-sfn"
    ]
    [policy] = [
        decoded(p, "policy")
        for p in resources(dev, "aws_iam_role_policy").values()
        if references(p["role"])[0][1] == role_name
    ]
    grants = {grant["Sid"]: grant for grant in policy["Statement"]}
    table, _ = only(dev, "aws_dynamodb_table", "reviews")
    bus, _ = only(dev, "aws_cloudwatch_event_bus", "events")
    assert grants["ClaimAndMarkReviews"]["Action"] == ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    assert grants["ClaimAndMarkReviews"]["Resource"] == [ref("aws_dynamodb_table", table, "arn")]
    assert grants["PublishReviewSubmitted"]["Resource"] == [ref("aws_cloudwatch_event_bus", bus, "arn")]
    assert grants["PublishReviewSubmitted"]["Condition"] == {"StringEquals": {"events:source": "reviews.frontend"}}


def test_the_reviews_table_is_keyed_by_idempotency_key_encrypted_recoverable_and_expires_keys(dev, dev_config):
    _, table = only(dev, "aws_dynamodb_table", "reviews")
    assert table["hash_key"] == "idempotencyKey"
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["server_side_encryption"]["enabled"] is True and table["server_side_encryption"]["kms_key_arn"]
    assert table["ttl"] == {"attribute_name": "expiresAt", "enabled": True}
    _, machine = accept_machine(dev, dev_config)
    claim = json.loads(machine["definition"])["States"]["ClaimKey"]["Parameters"]
    assert "expiresAt = :submittedAt + :window" in claim["UpdateExpression"]
    assert claim["ExpressionAttributeValues"][":window"] == {"N": str(dev_config.frontend.idempotency_window_seconds)}


def test_the_list_open_cases_role_may_only_query_the_open_cases_index(dev, dev_config):
    _, _, policy = role(dev, dev_config, "list-open-cases")
    table, _ = only(dev, "aws_dynamodb_table", "cases")
    query, decrypt = policy["Statement"]
    assert query["Action"] == ["dynamodb:Query"]
    assert query["Resource"] == [f"{ref('aws_dynamodb_table', table, 'arn')}/index/{OPEN_CASES_INDEX}"]
    assert (decrypt["Action"], decrypt["Condition"]) == (
        ["kms:Decrypt"],
        {"StringEquals": {"kms:ViaService": f"dynamodb.{dev_config.region}.amazonaws.com"}},
    )


def test_the_resolve_case_role_may_only_start_sync_executions_of_the_resolve_workflow(dev, dev_config):
    _, _, policy = role(dev, dev_config, "resolve-case")
    [(machine, _)] = [
        (n, m)
        for n, m in resources(dev, "aws_sfn_state_machine").items()
        if m["name"] == f"{dev_config.prefix}-customerservice-resolve-case"
    ]
    [grant] = policy["Statement"]
    assert grant["Action"] == ["states:StartSyncExecution"]
    assert grant["Resource"] == [ref("aws_sfn_state_machine", machine, "arn")]


@pytest.mark.parametrize("name", ["submit-review", "list-open-cases", "resolve-case"])
def test_integration_roles_are_trusted_only_by_api_gateway_from_this_account(dev, dev_config, name):
    _, body, _ = role(dev, dev_config, name)
    [trust] = decoded(body, "assume_role_policy")["Statement"]
    assert trust["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "${data.aws_caller_identity.account.account_id}"}
    }


def test_api_gateway_logs_through_an_account_role_allowed_to_push_to_cloudwatch(dev):
    _, account = only(dev, "aws_api_gateway_account", "frontend")
    [(_, logging_role, _)] = references(account["cloudwatch_role_arn"])
    [attachment] = [
        a
        for a in resources(dev, "aws_iam_role_policy_attachment").values()
        if references(a["role"])[0][1] == logging_role
    ]
    assert attachment["policy_arn"].endswith(":iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")


# --- stage and deployment -----------------------------------------------------------------------------


def test_stage_v1_writes_json_access_logs_to_an_encrypted_group_kept_for_the_configured_retention(
    dev, dev_config, stage
):
    settings = stage["access_log_settings"]
    [(_, group, _)] = references(settings["destination_arn"])
    log_group = resources(dev, "aws_cloudwatch_log_group")[group]
    assert stage["stage_name"] == "v1"
    assert json.loads(settings["format"])["requestId"] == "$context.requestId"
    assert log_group["kms_key_id"] and log_group["retention_in_days"] == dev_config.log_retention_days


def test_execution_logs_go_to_a_group_created_encrypted_before_logging_starts(dev, dev_config, api):
    name, body = only(dev, "aws_cloudwatch_log_group", "execution-logs")
    _, settings = only(dev, "aws_api_gateway_method_settings", "frontend")
    assert body["name"] == f"API-Gateway-Execution-Logs_{ref('aws_api_gateway_rest_api', api[0], 'id')}/v1"
    assert body["kms_key_id"] and body["retention_in_days"] == dev_config.log_retention_days
    assert f"aws_cloudwatch_log_group.{name}" in settings["depends_on"]


def test_stage_traces_requests_with_xray(stage):
    assert stage["xray_tracing_enabled"] is True


def test_every_method_is_throttled_at_the_configured_rate_and_burst(dev, dev_config):
    _, settings = only(dev, "aws_api_gateway_method_settings", "frontend")
    assert settings["method_path"] == "*/*"
    assert settings["settings"]["throttling_rate_limit"] == dev_config.frontend.api_rate_limit
    assert settings["settings"]["throttling_burst_limit"] == dev_config.frontend.api_burst_limit


def test_execution_logging_and_metrics_are_on_but_bodies_are_never_logged(dev):
    settings = only(dev, "aws_api_gateway_method_settings", "frontend")[1]["settings"]
    assert settings["logging_level"] in ("ERROR", "INFO")
    assert (settings["metrics_enabled"], settings["data_trace_enabled"]) == (True, False)


def test_caching_is_off(dev, stage):
    settings = only(dev, "aws_api_gateway_method_settings", "frontend")[1]["settings"]
    assert (stage["cache_cluster_enabled"], settings["caching_enabled"]) == (False, False)


def test_a_change_to_the_api_body_redeploys_before_the_old_deployment_goes(dev, api, stage):
    name, deployment = only(dev, "aws_api_gateway_deployment", "frontend")
    assert deployment["triggers"] == {"redeployment": f"${{sha1(aws_api_gateway_rest_api.{api[0]}.body)}}"}
    assert deployment["lifecycle"] == {"create_before_destroy": True}
    assert stage["deployment_id"] == ref("aws_api_gateway_deployment", name, "id")


def test_stage_variables_name_the_accept_workflow_the_cases_index_and_the_resolve_workflow(
    dev, dev_config, stage_variables
):
    accept, _ = accept_machine(dev, dev_config)
    table, _ = only(dev, "aws_dynamodb_table", "cases")
    [machine] = [
        n
        for n, m in resources(dev, "aws_sfn_state_machine").items()
        if m["name"] == f"{dev_config.prefix}-customerservice-resolve-case"
    ]
    assert stage_variables == {
        "acceptReviewStateMachineArn": ref("aws_sfn_state_machine", accept, "arn"),
        "casesTableName": ref("aws_dynamodb_table", table, "name"),
        "openCasesIndex": OPEN_CASES_INDEX,
        "resolveStateMachineArn": ref("aws_sfn_state_machine", machine, "arn"),
    }


# --- request models -----------------------------------------------------------------------------------


def review_model(document: dict[str, Any]) -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(document["components"]["schemas"]["ReviewSubmission"])


def test_the_review_model_takes_its_field_rules_from_the_event_definitions(document):
    definitions = load_json(common.EVENT_SCHEMA_DIR / "definitions.json")
    properties = document["components"]["schemas"]["ReviewSubmission"]["properties"]
    for field, rules in properties.items():
        own = {k: v for k, v in definitions[field].items() if k != "description"}
        assert {k: v for k, v in rules.items() if k != "description"} == own, field


def test_the_review_model_says_text_length_is_counted_in_characters(document):
    text = document["components"]["schemas"]["ReviewSubmission"]["properties"]["text"]
    assert text["maxLength"] == 5000 and "characters" in text["description"]


def test_the_review_model_accepts_a_review(document):
    assert not list(review_model(document).iter_errors(REVIEW))


def test_the_review_model_accepts_unicode_and_emoji(document):
    review = {**REVIEW, "reviewerName": "Zoë 李 😀", "text": "很好喝 😀👍🏽 ❤️", "languageCode": "zh-TW"}
    assert not list(review_model(document).iter_errors(review))


def test_the_review_model_counts_an_emoji_as_one_character(document):
    assert review_model(document).is_valid({**REVIEW, "text": "😀" * 5000})
    assert not review_model(document).is_valid({**REVIEW, "text": "😀" * 5001})


@pytest.mark.parametrize(
    "review",
    [
        {k: v for k, v in REVIEW.items() if k != "reviewerName"},
        {k: v for k, v in REVIEW.items() if k != "reviewerEmail"},
        {k: v for k, v in REVIEW.items() if k != "productId"},
        {k: v for k, v in REVIEW.items() if k != "text"},
        {**REVIEW, "rating": 5},
        {**REVIEW, "reviewerEmail": "not-an-address"},
        {**REVIEW, "productId": "tea 42"},
        {**REVIEW, "text": ""},
        {**REVIEW, "text": "x" * 5001},
        {**REVIEW, "text": 42},
        {**REVIEW, "reviewerName": "Ada\nLovelace"},
        {**REVIEW, "reviewerName": ""},
        {**REVIEW, "languageCode": "English"},
        {**REVIEW, "reviewerEmail": "ada@example.com\n"},
        {**REVIEW, "reviewerEmail": "-@-.-"},
        {**REVIEW, "productId": "p1\n"},
        {**REVIEW, "text": "bell \u0007 in a review"},
        {**REVIEW, "reviewerName": "Ada\u0085"},
    ],
    ids=[
        "no-name",
        "no-email",
        "no-product",
        "no-text",
        "unknown-field",
        "bad-email",
        "bad-product-id",
        "empty-text",
        "text-too-long",
        "text-not-a-string",
        "control-character-in-name",
        "empty-name",
        "bad-language-code",
        "email-ending-in-a-newline",
        "email-of-hyphens",
        "product-id-ending-in-a-newline",
        "control-character-in-text",
        "c1-control-in-name",
    ],
)
def test_the_review_model_rejects(document, review):
    assert not review_model(document).is_valid(review)


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"note": "Refunded and apologised."}, True),
        ({"note": "é😀" * 1000}, True),
        ({}, False),
        ({"note": ""}, False),
        ({"note": "x" * 2001}, False),
        ({"note": 7}, False),
        ({"note": "ok", "agent": "someone-else"}, False),
    ],
    ids=["note", "unicode-note-at-limit", "no-note", "empty-note", "note-too-long", "note-not-a-string", "agent-field"],
)
def test_the_resolution_model_takes_only_a_note_of_1_to_2000_characters(document, body, valid):
    model = jsonschema.Draft4Validator(document["components"]["schemas"]["CaseResolution"])
    assert model.is_valid(body) is valid


# --- POST /reviews templates --------------------------------------------------------------------------


def accept_input(document, stage_variables, review, *, headers=None, escape_non_ascii=True) -> dict[str, Any]:
    """The StartSyncExecution request the template writes for ``review``, its input decoded."""
    body = review if isinstance(review, str) else json.dumps(review, ensure_ascii=False)
    output = render(
        request_template(document, "/reviews", "post"),
        body=body,
        headers=headers or {},
        context={"requestId": REQUEST_ID, "requestTimeEpoch": EPOCH_MS},
        stage_variables=stage_variables,
        escape_non_ascii=escape_non_ascii,
    ).output
    request = json.loads(output)
    assert request["stateMachineArn"] == stage_variables["acceptReviewStateMachineArn"]
    return json.loads(request["input"])


def problem(document, stage_variables, review, headers=None) -> dict[str, str]:
    answer = accept_input(document, stage_variables, review, headers=headers)
    assert set(answer) == {"problem"}, answer
    return answer["problem"]


@pytest.mark.parametrize("escape_non_ascii", [True, False], ids=["unicode-escaped", "unicode-as-is"])
@pytest.mark.parametrize("nasty", list(NASTY), ids=list(NASTY))
def test_the_review_passed_on_decodes_to_exactly_the_submitted_values(
    document, stage_variables, nasty, escape_non_ascii
):
    value = NASTY[nasty]
    review = {**REVIEW, "text": value, "reviewerName": REVIEW["reviewerName"] if nasty in TEXT_ONLY else value}
    answer = accept_input(document, stage_variables, review, escape_non_ascii=escape_non_ascii)
    assert answer["review"] == review


def test_the_review_passed_on_has_one_order_whatever_the_order_sent(document, stage_variables):
    # The fingerprint is of the review's JSON: the same review must always be written the same way.
    review = {**REVIEW, "languageCode": "en"}
    orders = {
        tuple(accept_input(document, stage_variables, dict(order))["review"])
        for order in (
            list(review.items()),
            list(reversed(list(review.items()))),
        )
    }
    assert orders == {("languageCode", "productId", "reviewerEmail", "reviewerName", "text")}


def test_without_an_idempotency_key_the_key_is_the_request_id(document, stage_variables):
    assert accept_input(document, stage_variables, REVIEW, headers={"Other": "x"})["idempotencyKey"] == REQUEST_ID


@pytest.mark.parametrize("header", ["Idempotency-Key", "idempotency-key", "IDEMPOTENCY-KEY"])
def test_the_idempotency_key_header_in_any_case_is_the_key(document, stage_variables, header):
    answer = accept_input(document, stage_variables, REVIEW, headers={header: "order-77.review_2"})
    assert answer["idempotencyKey"] == "order-77.review_2"


def test_submitted_at_is_the_request_time_in_epoch_seconds(document, stage_variables):
    assert accept_input(document, stage_variables, REVIEW)["submittedAt"] == EPOCH_MS // 1000


def test_the_language_code_is_passed_on_when_given_and_absent_when_not(document, stage_variables):
    assert accept_input(document, stage_variables, {**REVIEW, "languageCode": "pt-BR"})["review"]["languageCode"] == (
        "pt-BR"
    )
    assert "languageCode" not in accept_input(document, stage_variables, REVIEW)["review"]


@pytest.mark.parametrize(
    ("review", "headers", "field", "reason"),
    [
        ({k: v for k, v in REVIEW.items() if k != "text"}, None, "text", "is required"),
        ({**REVIEW, "text": 42}, None, "text", "must be a string"),
        ({**REVIEW, "reviewerName": None}, None, "reviewerName", "must be a string"),
        ({**REVIEW, "text": ""}, None, "text", "must be at least 1 characters"),
        ({**REVIEW, "text": "x" * 5001}, None, "text", "must be at most 5000 characters"),
        ({**REVIEW, "text": "é" * 5000}, None, "text", "must be at most 5000 bytes of UTF-8 (Comprehend's limit)"),
        ({**REVIEW, "reviewerEmail": "ada@example.com\n"}, None, "reviewerEmail", "must match the pattern"),
        ({**REVIEW, "reviewerEmail": "-@-.-"}, None, "reviewerEmail", "must match the pattern"),
        ({**REVIEW, "productId": "p1\n"}, None, "productId", "must match the pattern"),
        ({**REVIEW, "reviewerName": "Ada\u2028"}, None, "reviewerName", "must match the pattern"),
        ({**REVIEW, "rating": 5}, None, "rating", "is not a field of a review"),
        ({**REVIEW, "no such field!": 5}, None, "body", "has a field that is not one of a review"),
        (REVIEW, {"Idempotency-Key": "k" * 257}, "Idempotency-Key", "must be at most 256 characters"),
        (REVIEW, {"Idempotency-Key": "order-1\r\n Bcc: x@example.com"}, "Idempotency-Key", "must match the pattern"),
        (REVIEW, {"Idempotency-Key": "."}, "Idempotency-Key", "must match the pattern"),
        (REVIEW, {"Idempotency-Key": ".."}, "Idempotency-Key", "must match the pattern"),
        (REVIEW, {"Idempotency-Key": "a/b"}, "Idempotency-Key", "must match the pattern"),
    ],
    ids=[
        "missing-text",
        "text-a-number",
        "name-null",
        "empty-text",
        "text-over-5000-characters",
        "text-of-5000-characters-over-5000-bytes",
        "email-ending-in-a-newline",
        "email-of-hyphens",
        "product-id-ending-in-a-newline",
        "name-with-a-line-separator",
        "unknown-field",
        "unknown-field-with-an-odd-name",
        "key-over-256",
        "key-folded-with-a-bcc",
        "key-dot",
        "key-dot-dot",
        "key-with-a-slash",
    ],
)
def test_a_broken_rule_is_passed_on_as_a_problem_naming_the_field_and_the_rule(
    document, stage_variables, review, headers, field, reason
):
    found = problem(document, stage_variables, review, headers)
    assert found["field"] == field
    assert found["reason"].startswith(reason)


def test_a_problem_never_carries_the_value(document, stage_variables):
    text = "secret " * 800_000
    request = render(
        request_template(document, "/reviews", "post"),
        body=json.dumps({**REVIEW, "text": text}),
        context={"requestId": REQUEST_ID, "requestTimeEpoch": EPOCH_MS},
        stage_variables=stage_variables,
    ).output
    assert len(request) < 1000 and "secret" not in request


def test_a_pattern_reason_names_the_contracts_pattern(document, stage_variables):
    definitions = load_json(common.EVENT_SCHEMA_DIR / "definitions.json")
    found = problem(document, stage_variables, {**REVIEW, "productId": "p1\n"})
    assert found["reason"] == f"must match the pattern {definitions['productId']['pattern']}"


def test_a_5000_character_text_within_5000_bytes_is_accepted(document, stage_variables):
    text = "x" * 4998 + "é"
    assert accept_input(document, stage_variables, {**REVIEW, "text": text})["review"]["text"] == text


def test_tabs_and_newlines_are_the_only_control_characters_a_text_may_hold(document, stage_variables):
    assert accept_input(document, stage_variables, {**REVIEW, "text": "a\tb\r\nc\n"})["review"]["text"] == "a\tb\r\nc\n"
    assert problem(document, stage_variables, {**REVIEW, "text": "a\u0000b"})["field"] == "text"


def test_the_rules_are_rendered_from_the_contract(document):
    [line] = [
        line
        for line in request_template(document, "/reviews", "post").splitlines()
        if line.startswith("#set($rules = ")
    ]
    rules = schema_rules(
        document, ["#/paths/~1reviews/post/parameters", "#/components/schemas/ReviewSubmission"], "test"
    )
    definitions = load_json(common.EVENT_SCHEMA_DIR / "definitions.json")
    by_field = {rule["field"]: rule for rule in rules["fields"]}
    assert rules["closed"] is True
    assert by_field["Idempotency-Key"]["pattern"] == definitions["idempotencyKey"]["pattern"]
    assert by_field["Idempotency-Key"]["in"] == "header" and by_field["Idempotency-Key"]["required"] is False
    for name in ("reviewerName", "reviewerEmail", "productId", "text", "languageCode"):
        for keyword in ("minLength", "maxLength", "pattern"):
            assert by_field[name].get(keyword) == definitions[name].get(keyword), (name, keyword)
    assert by_field["text"]["maxBytes"] == MAX_TEXT_BYTES
    assert [name for name, rule in by_field.items() if rule.get("required")] == [
        "productId",
        "reviewerEmail",
        "reviewerName",
        "text",
    ]
    assert line.startswith('#set($rules = {"closed": true')


def rules_of(schema: dict[str, Any]) -> dict[str, Any]:
    return schema_rules({"components": {"schemas": {"S": schema}}}, ["#/components/schemas/S"], "test")


def test_a_keyword_the_template_cannot_check_is_refused_at_synth():
    with pytest.raises(TemplateError, match="enum"):
        rules_of({"type": "object", "properties": {"a": {"type": "string", "enum": ["x"]}}})
    with pytest.raises(TemplateError, match="number"):
        rules_of({"type": "object", "properties": {"a": {"type": "number"}}})


def test_a_pattern_a_vtl_literal_cannot_hold_is_refused_at_synth():
    from modules.frontend_api import _vtl_literal

    for pattern in ("^it's$", "^#x$", "^a\nb$"):
        with pytest.raises(TemplateError, match="VTL literal"):
            _vtl_literal(rules_of({"type": "object", "properties": {"a": {"type": "string", "pattern": pattern}}}), "t")


def test_rules_naming_a_missing_schema_are_refused_at_synth():
    with pytest.raises(TemplateError, match="does not have"):
        schema_rules({"components": {}}, ["#/components/schemas/Nothing"], "test")


def sync_answer(document, answer: dict[str, Any]) -> RenderResult:
    return render(
        response_template(document, "/reviews", "post"), body=json.dumps(answer), context={"requestId": REQUEST_ID}
    )


def succeeded(output: dict[str, Any]) -> dict[str, Any]:
    return {"status": "SUCCEEDED", "output": json.dumps(output)}


def test_an_accepted_review_answers_202_with_its_id_and_idempotency_key(document):
    result = sync_answer(
        document, succeeded({"outcome": "ACCEPTED", "reviewId": "k-1", "idempotencyKey": "k-1", "submittedAt": 1})
    )
    assert result.response_override == {}
    assert integration(document, "/reviews", "post")["responses"]["default"]["statusCode"] == "202"
    assert json.loads(result.output) == {"reviewId": "k-1", "idempotencyKey": "k-1"}


def test_a_problem_answers_400_naming_the_field_and_the_reason_as_json(document):
    reason = 'must match the pattern ^[^\\u0000-\\u001f]+(?![\\s\\S]) "quoted"'
    result = sync_answer(document, succeeded({"outcome": "INVALID", "field": "text", "reason": reason}))
    assert result.response_override == {"status": 400}
    answer = json.loads(result.output)
    assert (answer["field"], answer["reason"], answer["requestId"]) == ("text", reason, REQUEST_ID)
    assert answer["message"]


def test_the_same_key_for_another_review_answers_409(document):
    result = sync_answer(document, succeeded({"outcome": "CONFLICT", "idempotencyKey": "k-1"}))
    assert result.response_override == {"status": 409}
    assert "Idempotency-Key" in json.loads(result.output)["message"]


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "FAILED", "error": "EventBridge.FailedEntry", "cause": "internal names"},
        {"status": "TIMED_OUT"},
        succeeded({"outcome": "SOMETHING-ELSE"}),
    ],
    ids=["failed", "timed-out", "unknown-outcome"],
)
def test_anything_but_an_outcome_answers_502_with_a_retry_message(document, answer):
    result = sync_answer(document, answer)
    assert result.response_override == {"status": 502}
    assert "retry with the same Idempotency-Key" in json.loads(result.output)["message"]
    assert "internal names" not in result.output


# --- the accept-review workflow, run on the offline interpreter ---------------------------------------

ACCEPT_TABLE = "reviews"


@pytest.fixture
def accept():
    with aws() as harness:
        harness.create_table(ACCEPT_TABLE, "idempotencyKey")
        machine = harness.state_machine(
            "accept-review",
            {
                "ReviewsTableName": ACCEPT_TABLE,
                "EventBusName": BUS,
                "IdempotencyWindowSeconds": "3600",
                "PublishLeaseSeconds": 2,
                "PublisherWaitLimitSeconds": 6,
            },
            kind="EXPRESS",
        )
        yield harness, machine


def accepted(harness, machine, review, key="order-1", submitted_at=1767225600) -> dict[str, Any]:
    execution = harness.run(machine, {"idempotencyKey": key, "submittedAt": submitted_at, "review": review})
    assert execution["status"] == "SUCCEEDED", execution
    return json.loads(execution["output"])


@pytest.mark.parametrize("nasty", list(NASTY), ids=list(NASTY))
def test_the_published_event_matches_the_review_submitted_schema(document, stage_variables, accept, nasty):
    harness, machine = accept
    answer = accept_input(document, stage_variables, {**REVIEW, "text": NASTY[nasty], "languageCode": "en"})
    execution = harness.run(machine, answer)
    [event] = harness.published("ReviewSubmitted")
    assert (event["source"], execution["status"]) == ("reviews.frontend", "SUCCEEDED")
    jsonschema.Draft4Validator(event_schema("review-submitted")).validate(event)
    assert event["detail"]["data"] == {**answer["review"], "reviewId": REQUEST_ID, "submittedAt": EPOCH_MS // 1000}
    assert event["detail"]["metadata"] == {"idempotency-key": REQUEST_ID}


def test_the_same_key_and_review_is_one_review_published_once(accept):
    harness, machine = accept
    first = accepted(harness, machine, REVIEW)
    again = accepted(harness, machine, REVIEW, submitted_at=1767225999)
    assert (
        first
        == again
        == {
            "outcome": "ACCEPTED",
            "reviewId": "order-1",
            "idempotencyKey": "order-1",
            "submittedAt": 1767225600,
        }
    )
    assert len(harness.published("ReviewSubmitted")) == 1
    item = harness.item(ACCEPT_TABLE, "idempotencyKey", "order-1")
    assert item is not None and item["status"] == {"S": "PUBLISHED"} and item["expiresAt"] == {"N": "1767229200"}


def test_the_same_key_with_another_review_is_a_conflict_and_publishes_nothing(accept):
    harness, machine = accept
    accepted(harness, machine, REVIEW)
    assert accepted(harness, machine, {**REVIEW, "text": "Awful tea."}) == {
        "outcome": "CONFLICT",
        "idempotencyKey": "order-1",
    }
    assert len(harness.published("ReviewSubmitted")) == 1


def test_a_problem_is_answered_without_touching_the_table_or_the_bus(accept):
    harness, machine = accept
    execution = harness.run(machine, {"problem": {"field": "text", "reason": "is required"}})
    assert json.loads(execution["output"]) == {"outcome": "INVALID", "field": "text", "reason": "is required"}
    assert harness.dynamodb.scan(TableName=ACCEPT_TABLE)["Count"] == 0 and not harness.published()


FIRST_ATTEMPT = f"arn:aws:states:{REGION}:{ACCOUNT}:express:accept-review:first-attempt:1"


def stored_unpublished(harness, machine, lease_until: int, submitted_at: int = 1767225600) -> None:
    """A first attempt that stored the review and never published it (its PutEvents failed for good): STORED, its
    lease held by that attempt's execution."""
    accepted(harness, machine, REVIEW, submitted_at=submitted_at)
    harness.published()
    harness._captured.clear()
    harness.dynamodb.update_item(
        TableName=ACCEPT_TABLE,
        Key={"idempotencyKey": {"S": "order-1"}},
        UpdateExpression="SET #status = :stored, leaseUntil = :lease, leaseHolder = :holder",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":stored": {"S": "STORED"},
            ":lease": {"N": str(lease_until)},
            ":holder": {"S": FIRST_ATTEMPT},
        },
    )


def test_a_retry_after_a_stored_but_unpublished_attempt_publishes_it_with_the_first_submission_time(accept):
    harness, machine = accept
    stored_unpublished(harness, machine, lease_until=1767225602)
    answer = accepted(harness, machine, REVIEW, submitted_at=1767225700)
    assert (answer["reviewId"], answer["submittedAt"]) == ("order-1", 1767225600)
    [event] = harness.published("ReviewSubmitted")
    assert event["detail"]["data"]["submittedAt"] == 1767225600
    assert harness.item(ACCEPT_TABLE, "idempotencyKey", "order-1")["status"] == {"S": "PUBLISHED"}


def test_a_retry_while_another_request_holds_the_lease_waits_for_it_to_end_then_publishes(accept):
    harness, machine = accept
    stored_unpublished(harness, machine, lease_until=1767225602)
    execution = harness.run(machine, {"idempotencyKey": "order-1", "submittedAt": 1767225601, "review": REVIEW})
    assert json.loads(execution["output"])["reviewId"] == "order-1"
    assert len(harness.published("ReviewSubmitted")) == 1
    waits = [e for e in harness.history(execution["executionArn"]) if e["type"] == "WaitStateEntered"]
    assert len(waits) >= 1


# Epoch seconds past 2^31 - 1 (2038-01-19), which States.MathAdd refuses on AWS and in the emulator.
AFTER_2038 = 2_200_000_000


def waits_of(harness, execution: dict[str, Any]) -> int:
    return len([e for e in harness.history(execution["executionArn"]) if e["type"] == "WaitStateEntered"])


def take_over_values(harness, execution: dict[str, Any]) -> dict[str, Any]:
    """The ExpressionAttributeValues of the execution's last take-over of the lease (the one that succeeded, in an
    execution that published)."""
    attempts = [
        json.loads(e["taskScheduledEventDetails"]["parameters"])
        for e in harness.history(execution["executionArn"])
        if e["type"] == "TaskScheduled" and "leaseHolder = :outwaited" in e["taskScheduledEventDetails"]["parameters"]
    ]
    return attempts[-1]["ExpressionAttributeValues"]


def test_a_review_submitted_after_2038_is_claimed_with_its_expiry_and_published(accept):
    harness, machine = accept
    answer = accepted(harness, machine, REVIEW, submitted_at=AFTER_2038)
    assert (answer["outcome"], answer["submittedAt"]) == ("ACCEPTED", AFTER_2038)
    [event] = harness.published("ReviewSubmitted")
    assert event["detail"]["data"]["submittedAt"] == AFTER_2038
    item = harness.item(ACCEPT_TABLE, "idempotencyKey", "order-1")
    assert item is not None and item["expiresAt"] == {"N": str(AFTER_2038 + 3600)}
    assert item["status"] == {"S": "PUBLISHED"} and "leaseUntil" not in item and "leaseHolder" not in item


def test_a_claim_holds_the_lease_as_its_execution_until_a_lease_after_arrival(accept):
    harness, machine = accept
    execution = harness.run(machine, {"idempotencyKey": "order-1", "submittedAt": AFTER_2038, "review": REVIEW})
    [claim] = [
        json.loads(e["taskScheduledEventDetails"]["parameters"])
        for e in harness.history(execution["executionArn"])
        if e["type"] == "TaskScheduled" and "attribute_not_exists" in e["taskScheduledEventDetails"]["parameters"]
    ]
    values = claim["ExpressionAttributeValues"]
    assert values[":holder"] == {"S": execution["executionArn"]}
    assert (values[":submittedAt"], values[":endsAfter"]) == ({"N": str(AFTER_2038)}, {"N": "2"})
    assert "leaseUntil = :submittedAt + :endsAfter" in claim["UpdateExpression"]


def test_a_retry_after_2038_takes_over_a_lease_that_ended_before_it_arrived_at_once(accept):
    harness, machine = accept
    stored_unpublished(harness, machine, lease_until=AFTER_2038 + 2, submitted_at=AFTER_2038)
    execution = harness.run(machine, {"idempotencyKey": "order-1", "submittedAt": AFTER_2038 + 100, "review": REVIEW})
    assert json.loads(execution["output"])["submittedAt"] == AFTER_2038
    [event] = harness.published("ReviewSubmitted")
    assert event["detail"]["data"]["submittedAt"] == AFTER_2038
    assert waits_of(harness, execution) == 0
    values = take_over_values(harness, execution)
    assert values[":holder"] == {"S": execution["executionArn"]} and values[":endsAfter"] == {"N": "2"}
    assert harness.item(ACCEPT_TABLE, "idempotencyKey", "order-1")["status"] == {"S": "PUBLISHED"}


def test_a_retry_after_2038_waits_out_a_held_lease_then_takes_it_over_for_the_waited_seconds_plus_a_lease(accept):
    harness, machine = accept
    stored_unpublished(harness, machine, lease_until=AFTER_2038 + 2, submitted_at=AFTER_2038)
    execution = harness.run(machine, {"idempotencyKey": "order-1", "submittedAt": AFTER_2038 + 1, "review": REVIEW})
    assert json.loads(execution["output"])["reviewId"] == "order-1"
    assert len(harness.published("ReviewSubmitted")) == 1
    assert waits_of(harness, execution) == 2  # the fixture's lease, in waits of a second
    values = take_over_values(harness, execution)
    assert (values[":outwaited"], values[":endsAfter"]) == ({"S": FIRST_ATTEMPT}, {"N": "4"})


def test_a_retry_finds_the_review_published_by_its_holder_within_a_second_not_a_whole_lease(accept):
    harness, machine = accept
    stored_unpublished(harness, machine, lease_until=AFTER_2038 + 2, submitted_at=AFTER_2038)
    execution = harness.start(machine, {"idempotencyKey": "order-1", "submittedAt": AFTER_2038 + 1, "review": REVIEW})
    time.sleep(0.5)
    harness.dynamodb.update_item(  # the holder publishes and marks the key
        TableName=ACCEPT_TABLE,
        Key={"idempotencyKey": {"S": "order-1"}},
        UpdateExpression="SET #status = :published REMOVE leaseUntil, leaseHolder",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":published": {"S": "PUBLISHED"}},
    )
    answer = harness.wait(execution)
    assert json.loads(answer["output"]) == {
        "outcome": "ACCEPTED",
        "reviewId": "order-1",
        "idempotencyKey": "order-1",
        "submittedAt": AFTER_2038,
    }
    assert waits_of(harness, answer) <= 1 and not harness.published("ReviewSubmitted")


def test_of_concurrent_retries_waiting_out_one_lease_one_takes_it_over_and_one_review_is_published(accept):
    harness, machine = accept
    stored_unpublished(harness, machine, lease_until=AFTER_2038 + 2, submitted_at=AFTER_2038)
    payload = {"idempotencyKey": "order-1", "submittedAt": AFTER_2038 + 1, "review": REVIEW}
    executions = [harness.start(machine, payload) for _ in range(3)]
    answers = [harness.wait(execution) for execution in executions]
    assert [a["status"] for a in answers] == ["SUCCEEDED"] * 3
    assert {json.loads(a["output"])["reviewId"] for a in answers} == {"order-1"}
    assert len(harness.published("ReviewSubmitted")) == 1


def test_a_claim_stored_before_leases_had_holders_is_taken_over_once_its_lease_ended_before_arrival(accept):
    harness, machine = accept
    stored_unpublished(harness, machine, lease_until=AFTER_2038 + 2, submitted_at=AFTER_2038)
    harness.dynamodb.update_item(
        TableName=ACCEPT_TABLE, Key={"idempotencyKey": {"S": "order-1"}}, UpdateExpression="REMOVE leaseHolder"
    )
    answer = accepted(harness, machine, REVIEW, submitted_at=AFTER_2038 + 3)
    assert answer["submittedAt"] == AFTER_2038 and len(harness.published("ReviewSubmitted")) == 1


def test_a_retry_that_cannot_wait_out_a_lease_within_the_limit_fails_and_leaves_the_review_stored(accept):
    harness, machine = accept
    stored_unpublished(harness, machine, lease_until=AFTER_2038 + 3600, submitted_at=AFTER_2038)
    harness.dynamodb.update_item(
        TableName=ACCEPT_TABLE, Key={"idempotencyKey": {"S": "order-1"}}, UpdateExpression="REMOVE leaseHolder"
    )
    execution = harness.run(machine, {"idempotencyKey": "order-1", "submittedAt": AFTER_2038 + 1, "review": REVIEW})
    assert execution["status"] == "FAILED" and execution["error"] == "Accept.LeaseStillHeld"
    assert waits_of(harness, execution) == 6  # the fixture's limit, in waits of a second
    assert not harness.published("ReviewSubmitted")
    assert harness.item(ACCEPT_TABLE, "idempotencyKey", "order-1")["status"] == {"S": "STORED"}


# --- GET /cases templates -----------------------------------------------------------------------------


def case_item(**strings: str) -> dict[str, Any]:
    values = {
        "caseId": "case-1",
        "reviewId": "review-1",
        "reviewerName": "Ada",
        "reviewerEmail": "ada@example.com",
        "productId": "tea-42",
        "text": "Cold.",
        "sentiment": "NEGATIVE",
        "status": "OPEN",
        "queue": "OPEN",
        "openedAt": "2026-11-27T10:00:00.000Z",
        "callbackToken": TOKEN,
        **strings,
    }
    scores = {"positive": "0.01", "negative": "0.95", "neutral": "0.03", "mixed": "0.01"}
    return {
        **{k: {"S": v} for k, v in values.items()},
        "sentimentScore": {"M": {k: {"N": v} for k, v in scores.items()}},
    }


def list_cases(
    document, items: list[dict[str, Any]], last: dict[str, Any] | None = None, query: dict[str, str] | None = None
) -> dict[str, Any]:
    answer: dict[str, Any] = {"Count": len(items), "ScannedCount": len(items), "Items": items}
    if last is not None:
        answer["LastEvaluatedKey"] = last
    template = response_template(document, "/cases", "get")
    return json.loads(render(template, body=json.dumps(answer), query=query or {}).output)


def case_query(document, stage_variables, query: dict[str, str] | None = None) -> dict[str, Any]:
    template = request_template(document, "/cases", "get")
    return json.loads(render(template, stage_variables=stage_variables, query=query or {}).output)


def page_token(opened_at: str, case_id: str) -> str:
    import base64

    return base64.b64encode(f"{opened_at}~{case_id}".encode()).decode()


def test_the_case_query_reads_the_open_queue_of_the_index_newest_first(document, stage_variables):
    query = json.loads(render(request_template(document, "/cases", "get"), stage_variables=stage_variables).output)
    assert (query["TableName"], query["IndexName"]) == (
        stage_variables["casesTableName"],
        stage_variables["openCasesIndex"],
    )
    assert query["KeyConditionExpression"] == "#queue = :open"
    assert (query["ExpressionAttributeNames"]["#queue"], query["ExpressionAttributeValues"]) == (
        "queue",
        {":open": {"S": "OPEN"}},
    )
    assert query["ScanIndexForward"] is False


def test_the_case_query_projects_no_callback_token(document, stage_variables):
    query = json.loads(render(request_template(document, "/cases", "get"), stage_variables=stage_variables).output)
    assert "callbackToken" not in query["ProjectionExpression"]


def test_the_case_list_holds_exactly_the_agent_fields(document):
    [case] = list_cases(document, [case_item()])["cases"]
    assert case == {
        "caseId": "case-1",
        "reviewId": "review-1",
        "reviewerName": "Ada",
        "productId": "tea-42",
        "text": "Cold.",
        "sentiment": "NEGATIVE",
        "sentimentScore": {"positive": 0.01, "negative": 0.95, "neutral": 0.03, "mixed": 0.01},
        "status": "OPEN",
        "openedAt": "2026-11-27T10:00:00.000Z",
    }


def test_the_case_list_never_shows_a_callback_token_even_when_the_query_returns_one(document):
    output = render(
        response_template(document, "/cases", "get"), body=json.dumps({"Count": 2, "Items": [case_item(), case_item()]})
    ).output
    assert TOKEN not in output and "callbackToken" not in output


@pytest.mark.parametrize("nasty", list(NASTY), ids=list(NASTY))
def test_the_case_list_escapes_strings_into_json(document, nasty):
    value = NASTY[nasty]
    [case] = list_cases(document, [case_item(reviewerName=value, text=value)])["cases"]
    assert (case["reviewerName"], case["text"]) == (value, value)


def test_no_open_cases_is_an_empty_list(document):
    assert list_cases(document, []) == {"cases": []}


def test_a_resolved_case_awaiting_its_follow_up_shows_the_follow_up_and_its_error(document):
    item = case_item(
        status="RESOLVED",
        followUp="FAILED",
        followUpError="SesV2.MessageRejectedException",
        resolvedAt="2026-11-27T11:00:00Z",
        resolutionNote="Refunded.",
    )
    [case] = list_cases(document, [item])["cases"]
    assert {k: case[k] for k in ("status", "followUp", "followUpError", "resolvedAt", "resolutionNote")} == {
        "status": "RESOLVED",
        "followUp": "FAILED",
        "followUpError": "SesV2.MessageRejectedException",
        "resolvedAt": "2026-11-27T11:00:00Z",
        "resolutionNote": "Refunded.",
    }


def test_the_first_page_holds_50_cases_by_default(document, stage_variables):
    query = case_query(document, stage_variables)
    assert query["Limit"] == 50 and "ExclusiveStartKey" not in query


@pytest.mark.parametrize("limit", ["1", "7", "99", "100"])
def test_a_limit_from_1_to_100_is_the_querys_limit(document, stage_variables, limit):
    assert case_query(document, stage_variables, {"limit": limit})["Limit"] == int(limit)


@pytest.mark.parametrize("case_id", ["case-1", 'a "quoted" ~ case', "ケース/1"])
def test_the_next_token_is_the_querys_exclusive_start_key(document, stage_variables, case_id):
    query = case_query(document, stage_variables, {"next": page_token("2026-11-27T10:00:00.000Z", case_id)})
    assert query["ExclusiveStartKey"] == {
        "queue": {"S": "OPEN"},
        "openedAt": {"S": "2026-11-27T10:00:00.000Z"},
        "caseId": {"S": case_id},
    }


def test_a_page_with_more_after_it_carries_the_token_of_its_last_case(document, stage_variables):
    last = {"queue": {"S": "OPEN"}, "openedAt": {"S": "2026-11-27T10:00:00.000Z"}, "caseId": {"S": "case-1"}}
    answer = list_cases(document, [case_item()], last=last)
    assert answer["nextToken"] == page_token("2026-11-27T10:00:00.000Z", "case-1")
    follow = case_query(document, stage_variables, {"next": answer["nextToken"]})
    assert follow["ExclusiveStartKey"] == last
    assert "nextToken" not in list_cases(document, [case_item()])


BAD_PAGES = {
    "limit zero": ({"limit": "0"}, "limit"),
    "limit over 100": ({"limit": "101"}, "limit"),
    "limit not a number": ({"limit": "ten"}, "limit"),
    "negative limit": ({"limit": "-5"}, "limit"),
    "limit with a fraction": ({"limit": "2.5"}, "limit"),
    "next not base64": ({"next": "not base64!"}, "next"),
    "next not whole quads": ({"next": "abc"}, "next"),
    "next of something else": ({"next": "aGVsbG8gd29ybGQ="}, "next"),
    "next too long": ({"next": "QUFB" * 400}, "next"),
    "next with a control character": ({"next": page_token("2026-11-27T10:00:00Z", "a\nb")}, "next"),
}


@pytest.mark.parametrize("name", list(BAD_PAGES))
def test_a_bad_page_request_is_refused_with_400_naming_the_parameter(document, stage_variables, name):
    query, parameter = BAD_PAGES[name]
    request = case_query(document, stage_variables, query)
    assert request["Limit"] == 1 and "ExclusiveStartKey" not in request
    result = render(
        response_template(document, "/cases", "get"),
        body=json.dumps({"Count": 1, "Items": [case_item()]}),
        query=query,
        context={"requestId": REQUEST_ID},
    )
    assert result.response_override == {"status": 400}
    answer = json.loads(result.output)
    assert answer["message"].startswith(f"{parameter} must be") and answer["requestId"] == REQUEST_ID
    assert "cases" not in answer


def test_several_cases_are_listed_in_query_order(document):
    cases = list_cases(document, [case_item(caseId="new"), case_item(caseId="old")])["cases"]
    assert [case["caseId"] for case in cases] == ["new", "old"]


# --- POST /cases/{caseId}/resolution templates --------------------------------------------------------

AGENT_CLAIMS = {"cognito:username": "agent-7", "email": "agent7@example.com", "email_verified": "true"}


def resolution_input(document, stage_variables, *, case_id="case-1", note="Refunded.", claims=None) -> dict[str, Any]:
    output = render(
        request_template(document, "/cases/{caseId}/resolution", "post"),
        body=json.dumps({"note": note}, ensure_ascii=False),
        path_params={"caseId": case_id},
        context={"authorizer": {"claims": AGENT_CLAIMS if claims is None else claims}},
        stage_variables=stage_variables,
    ).output
    request = json.loads(output)
    assert request["stateMachineArn"] == stage_variables["resolveStateMachineArn"]
    return json.loads(request["input"])


def test_the_resolution_names_the_agent_by_username_and_verified_email(document, stage_variables):
    expected = {"caseId": "case-1", "note": "Refunded.", "agent": "agent-7", "agentEmail": "agent7@example.com"}
    assert resolution_input(document, stage_variables) == expected


@pytest.mark.parametrize("verified", ["false", None])
def test_an_unverified_email_is_not_recorded_as_the_agents(document, stage_variables, verified):
    claims = {"cognito:username": "agent-7", "email": "someone-else@example.com"}
    if verified is not None:
        claims["email_verified"] = verified
    execution_input = resolution_input(document, stage_variables, claims=claims)
    assert (execution_input["agent"], execution_input["agentEmail"]) == ("agent-7", "")


@pytest.mark.parametrize("nasty", list(NASTY), ids=list(NASTY))
def test_the_resolution_input_carries_the_note_and_case_id_exactly(document, stage_variables, nasty):
    value = NASTY[nasty]
    execution_input = resolution_input(document, stage_variables, case_id=value, note=value)
    assert (execution_input["caseId"], execution_input["note"]) == (value, value)


def test_the_agent_is_the_username_when_the_token_has_no_email(document, stage_variables):
    execution_input = resolution_input(document, stage_variables, claims={"cognito:username": "agent-7"})
    assert (execution_input["agent"], execution_input["agentEmail"]) == ("agent-7", "")


def resolution_answer(document, answer: dict[str, Any]) -> RenderResult:
    return render(
        response_template(document, "/cases/{caseId}/resolution", "post"),
        body=json.dumps(answer),
        context={"requestId": REQUEST_ID},
    )


RESOLVED = {"caseId": "case-1", "status": "RESOLVED", "resolvedAt": "2026-11-27T11:00:00Z"}


def test_a_resolution_whose_follow_up_was_sent_answers_200_saying_so_and_never_a_token(document):
    output = json.dumps({"outcome": "Resolved", **RESOLVED, "followUp": "SENT", "callbackToken": TOKEN})
    result = resolution_answer(document, {"status": "SUCCEEDED", "output": output})
    assert result.response_override == {}
    assert json.loads(result.output) == {**RESOLVED, "followUp": "SENT"}


def test_a_resolution_whose_follow_up_failed_answers_200_with_the_failure(document):
    failure = {"followUp": "FAILED", "followUpError": "SesV2.MessageRejectedException"}
    output = json.dumps({"outcome": "FollowUpFailed", **RESOLVED, **failure})
    result = resolution_answer(document, {"status": "SUCCEEDED", "output": output})
    assert result.response_override == {}
    assert json.loads(result.output) == {**RESOLVED, **failure}


@pytest.mark.parametrize(
    ("outcome", "status", "reason"),
    [
        ("CaseNotFound", 404, None),
        ("CaseAlreadyResolved", 409, "CaseAlreadyResolved"),
        ("CaseExpired", 409, "CaseExpired"),
        ("CaseClosed", 409, "CaseClosed"),
        ("CaseNotWaiting", 409, "CaseNotWaiting"),
    ],
)
def test_an_ordinary_refusal_is_a_succeeded_execution_answered_with_its_status_and_reason(
    document, outcome, status, reason
):
    result = resolution_answer(document, {"status": "SUCCEEDED", "output": json.dumps({"outcome": outcome})})
    assert result.response_override == {"status": status}
    answer = json.loads(result.output)
    assert answer.get("reason") == reason and answer["message"] and answer["requestId"] == REQUEST_ID


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "FAILED", "error": "States.TaskFailed", "cause": f"token {TOKEN}"},
        {"status": "FAILED", "error": "CaseNotFound", "cause": f"token {TOKEN}"},
        {"status": "TIMED_OUT"},
        {"status": "SUCCEEDED", "output": json.dumps({"outcome": "SomethingNew", "token": TOKEN})},
    ],
    ids=["task-failed", "a-failure-named-like-an-outcome", "timed-out", "an-unknown-outcome"],
)
def test_a_failed_resolution_answers_502_without_the_cause(document, answer):
    result = resolution_answer(document, {"executionArn": "arn:aws:states:x", **answer})
    assert result.response_override == {"status": 502}
    assert json.loads(result.output)["requestId"] == REQUEST_ID
    assert TOKEN not in result.output


def test_a_service_error_answers_without_the_service_message(document):
    template = response_template(document, "/reviews", "post", "4\\d{2}|5\\d{2}")
    answer = {"__type": "AccessDeniedException", "message": "User arn:aws:sts::1:assumed-role/x is not authorized"}
    output = json.loads(render(template, body=json.dumps(answer), context={"requestId": REQUEST_ID}).output)
    assert output == {"message": "A service behind this API failed; retry later.", "requestId": REQUEST_ID}


# --- the construct's inputs ---------------------------------------------------------------------------

PLATFORM = sample_platform()
INPUTS: dict[str, Any] = {"open_cases_index": "open-cases", "site_origin": "https://d111111abcdef8.cloudfront.net"}
# Given to the build fixture, these go into the construct's FrontendSettings.
SETTINGS: dict[str, Any] = {
    "allowed_origin": "https://reviews.example.com",
    "api_rate_limit": 10,
    "api_burst_limit": 20,
    "api_gateway_account_owner": True,
}


@pytest.fixture
def build(tmp_path):
    """Builds the construct in a throwaway stack (never synthesized) with INPUTS and the given overrides."""
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_aws.cognito_user_pool import CognitoUserPool
    from cdktf_cdktf_provider_aws.cognito_user_pool_client import CognitoUserPoolClient
    from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
    from cdktf_cdktf_provider_aws.sfn_state_machine import SfnStateMachine

    from modules.config import EventBusSettings, FrontendSettings
    from modules.event_bus import EventBus

    def build(**overrides: Any) -> FrontendApi:
        stack = TerraformStack(App(outdir=str(tmp_path / "out")), "scratch")
        resources = {
            "bus": EventBus(stack, "events", platform=PLATFORM, settings=EventBusSettings()),
            "resolve_state_machine": SfnStateMachine(stack, "resolve", name="resolve", role_arn="r", definition="{}"),
            "cases_table": DynamodbTable(stack, "cases", name="cases", hash_key="caseId"),
            "user_pool": CognitoUserPool(stack, "agents", name="agents"),
            "user_pool_client": CognitoUserPoolClient(stack, "console", name="console", user_pool_id="pool"),
        }
        values = {**SETTINGS, **INPUTS, **overrides}
        settings = FrontendSettings(**{name: values.pop(name) for name in SETTINGS})
        return FrontendApi(stack, "frontend", platform=PLATFORM, settings=settings, **{**resources, **values})

    return build


def test_valid_inputs_build_the_api(build):
    api = build()
    assert set(api.roles) == {"submit-review", "list-open-cases", "resolve-case"}
    assert api.document["paths"]["/reviews"]["options"]


def test_the_account_logging_role_can_be_left_to_another_stack(build):
    api = build(api_gateway_account_owner=False)
    assert (api.logging_role, api.account) == (None, None)


@pytest.mark.parametrize(
    "origin",
    [
        "*",
        "https://reviews.example.com/",
        "https://reviews.example.com/app",
        "http://reviews.example.com",
        "https://a.example.com'",
        "",
    ],
)
def test_allowed_origin_must_be_one_origin_without_path_or_wildcard(build, origin):
    with pytest.raises(ValueError, match="allowed_origin"):
        build(allowed_origin=origin)


def test_without_an_allowed_origin_the_sites_origin_is_allowed_and_checked_when_literal(build):
    api = build(allowed_origin=None)
    cors = api.document["paths"]["/reviews"]["options"]["x-amazon-apigateway-integration"]["responses"]["default"]
    assert cors["responseParameters"]["method.response.header.Access-Control-Allow-Origin"] == (
        "'https://d111111abcdef8.cloudfront.net'"
    )
    with pytest.raises(ValueError, match=r"FrontendApi frontend: allowed_origin: 'https://-bad-\.example'"):
        build(allowed_origin=None, site_origin="https://-bad-.example")


@pytest.mark.parametrize("value", [0, -1, 2.5, True])
def test_rate_limit_must_be_a_positive_whole_number(build, value):
    with pytest.raises(ValueError, match="api_rate_limit"):
        build(api_rate_limit=value, api_burst_limit=100)


@pytest.mark.parametrize("value", [0, -1, 2.5])
def test_burst_limit_must_be_a_positive_whole_number(build, value):
    with pytest.raises(ValueError, match="api_burst_limit"):
        build(api_rate_limit=1, api_burst_limit=value)


def test_burst_limit_must_be_at_least_the_rate_limit(build):
    with pytest.raises(ValueError, match=r"api_burst_limit: must be at least api_rate_limit \(10\)"):
        build(api_rate_limit=10, api_burst_limit=5)


def test_execution_log_level_must_be_error_or_info(build):
    with pytest.raises(ValueError, match="execution_log_level"):
        build(execution_log_level="DEBUG")


def test_open_cases_index_must_be_an_index_name(build):
    with pytest.raises(ValueError, match="open_cases_index"):
        build(open_cases_index="x")


@pytest.mark.parametrize("setting", ["bus", "resolve_state_machine", "cases_table", "user_pool", "user_pool_client"])
def test_each_resource_must_be_of_its_kind_not_a_name_or_an_arn(build, setting):
    with pytest.raises(TypeError, match=setting):
        build(**{setting: "arn:aws:states:eu-west-1:123456789012:stateMachine:resolve"})


def test_api_gateway_account_owner_must_be_a_boolean(build):
    with pytest.raises(ValueError, match="api_gateway_account_owner"):
        build(api_gateway_account_owner="yes")


@pytest.mark.parametrize("fragment", ["${name}", "%{ if x }"], ids=["interpolation", "directive"])
def test_a_mapping_template_terraform_would_interpret_is_refused(build, tmp_path, monkeypatch, fragment):
    contracts = tmp_path / "contracts"
    shutil.copytree(common.CONTRACTS_DIR, contracts)
    template = contracts / "api" / "submit-review.response.vtl"
    template.write_text(template.read_text() + f"## {fragment}\n")
    monkeypatch.setattr(common, "CONTRACTS_DIR", contracts)
    monkeypatch.setattr(common, "API_DIR", contracts / "api")
    with pytest.raises(TemplateError, match=r"submit-review\.response\.vtl"):
        build()


def test_a_template_value_that_names_no_vtl_file_is_refused(build, tmp_path, monkeypatch):
    contracts = tmp_path / "contracts"
    shutil.copytree(common.CONTRACTS_DIR, contracts)
    openapi = contracts / "api" / "openapi.json"
    openapi.write_text(openapi.read_text().replace('"list-open-cases.request.vtl"', '"{\\"TableName\\": 1}"'))
    monkeypatch.setattr(common, "CONTRACTS_DIR", contracts)
    monkeypatch.setattr(common, "API_DIR", contracts / "api")
    with pytest.raises(TemplateError, match="no such mapping template"):
        build()


def test_the_stage_is_behind_a_web_acl_with_managed_rules_and_a_rate_limit(dev):
    from tests.tf import only, references

    acl_name, acl = only(dev, "aws_wafv2_web_acl", "frontend")
    rules = {rule["name"]: rule for rule in acl["rule"]}
    assert set(rules) == {
        "aws-common-rule-set",
        "body-rules-outside-reviews",
        "aws-known-bad-inputs",
        "per-client-rate-limit",
    }
    assert rules["per-client-rate-limit"]["action"] == [{"block": [{}]}]
    _, association = only(dev, "aws_wafv2_web_acl_association", "frontend")
    assert references(association["web_acl_arn"]) == [("aws_wafv2_web_acl", acl_name, "arn")]
    assert references(association["resource_arn"])[0][0] == "aws_api_gateway_stage"


def test_the_body_rules_that_would_refuse_valid_reviews_only_count_and_block_outside_reviews(dev):
    from tests.tf import only

    _, acl = only(dev, "aws_wafv2_web_acl", "frontend")
    rules = {rule["name"]: rule for rule in acl["rule"]}
    [group] = rules["aws-common-rule-set"]["statement"][0]["managed_rule_group_statement"]
    overrides = {override["name"]: override["action_to_use"] for override in group["rule_action_override"]}
    assert overrides == {"SizeRestrictions_BODY": [{"count": [{}]}], "CrossSiteScripting_BODY": [{"count": [{}]}]}
    outside = rules["body-rules-outside-reviews"]
    assert outside["action"] == [{"block": [{}]}]
    assert outside["priority"] > rules["aws-common-rule-set"]["priority"]
    [match] = outside["statement"][0]["and_statement"][0]["statement"][1]["not_statement"][0]["statement"]
    assert match["byte_match_statement"][0]["search_string"] == "/reviews"
    # The whole body of the largest valid review is inspected (5,000 characters as 12-byte escapes).
    assert acl["association_config"]["request_body"][0]["api_gateway"]["default_size_inspection_limit"] == "KB_64"


def test_every_answer_is_kept_by_no_cache_and_sniffed_by_no_browser(document):
    expected = {"Cache-Control": "'no-store'", "X-Content-Type-Options": "'nosniff'"}
    # A preflight carries no data, and browsers cache it on purpose (Access-Control-Max-Age).
    answers = {key: operation for key, operation in operations(document).items() if key[1] != "options"}
    for key, operation in answers.items():
        for status, response in operation["responses"].items():
            assert set(expected) <= set(response["headers"]), (key, status)
        for status, response in operation["x-amazon-apigateway-integration"].get("responses", {}).items():
            parameters = response["responseParameters"]
            assert {name: parameters[f"method.response.header.{name}"] for name in expected} == expected, (key, status)
    for kind, response in document["x-amazon-apigateway-gateway-responses"].items():
        parameters = response["responseParameters"]
        assert {name: parameters[f"gatewayresponse.header.{name}"] for name in expected} == expected, kind
