"""Front-end API service: the REST API customers submit reviews to and customer-service agents work cases with.

No Lambda in the customer's path: API Gateway's mapping template checks a review against the contract's rules and
starts the ``accept-review`` Express workflow synchronously, which claims the Idempotency-Key in DynamoDB and
publishes ``ReviewSubmitted`` once per key. The agents' routes call DynamoDB ``Query`` and Step Functions
``StartSyncExecution`` the same way, behind a Cognito user pool authorizer.

The API is ``contracts/api/openapi.json`` (OpenAPI 3.0 with the ``x-amazon-apigateway-*`` extensions and
``${PascalCase}`` placeholders). Its mapping templates are the ``.vtl`` files beside it: every value under an
integration's ``requestTemplates``/``responseTemplates`` names one, and :func:`api_document` inlines them as string
values of the parsed document, with the JSON Schema fragments its models ``$ref`` from ``contracts/events/``, the
CORS header on every response and a preflight ``OPTIONS`` on every path.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from cdktf import Fn, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.api_gateway_account import ApiGatewayAccount
from cdktf_cdktf_provider_aws.api_gateway_deployment import ApiGatewayDeployment
from cdktf_cdktf_provider_aws.api_gateway_method_settings import (
    ApiGatewayMethodSettings,
    ApiGatewayMethodSettingsSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_rest_api import ApiGatewayRestApi, ApiGatewayRestApiEndpointConfiguration
from cdktf_cdktf_provider_aws.api_gateway_stage import ApiGatewayStage, ApiGatewayStageAccessLogSettings
from cdktf_cdktf_provider_aws.cognito_user_pool import CognitoUserPool
from cdktf_cdktf_provider_aws.cognito_user_pool_client import CognitoUserPoolClient
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.sfn_state_machine import SfnStateMachine
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclAssociationConfig,
    Wafv2WebAclAssociationConfigRequestBody,
    Wafv2WebAclAssociationConfigRequestBodyApiGateway,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import Wafv2WebAclLoggingConfiguration
from constructs import Construct

from modules import checks, common
from modules.common import load_json, policy_document, statement, substitute, table_key_statement, trust_policy
from modules.config import FrontendSettings
from modules.event_bus import EventBus
from modules.security import Platform
from modules.storage import log_group, table
from modules.workflow import Workflow

STAGE_NAME = "v1"
BODY_INSPECTION_LIMIT = "KB_64"
EXECUTION_LOG_LEVELS = ("ERROR", "INFO")
# The source every ReviewSubmitted event carries (contracts/events/catalogue.json); the role may publish no other.
REVIEW_SOURCE = "reviews.frontend"
# How long a request that stored a review has to publish it before a retry with the same key may take over. API
# Gateway waits at most 29 s for StartSyncExecution; the accept-review workflow's retries take at most ~9 s.
PUBLISH_LEASE_SECONDS = 10
# How long a retry waits for another request's lease before it gives up (a 502): the rest of API Gateway's 29 s.
PUBLISHER_WAIT_LIMIT_SECONDS = 2 * PUBLISH_LEASE_SECONDS
# AWS's policy for the account-level role API Gateway writes execution and access logs with.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
PUSH_TO_CLOUDWATCH_POLICY = "iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"

# One JSON object per request. Only values that cannot contain a double quote: the user agent, error messages and
# validation errors can, and would break the line's JSON.
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "sourceIp": "$context.identity.sourceIp",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integration.status",
    "integrationLatency": "$context.integration.latency",
    "errorType": "$context.error.responseType",
    "agent": "$context.authorizer.claims.sub",
    "xrayTraceId": "$context.xrayTraceId",
}

_PARSE = re.compile(r'^#parse\("([a-z0-9.-]+\.vtl)"\)[ \t]*$', re.M)
_TOKEN = "${TfToken["


class TemplateError(ValueError):
    """A mapping template or API document would not reach API Gateway as written."""


# --------------------------------------------------------------------------------------------- the API document


def _check_terraform_safe(text: str, source: str, *, tokens_allowed: bool) -> None:
    """cdktf writes string values into Terraform JSON, where ``${`` and ``%{`` start a template expression.
    Only cdktf's own tokens (``${TfToken[...]}``, the references it resolves) may carry one."""
    if "%{" in text:
        raise TemplateError(f"{source}: contains '%{{', which Terraform would read as a template directive")
    for match in re.finditer(r"\$\{", text):
        if not (tokens_allowed and text.startswith(_TOKEN, match.start())):
            raise TemplateError(
                f"{source}: contains '${{' at {match.start()}, which Terraform would interpolate; "
                "write VTL references as $name, not ${name}"
            )


def mapping_template(file_name: str) -> str:
    """The text of ``contracts/api/<file_name>`` as API Gateway gets it.

    API Gateway has no ``#parse``, so a line ``#parse("fragment.vtl")`` is replaced here by that fragment (one
    level). Raises :class:`TemplateError` for a missing file, a nested ``#parse`` or a ``${``/``%{``.
    """
    path = common.API_DIR / file_name
    if not file_name.endswith(".vtl") or not path.is_file():
        raise TemplateError(f"contracts/api/{file_name}: no such mapping template (.vtl file)")

    def fragment(match: re.Match[str]) -> str:
        fragment_path = common.API_DIR / match.group(1)
        if not fragment_path.is_file():
            raise TemplateError(f"contracts/api/{file_name}: #parse names no file contracts/api/{match.group(1)}")
        text = fragment_path.read_text(encoding="utf-8")
        if _PARSE.search(text):
            raise TemplateError(f"contracts/api/{match.group(1)}: a #parse'd fragment cannot #parse again")
        return text.rstrip("\n")

    text = _PARSE.sub(fragment, path.read_text(encoding="utf-8"))
    _check_terraform_safe(text, f"contracts/api/{file_name}", tokens_allowed=False)
    return text


def _inline_schema_refs(node: Any, source: str) -> Any:
    """Replace each ``{"$ref": "<file>#<pointer>", ...}`` that points into another contract file by the fragment
    it names; sibling keywords (a ``description``) are added to it. In-document refs (``#/...``) stay."""
    if isinstance(node, list):
        return [_inline_schema_refs(item, source) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if not isinstance(ref, str) or ref.startswith("#"):
        return {key: _inline_schema_refs(value, source) for key, value in node.items()}
    file_part, _, pointer = ref.partition("#")
    path = (common.API_DIR / file_part).resolve()
    if common.CONTRACTS_DIR.resolve() not in path.parents or not path.is_file():
        raise TemplateError(f"{source}: $ref {ref!r} names no file under contracts/")
    target: Any = load_json(path)
    for part in filter(None, pointer.split("/")):
        key = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, dict) or key not in target:
            raise TemplateError(f"{source}: $ref {ref!r}: {file_part} has nothing at {pointer!r}")
        target = target[key]
    if "$ref" in json.dumps(target):
        raise TemplateError(f"{source}: $ref {ref!r} has $refs of its own; only self-contained fragments inline")
    siblings = {key: value for key, value in node.items() if key != "$ref"}
    return {**copy.deepcopy(target), **siblings}


# ----------------------------------------------------------------------------------- rules rendered from schemas

# A line ``#rules($name "#/pointer" ...)`` in a mapping template becomes ``#set($name = {...})``: the checks the
# template makes, rendered from the schemas the pointers name in the API document, so that the template checks
# exactly the contract. API Gateway has no #rules; it never sees one.
_RULES = re.compile(r'^#rules\(\$(?P<name>[A-Za-z]+)(?P<pointers>(?: "#/[^"]+")+)\)[ \t]*$', re.M)
# What a rendered rule may say about a string; any other keyword would go unchecked, so it is refused.
_STRING_KEYWORDS = {"type", "minLength", "maxLength", "pattern", "description", "title"}
_OBJECT_KEYWORDS = {"type", "required", "properties", "additionalProperties", "description", "title"}
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
# Comprehend's DetectSentiment and BatchDetectSentiment take one UTF-8 document of at most 5 KB each (botocore's
# comprehend model: Text, "The maximum string size is 5 KB"; TextList, "The maximum size of each document is 5 KB";
# the API reference: "5,000 bytes of UTF-8 encoded characters", which the offline Comprehend enforces). A longer
# text is refused at the door rather than cut or failed in the analysis. JSON Schema cannot count bytes.
MAX_TEXT_BYTES = 5000
EXTRA_RULES: dict[tuple[str, str], dict[str, Any]] = {
    ("#/components/schemas/ReviewSubmission", "text"): {"maxBytes": MAX_TEXT_BYTES},
}


def _vtl_literal(value: Any, source: str) -> str:
    """A Velocity 1.7 literal. Strings are single-quoted (no interpolation of $ or #); Velocity 1.7 has no escape
    inside a string literal, so a string holding a quote, a line break or # cannot be written and is refused."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if re.search(r"['\r\n#]", value):
            raise TemplateError(f"{source}: {value!r} holds ' # or a line break, which a VTL literal cannot")
        return f"'{value}'"
    if isinstance(value, list):
        return "[" + ", ".join(_vtl_literal(item, source) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f'"{key}": {_vtl_literal(item, source)}' for key, item in value.items()) + "}"
    raise TemplateError(f"{source}: cannot write {type(value).__name__} as a VTL literal")


def _pointed(document: dict[str, Any], pointer: str, source: str) -> Any:
    node: Any = document
    for part in pointer.removeprefix("#/").split("/"):
        key: Any = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            raise TemplateError(f"{source}: #rules names {pointer!r}, which the API document does not have")
    return node


def _string_rule(field: str, schema: Mapping[str, Any], source: str, **facts: Any) -> dict[str, Any]:
    unknown = set(schema) - _STRING_KEYWORDS
    if schema.get("type") != "string" or unknown:
        raise TemplateError(
            f"{source}: {field}: the template checks strings with minLength, maxLength and pattern only; "
            f"got type {schema.get('type')!r} and {sorted(unknown)}"
        )
    if not _FIELD_NAME.match(field):
        raise TemplateError(f"{source}: field name {field!r} is not a plain name")
    rule: dict[str, Any] = {"field": field, **facts, "type": "string"}
    rule.update({key: schema[key] for key in ("minLength", "maxLength", "pattern") if key in schema})
    return rule


def schema_rules(document: dict[str, Any], pointers: list[str], source: str) -> dict[str, Any]:
    """The checks a template makes of a request: ``{"closed": bool, "fields": [rule, ...]}``. A pointer to a list
    of parameters gives one rule per parameter with a schema (``in`` its location); a pointer to an object schema
    gives one rule per property (``in`` "body"), by name; ``closed`` is the object's
    ``additionalProperties: false``. A rule: ``field``, ``in``, ``required``, ``type`` and the schema's
    ``minLength``/``maxLength``/``pattern``, plus :data:`EXTRA_RULES` (``maxBytes``)."""
    fields: list[dict[str, Any]] = []
    closed = False
    for pointer in pointers:
        node = _pointed(document, pointer, source)
        if isinstance(node, list):
            for parameter in node:
                if "schema" in parameter:
                    fields.append(
                        _string_rule(
                            parameter["name"],
                            parameter["schema"],
                            source,
                            required=bool(parameter.get("required")),
                            **{"in": parameter["in"]},
                        )
                    )
            continue
        unknown = set(node) - _OBJECT_KEYWORDS
        if node.get("type") != "object" or unknown:
            raise TemplateError(f"{source}: {pointer} must be an object schema without {sorted(unknown)}")
        closed = node.get("additionalProperties") is False
        required = set(node.get("required", []))
        # By name: the API body is written with sorted keys, and the order must not depend on how it was written.
        for name, schema in sorted(node.get("properties", {}).items()):
            rule = _string_rule(name, schema, source, required=name in required, **{"in": "body"})
            fields.append({**rule, **EXTRA_RULES.get((pointer, name), {})})
    return {"closed": closed, "fields": fields}


def render_rules(text: str, document: dict[str, Any], source: str) -> str:
    """``text`` with each ``#rules(...)`` line replaced by the ``#set`` of :func:`schema_rules` for its pointers."""

    def one(match: re.Match[str]) -> str:
        pointers = re.findall(r'"(#/[^"]+)"', match["pointers"])
        rules = schema_rules(document, pointers, source)
        return f"#set(${match['name']} = {_vtl_literal(rules, source)})"

    return _RULES.sub(one, text)


def _inline_templates(document: dict[str, Any]) -> None:
    for item in document["paths"].values():
        for operation in item.values():
            integration = operation["x-amazon-apigateway-integration"]
            templates = [integration.get("requestTemplates", {})]
            templates += [
                response.get("responseTemplates", {}) for response in integration.get("responses", {}).values()
            ]
            for by_type in templates:
                for content_type, file_name in by_type.items():
                    by_type[content_type] = render_rules(
                        mapping_template(file_name), document, f"contracts/api/{file_name}"
                    )


# On every answer: answers carry reviewers' names, emails and texts, which no cache may keep and no browser may
# sniff into something other than JSON.
PRIVATE_ANSWER_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _add_cors(document: dict[str, Any], allowed_origin: str) -> None:
    """The origin and privacy headers on every method, integration and gateway response, and a preflight on every
    path."""
    headers = {"Access-Control-Allow-Origin": allowed_origin, **PRIVATE_ANSWER_HEADERS}
    for item in document["paths"].values():
        for operation in item.values():
            for response in operation["responses"].values():
                for name in headers:
                    response.setdefault("headers", {})[name] = {"schema": {"type": "string"}}
            for response in operation["x-amazon-apigateway-integration"]["responses"].values():
                for name, value in headers.items():
                    response.setdefault("responseParameters", {})[f"method.response.header.{name}"] = f"'{value}'"
    for response in document["x-amazon-apigateway-gateway-responses"].values():
        for name, value in headers.items():
            response.setdefault("responseParameters", {})[f"gatewayresponse.header.{name}"] = f"'{value}'"

    preflight = load_json(common.API_DIR / "cors-preflight.json")
    for path, item in document["paths"].items():
        if "options" in item:
            raise TemplateError(
                f"contracts/api/openapi.json: {path} declares OPTIONS; the construct adds the preflight"
            )
        methods = ",".join([*sorted(method.upper() for method in item), "OPTIONS"])
        options = substitute(
            preflight,
            {"AllowedOrigin": allowed_origin, "AllowedMethods": methods},
            source="contracts/api/cors-preflight.json",
        )
        path_parameters = {
            parameter["name"]: parameter
            for operation in item.values()
            for parameter in operation.get("parameters", [])
            if parameter["in"] == "path"
        }
        if path_parameters:
            options["parameters"] = list(path_parameters.values())
        item["options"] = options


def api_document(values: Mapping[str, Any], *, allowed_origin: str) -> dict[str, Any]:
    """``contracts/api/openapi.json`` ready for API Gateway: placeholders replaced by ``values``, model fragments
    and mapping templates inlined, CORS for ``allowed_origin`` added. Pure: tests call it without synthesis."""
    source = "contracts/api/openapi.json"
    document: dict[str, Any] = substitute(load_json(common.API_DIR / "openapi.json"), values, source=source)
    document["components"]["schemas"] = _inline_schema_refs(document["components"]["schemas"], source)
    # Parameters' schemas may name contract fragments too (the Idempotency-Key's rule).
    document["paths"] = _inline_schema_refs(document["paths"], source)
    # The preflights name a template too: add them first.
    _add_cors(document, allowed_origin)
    _inline_templates(document)
    _check_terraform_safe(json.dumps(document), source, tokens_allowed=True)
    return document


# ------------------------------------------------------------------------------------------------- the construct


class FrontendApi(Construct):
    """REST API ``{prefix}-frontend-api``, stage ``v1``.

    Routes (``contracts/api/openapi.json``):
      POST /reviews (anyone): the mapping template checks the body against ReviewSubmission and the
        Idempotency-Key against its rule (400 naming the field and the rule), then StartSyncExecution of the
        ``accept-review`` Express workflow: a conditional write of the key and the review's fingerprint to the
        reviews table, one ``ReviewSubmitted`` (source ``reviews.frontend``) on ``bus``, the key marked published;
        202 ``{reviewId, idempotencyKey}`` (the first submission's for a retry), 409 for the same key with another
        review, 502 when the review could not be stored or published.
      GET /cases (agents): DynamoDB Query of ``open_cases_index`` (queue = "OPEN", newest first).
      POST /cases/{caseId}/resolution (agents): StartSyncExecution of the resolve-case Express workflow;
        200, or 404 (CaseNotFound), 409 (CaseAlreadyResolved), 502 (anything else).
      OPTIONS on each path: a MOCK preflight for ``allowed_origin``.

    Inputs:
      platform: shared account, region, naming, key and log retention.
      bus: the :class:`~modules.event_bus.EventBus` reviews are published to.
      resolve_state_machine: the resolve-case Express state machine.
      cases_table, open_cases_index: the cases table and the name of its open-cases index. The table is taken to be
        encrypted with the platform key (the project's rule), so the query role may decrypt with it through DynamoDB.
      user_pool: the agents' Cognito user pool; its ID tokens authorize the agents' routes.
      user_pool_client: the agent console's app client: the authorizer takes only its ID tokens (the token's
        ``aud``, through the identity validation expression), not another app client's of the same pool.
      settings: :class:`~modules.config.FrontendSettings`: the one browser origin CORS allows
        (``https://host[:port]`` or ``http://localhost[:port]``; None for ``site_origin``) and the stage-wide
        throttling, requests per second and burst.
      site_origin: the origin of the stack's own pages (a Terraform reference to the CloudFront origin).
      execution_log_level: "ERROR" (default) or "INFO"; request and response bodies are never logged.
      Whether the stack sets the region's API Gateway account settings (the role API Gateway logs with) is the
        settings' ``api_gateway_account_owner``: one stack per account and region may (see modules/config.py).
    Defaults: REGIONAL endpoint; request validation of bodies and parameters; one IAM role per integration,
      trusted only by apigateway.amazonaws.com from this account, allowed exactly the action it calls on the one
      resource (and, for the query, the table key through DynamoDB); JSON access logs to a KMS-encrypted log group, execution logs pre-created encrypted (API Gateway
      would create them unencrypted and kept forever), both with the platform's retention; X-Ray tracing; metrics;
      data trace off; caching off; a new deployment whenever the API document changes. The reviews table is
      encrypted with the platform key, with point-in-time recovery and a TTL of the settings'
      ``idempotency_window_seconds`` (keys are kept at least that long).
    Exposes: ``rest_api``, ``deployment``, ``stage``, ``method_settings``, ``access_log_group``,
      ``execution_log_group``, ``reviews_table``, ``accept_workflow`` (a :class:`~modules.workflow.Workflow`),
      ``roles`` (by integration: "submit-review", "list-open-cases", "resolve-case"),
      ``logging_role`` and ``account`` (None when not managed), ``document`` (the OpenAPI document as deployed),
      ``stage_variables`` (what the mapping templates read from ``$stageVariables``), ``url`` (the invoke URL),
      ``web_acl`` and ``waf_log_group`` (a WAF web ACL with AWS managed rules and a per-client rate limit).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform: Platform,
        bus: EventBus,
        resolve_state_machine: SfnStateMachine,
        cases_table: DynamodbTable,
        open_cases_index: str,
        user_pool: CognitoUserPool,
        user_pool_client: CognitoUserPoolClient,
        settings: FrontendSettings,
        site_origin: str,
        execution_log_level: Literal["ERROR", "INFO"] = "ERROR",
    ):
        super().__init__(scope, id)
        where = f"FrontendApi {id}"
        for setting, value, kind in (
            ("bus", bus, EventBus),
            ("resolve_state_machine", resolve_state_machine, SfnStateMachine),
            ("cases_table", cases_table, DynamodbTable),
            ("user_pool", user_pool, CognitoUserPool),
            ("user_pool_client", user_pool_client, CognitoUserPoolClient),
            ("settings", settings, FrontendSettings),
        ):
            if not isinstance(value, kind):
                raise TypeError(f"{where}: {setting} must be a {kind.__name__}, got {type(value).__name__}")
        if not Token.is_unresolved(open_cases_index):
            checks.argument(where, "open_cases_index", checks.index_name, open_cases_index)
        # The settings' origin was checked with them; the site's is a Terraform reference, known at apply time.
        allowed_origin = settings.allowed_origin or site_origin
        if not Token.is_unresolved(allowed_origin):
            checks.argument(where, "allowed_origin", checks.origin, allowed_origin)
        checks.argument(where, "execution_log_level", checks.one_of, execution_log_level, values=EXECUTION_LOG_LEVELS)
        name = platform.name("frontend", "api")

        # One item per idempotency key: the review's fingerprint, id, submission time and whether it is published.
        self.reviews_table = table(
            self,
            "reviews",
            platform=platform,
            name=platform.name("frontend", "reviews"),
            hash_key="idempotencyKey",
            ttl_attribute="expiresAt",
        )
        self.accept_workflow = Workflow(
            self,
            "accept-workflow",
            platform=platform,
            service="frontend",
            purpose="accept-review",
            asl="accept-review",
            workflow_type="EXPRESS",
            substitutions={
                "ReviewsTableName": self.reviews_table.name,
                "EventBusName": bus.bus.name,
                # A DynamoDB Number travels as a string.
                "IdempotencyWindowSeconds": str(settings.idempotency_window_seconds),
                "PublishLeaseSeconds": PUBLISH_LEASE_SECONDS,
                "PublisherWaitLimitSeconds": PUBLISHER_WAIT_LIMIT_SECONDS,
            },
            statements=[
                statement(
                    "ClaimAndMarkReviews",
                    ["dynamodb:GetItem", "dynamodb:UpdateItem"],
                    [self.reviews_table.arn],
                ),
                table_key_statement(platform.key_arn, platform.region),
                # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html
                statement(
                    "PublishReviewSubmitted",
                    ["events:PutEvents"],
                    [bus.bus.arn],
                    Condition={"StringEquals": {"events:source": REVIEW_SOURCE}},
                ),
            ],
        )

        # What each integration calls, and nothing else.
        grants: dict[str, list[dict[str, Any]]] = {
            "submit-review": [
                statement(
                    "AcceptReviewSynchronously",
                    ["states:StartSyncExecution"],
                    [self.accept_workflow.state_machine.arn],
                )
            ],
            "list-open-cases": [
                # A query of an index is authorized on the index's ARN alone.
                # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
                statement("QueryOpenCases", ["dynamodb:Query"], [f"{cases_table.arn}/index/{open_cases_index}"]),
                # Reading a table encrypted with a customer key needs the key, through DynamoDB only.
                # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html
                statement(
                    "DecryptCasesThroughDynamoDB",
                    ["kms:Decrypt"],
                    [platform.key_arn],
                    Condition={"StringEquals": {"kms:ViaService": f"dynamodb.{platform.region}.amazonaws.com"}},
                ),
            ],
            "resolve-case": [
                statement("ResolveCaseSynchronously", ["states:StartSyncExecution"], [resolve_state_machine.arn])
            ],
        }
        self.roles: dict[str, IamRole] = {}
        for integration, statements in grants.items():
            role = IamRole(
                self,
                f"{integration}-role",
                name=f"{platform.name('frontend', integration)}-apigw",
                # No aws:SourceArn: the API's id is known only once the API exists, and the API names these roles.
                assume_role_policy=trust_policy("apigateway.amazonaws.com", platform.account_id),
            )
            IamRolePolicy(
                self, f"{integration}-policy", name=integration, role=role.id, policy=policy_document(statements)
            )
            self.roles[integration] = role

        self.document = api_document(
            {
                "ApiName": name,
                "Partition": platform.partition,
                "Region": platform.region,
                "SubmitReviewRoleArn": self.roles["submit-review"].arn,
                "ListOpenCasesRoleArn": self.roles["list-open-cases"].arn,
                "ResolveCaseRoleArn": self.roles["resolve-case"].arn,
                "UserPoolArn": user_pool.arn,
                "AgentsClientId": user_pool_client.id,
            },
            allowed_origin=allowed_origin,
        )
        body = json.dumps(self.document, indent=1, sort_keys=True)
        self.rest_api = ApiGatewayRestApi(
            self,
            "api",
            name=name,
            description="Reviews in, cases out: service integrations only",
            body=body,
            endpoint_configuration=ApiGatewayRestApiEndpointConfiguration(types=["REGIONAL"]),
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        # The hash is taken by Terraform, of the body with every reference resolved: a replaced role changes it too.
        self.deployment = ApiGatewayDeployment(
            self,
            "deployment",
            rest_api_id=self.rest_api.id,
            description="Redeployed whenever the API document changes",
            triggers={"redeployment": Fn.sha1(self.rest_api.body)},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )

        self.logging_role: IamRole | None = None
        self.account: ApiGatewayAccount | None = None
        if settings.api_gateway_account_owner:
            self.logging_role = IamRole(
                self,
                "logging-role",
                name=f"{name}-cloudwatch",
                assume_role_policy=trust_policy("apigateway.amazonaws.com", platform.account_id),
            )
            push = IamRolePolicyAttachment(
                self,
                "logging-policy",
                role=self.logging_role.name,
                policy_arn=f"arn:{platform.partition}:{PUSH_TO_CLOUDWATCH_POLICY}",
            )
            self.account = ApiGatewayAccount(
                self, "account", cloudwatch_role_arn=self.logging_role.arn, depends_on=[push]
            )
        logging_ready = [self.account] if self.account is not None else []

        self.access_log_group = log_group(self, "access-logs", platform=platform, name=f"/aws/apigateway/{name}/access")
        # API Gateway writes execution logs to this fixed name and creates the group (unencrypted, kept forever)
        # unless it exists: it is created first, and logging is switched on only after it.
        self.execution_log_group = log_group(
            self,
            "execution-logs",
            platform=platform,
            name=f"API-Gateway-Execution-Logs_{self.rest_api.id}/{STAGE_NAME}",
        )
        # The templates read these, so no Terraform reference ever sits inside a template.
        self.stage_variables = {
            "acceptReviewStateMachineArn": self.accept_workflow.state_machine.arn,
            "casesTableName": cases_table.name,
            "openCasesIndex": open_cases_index,
            "resolveStateMachineArn": resolve_state_machine.arn,
        }
        self.stage = ApiGatewayStage(
            self,
            "stage",
            rest_api_id=self.rest_api.id,
            deployment_id=self.deployment.id,
            stage_name=STAGE_NAME,
            description="Version 1 of the review system's API",
            variables=self.stage_variables,
            xray_tracing_enabled=True,
            # A cache would serve one agent's case list to another and adds an hourly cost; reviews are POSTs.
            cache_cluster_enabled=False,
            access_log_settings=ApiGatewayStageAccessLogSettings(
                destination_arn=self.access_log_group.arn,
                format=json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":")),
            ),
            depends_on=logging_ready,
        )
        self.method_settings = ApiGatewayMethodSettings(
            self,
            "method-settings",
            rest_api_id=self.rest_api.id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings=ApiGatewayMethodSettingsSettings(
                metrics_enabled=True,
                logging_level=execution_log_level,
                # Bodies hold reviewers' names, emails and reviews: never in the logs.
                data_trace_enabled=False,
                throttling_rate_limit=settings.api_rate_limit,
                throttling_burst_limit=settings.api_burst_limit,
                caching_enabled=False,
            ),
            depends_on=[self.execution_log_group, *logging_ready],
        )
        self.url = self.stage.invoke_url
        self._protect_with_waf(platform, name)

    def _protect_with_waf(self, platform: Platform, name: str) -> None:
        """A regional web ACL in front of the stage: AWS's common and known-bad-input rule groups (the
        latter covers Log4j-style payloads) and a per-client rate limit, with its logs encrypted.

        Two rules of the common rule set would refuse reviews the API accepts: SizeRestrictions_BODY blocks bodies
        over 8 KB (a 5,000-character review in Japanese is about 15 KB) and CrossSiteScripting_BODY blocks text
        that looks like HTML, which a review may hold and the pages show as text. They only count (label) here, and
        the next rule blocks what they label on every path but ``/reviews``, whose body the request model bounds.
        https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html"""
        self.web_acl = Wafv2WebAcl(
            self,
            "web-acl",
            name=name,
            scope="REGIONAL",
            description="Managed protections and a per-client rate limit for the review API",
            default_action=Wafv2WebAclDefaultAction(allow={}),
            # A review is up to 5,000 characters, each up to 12 bytes as JSON escapes (a surrogate pair): the rules
            # see the whole body of every request the model accepts. The default is 16 KB; past it WAF charges per
            # 16 KB more. https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-setting-body-inspection-limit.html
            association_config=Wafv2WebAclAssociationConfig(
                request_body=[
                    Wafv2WebAclAssociationConfigRequestBody(
                        api_gateway=Wafv2WebAclAssociationConfigRequestBodyApiGateway(
                            default_size_inspection_limit=BODY_INSPECTION_LIMIT
                        )
                    )
                ]
            ),
            visibility_config=Wafv2WebAclVisibilityConfig(
                cloudwatch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
            ),
        )
        # The rules are data (contracts/api/waf-rules.json, in Terraform's block shape) rather than rule_json, so
        # that plans show each rule and policy scanners such as checkov can read them.
        self.web_acl.add_override("rule", load_json(common.API_DIR / "waf-rules.json"))
        Wafv2WebAclAssociation(self, "web-acl-association", resource_arn=self.stage.arn, web_acl_arn=self.web_acl.arn)
        # WAF delivers only to log groups whose name starts with aws-waf-logs-.
        self.waf_log_group = log_group(self, "waf-logs", platform=platform, name=f"aws-waf-logs-{name}")
        Wafv2WebAclLoggingConfiguration(
            self,
            "web-acl-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.waf_log_group.arn],
        )
