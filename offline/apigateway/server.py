"""API Gateway (REST API) served on localhost from the synthesized OpenAPI document.

moto stores REST APIs but never runs them. This serves the document that the stack deploys (its
``x-amazon-apigateway-*`` extensions) over real HTTP, as API Gateway runs a request:

1. route: the path template and method; none -> ``MISSING_AUTHENTICATION_TOKEN`` (403), as API Gateway answers;
2. authorizer: a ``cognito_user_pools`` scheme checks the token as AWS documents it (offline.apigateway.authorizer:
   signature, issuer, expiry, ``token_use``/scopes, ``aud`` through the identity validation expression)
   -> ``UNAUTHORIZED`` (401); its claims become ``$context.authorizer.claims``;
3. request validator: required parameters -> ``BAD_REQUEST_PARAMETERS``; a body that is not JSON or fails the
   model (JSON Schema draft 4) -> ``BAD_REQUEST_BODY`` (400) with ``$context.error.validationErrorString``;
4. the request mapping template (VTL, offline.apigateway.vtl) for the request's content type
   (``passthroughBehavior: never`` and no template -> ``UNSUPPORTED_MEDIA_TYPE``, 415);
5. the integration: ``mock``, or ``aws`` service actions called on the in-process moto (EventBridge
   PutEvents, DynamoDB Query, Step Functions StartSyncExecution, which moto lacks and is emulated here by
   starting the Express execution and waiting for it, as the synchronous API does);
6. the integration response whose ``selectionPattern`` matches the service's HTTP status (``default``
   otherwise), its template, its ``responseParameters`` headers and ``$context.responseOverride``.

Gateway responses (``x-amazon-apigateway-gateway-responses``) shape every error API Gateway itself raises.
Not modelled: throttling (the stage's limits), WAF, caching, payload size limits.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import boto3
import jsonschema
from botocore.exceptions import ClientError

from offline.apigateway.authorizer import UNAUTHORIZED, Unauthorized, cognito_authorizers
from offline.apigateway.responses import render_gateway_template, validation_error_string
from offline.apigateway.vtl import render
from offline.wafv2.acl import WafRequest, WebAcl

# API Gateway's own status for each gateway response type it raises here.
GATEWAY_STATUS = {
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "UNAUTHORIZED": 401,
    "ACCESS_DENIED": 403,
    "BAD_REQUEST_BODY": 400,
    "BAD_REQUEST_PARAMETERS": 400,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "INTEGRATION_FAILURE": 504,
    "INTEGRATION_TIMEOUT": 504,
    # The web ACL of the stage blocked the request. https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
    "WAF_FILTERED": 403,
}
# What API Gateway says of a body that is not JSON at all.
UNPARSABLE_BODY = "[Unknown error parsing request body]"
# StartSyncExecution gives up after the Express workflow's 5-minute limit.
SYNC_EXECUTION_LIMIT_SECONDS = 300
_INTEGRATION_URI = re.compile(r"^arn:[^:]+:apigateway:[^:]+:(?P<service>[a-z0-9-]+):action/(?P<action>[A-Za-z]+)$")


@dataclass
class Response:
    status: int
    body: str | bytes
    headers: dict[str, str] = field(default_factory=dict)


class GatewayError(Exception):
    """A response API Gateway itself gives, before or instead of the integration."""

    def __init__(self, kind: str, message: str, validation: str = ""):
        super().__init__(message)
        self.kind, self.message, self.validation = kind, message, validation


@dataclass
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    operation: dict[str, Any]


class RestApi:
    """One deployed stage of a REST API, answering requests in process.

    Inputs: ``document`` (the OpenAPI body with every Terraform reference resolved), ``stage``,
    ``stage_variables``, ``user_pools`` (user pool ARN -> pool id, for the Cognito authorizer),
    ``region``, and optionally ``session`` (boto3, inside the moto mock) and ``on_execution`` (told the ARN
    of every execution an integration starts). ``requests`` counts the requests answered (billed by AWS).
    """

    def __init__(
        self,
        document: Mapping[str, Any],
        *,
        stage: str,
        stage_variables: Mapping[str, str],
        user_pools: Mapping[str, str],
        region: str,
        session: boto3.Session | None = None,
        on_execution: Callable[[str], None] | None = None,
        web_acl: WebAcl | None = None,
    ):
        self.document = document
        self.web_acl = web_acl
        self.stage = stage
        self.stage_variables = dict(stage_variables)
        self.user_pools = dict(user_pools)
        self.region = region
        self.session = session or boto3.Session(region_name=region)
        self.on_execution = on_execution
        self.requests = 0
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._authorizers = cognito_authorizers(document, user_pools=self.user_pools, region=region)
        self.routes = [
            self._route(path, method, operation)
            for path, methods in document["paths"].items()
            for method, operation in methods.items()
            if method != "parameters"
        ]
        for route in self.routes:
            self._check_integration(route)

    # --- routing -----------------------------------------------------------------------------------

    @staticmethod
    def _route(path: str, method: str, operation: dict[str, Any]) -> Route:
        regex = re.sub(r"\\\{([A-Za-z0-9_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
        return Route(method.upper(), path, re.compile(f"^{regex}$"), operation)

    def _check_integration(self, route: Route) -> None:
        integration = route.operation.get("x-amazon-apigateway-integration", {})
        if integration.get("type") == "mock":
            return
        match = _INTEGRATION_URI.match(integration.get("uri", ""))
        if integration.get("type") != "aws" or not match or (match["service"], match["action"]) not in self._actions():
            raise NotImplementedError(
                f"{route.method} {route.template}: integration {integration.get('type')} {integration.get('uri')} "
                f"is not emulated offline; emulated: mock, and aws {sorted(self._actions())}"
            )

    def _find(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        for route in self.routes:
            match = route.pattern.match(path)
            if match and route.method == method:
                return route, {name: unquote(value) for name, value in match.groupdict().items()}
        raise GatewayError("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")

    # --- a request -----------------------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes, source_ip: str = "127.0.0.1"
    ) -> Response:
        with self._lock:
            self.requests += 1
        url = urlsplit(raw_path)
        context: dict[str, Any] = {
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": source_ip},
            "httpMethod": method,
            "stage": self.stage,
            "authorizer": {"claims": {}},
        }
        prefix = f"/{self.stage}"
        method_request: dict[str, Any] = {
            "header": dict(headers),
            "querystring": dict(parse_qsl(url.query, keep_blank_values=True)),
            "path": {},
        }
        try:
            # The stage's web ACL decides first: WAF sits in front of API Gateway.
            if self.web_acl is not None and self.web_acl.inspect(
                WafRequest(method, url.path, headers, body, source_ip)
            ):
                raise GatewayError("WAF_FILTERED", "Forbidden")
            if not (url.path == prefix or url.path.startswith(prefix + "/")):
                raise GatewayError("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
            route, path_params = self._find(method, url.path[len(prefix) :] or "/")
            method_request["path"] = path_params
            context["resourcePath"] = route.template
            query = dict(parse_qsl(url.query, keep_blank_values=True))
            text = body.decode("utf-8") if body else ""
            self._authorize(route, headers, context)
            self._validate(route, headers, path_params, query, text)
            return self._integrate(route, headers, path_params, query, text, context)
        except GatewayError as error:
            return self._gateway_response(error, context, method_request)
        except UnicodeDecodeError:
            return self._gateway_response(
                GatewayError("BAD_REQUEST_BODY", "Invalid request body", UNPARSABLE_BODY), context, method_request
            )

    def _authorize(self, route: Route, headers: Mapping[str, str], context: dict[str, Any]) -> None:
        for requirement in route.operation.get("security", []):
            for name, scopes in requirement.items():
                authorizer = self._authorizers[name]
                try:
                    context["authorizer"]["claims"] = authorizer.verify(_header(headers, authorizer.header), scopes)
                except Unauthorized:
                    raise GatewayError("UNAUTHORIZED", UNAUTHORIZED) from None

    def _validate(
        self, route: Route, headers: Mapping[str, str], path: dict[str, str], query: dict[str, str], text: str
    ) -> None:
        validators = self.document.get("x-amazon-apigateway-request-validators", {})
        validator = validators.get(route.operation.get("x-amazon-apigateway-request-validator", ""), {})
        if validator.get("validateRequestParameters"):
            for parameter in route.operation.get("parameters", []):
                source = {"header": {k.lower(): v for k, v in headers.items()}, "path": path, "query": query}[
                    parameter["in"]
                ]
                key = parameter["name"].lower() if parameter["in"] == "header" else parameter["name"]
                if parameter.get("required") and not source.get(key):
                    raise GatewayError(
                        "BAD_REQUEST_PARAMETERS", f"Missing required request parameters: [{parameter['name']}]"
                    )
        # The model is chosen by the request's content type; one without a model is not validated (and a
        # template-less type then meets passthroughBehavior).
        content_type = (_header(headers, "Content-Type") or "application/json").split(";")[0].strip().lower()
        content = route.operation.get("requestBody", {}).get("content", {}).get(content_type)
        if validator.get("validateRequestBody") and content:
            try:
                payload = json.loads(text)
            except json.JSONDecodeError:
                raise GatewayError("BAD_REQUEST_BODY", "Invalid request body", UNPARSABLE_BODY) from None
            schema = self._schema(content["schema"])
            errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(payload), key=lambda e: list(e.path))
            if errors:
                raise GatewayError("BAD_REQUEST_BODY", "Invalid request body", validation_error_string(errors))

    def _schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        components = self.document.get("components", {}).get("schemas", {})
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[1]]
        # Models reference each other as #/components/schemas/X: resolve against the whole document.
        return {**schema, "components": {"schemas": components}}

    # --- the integration -----------------------------------------------------------------------------

    def _integrate(
        self,
        route: Route,
        headers: Mapping[str, str],
        path: dict[str, str],
        query: dict[str, str],
        text: str,
        context: dict[str, Any],
    ) -> Response:
        integration = route.operation["x-amazon-apigateway-integration"]
        content_type = (_header(headers, "Content-Type") or "application/json").split(";")[0].strip().lower()
        templates = integration.get("requestTemplates", {})
        if content_type not in templates and integration.get("passthroughBehavior") == "never" and templates:
            raise GatewayError("UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type")
        request: dict[str, Any] = dict(
            headers=dict(headers), path_params=path, query=query, context=context, stage_variables=self.stage_variables
        )
        template = templates.get(content_type)
        payload = render(template, body=text, **request).output if template is not None else text

        if integration["type"] == "mock":
            status, answer = int(json.loads(payload or "{}").get("statusCode", 200)), ""
        else:
            match = _INTEGRATION_URI.match(integration["uri"])
            assert match
            status, answer = self._call(match["service"], match["action"], payload)

        responses = integration.get("responses", {})
        chosen = next(
            (
                response
                for pattern, response in responses.items()
                if pattern != "default" and re.fullmatch(pattern, str(status))
            ),
            responses.get("default", {"statusCode": "200"}),
        )
        response_template = chosen.get("responseTemplates", {}).get("application/json")
        result = render(response_template, body=answer, **request) if response_template is not None else None
        out_headers = {"Content-Type": "application/json"}
        out_headers.update(_response_headers(chosen.get("responseParameters", {}), "method.response.header."))
        override = result.response_override if result else {}
        out_headers.update(override.get("header", {}))
        return Response(
            int(override.get("status", chosen.get("statusCode", 200))), result.output if result else answer, out_headers
        )

    def _actions(self) -> dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            ("events", "PutEvents"): lambda p: self._client("events").put_events(**p),
            ("dynamodb", "Query"): lambda p: self._client("dynamodb").query(**p),
            ("states", "StartSyncExecution"): self._start_sync_execution,
        }

    def _call(self, service: str, action: str, payload: str) -> tuple[int, str]:
        """Call the service as API Gateway would; answer (HTTP status, JSON body) like the service's API."""
        try:
            parameters = json.loads(payload or "{}")
        except json.JSONDecodeError:
            # The template rendered something the service would reject as malformed.
            return 400, json.dumps({"__type": "SerializationException", "message": "malformed request"})
        try:
            answer = self._actions()[(service, action)](parameters)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
            return status, json.dumps(
                {"__type": error.response["Error"]["Code"], "message": error.response["Error"]["Message"]}
            )
        answer.pop("ResponseMetadata", None)
        return 200, json.dumps(answer, default=_json_default)

    def _start_sync_execution(self, parameters: dict[str, Any]) -> dict[str, Any]:
        sfn = self._client("stepfunctions")
        started = sfn.start_execution(
            stateMachineArn=parameters["stateMachineArn"],
            input=parameters.get("input", "{}"),
            name=parameters.get("name", str(uuid.uuid4())),
        )
        if self.on_execution is not None:
            self.on_execution(started["executionArn"])
        deadline = time.monotonic() + SYNC_EXECUTION_LIMIT_SECONDS
        while True:
            execution = sfn.describe_execution(executionArn=started["executionArn"])
            if execution["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                sfn.stop_execution(executionArn=started["executionArn"], error="States.Timeout")
                execution = {**execution, "status": "TIMED_OUT"}
                break
            time.sleep(0.02)
        if execution["status"] == "FAILED" and "error" not in execution:
            # moto keeps a failure's error and cause in the history only.
            failed = [
                e
                for e in sfn.get_execution_history(executionArn=started["executionArn"], reverseOrder=True)["events"]
                if e["type"] == "ExecutionFailed"
            ]
            if failed:
                details = failed[0]["executionFailedEventDetails"]
                execution = {**execution, "error": details.get("error"), "cause": details.get("cause")}
        keys = (
            "executionArn",
            "stateMachineArn",
            "name",
            "startDate",
            "stopDate",
            "status",
            "input",
            "output",
            "error",
            "cause",
        )
        return {key: execution[key] for key in keys if key in execution}

    def _client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self.session.client(service, region_name=self.region)
            return self._clients[service]

    # --- gateway responses ---------------------------------------------------------------------------

    def _gateway_response(
        self, error: GatewayError, context: dict[str, Any], method_request: Mapping[str, Any] | None = None
    ) -> Response:
        status = GATEWAY_STATUS.get(error.kind, 500)
        responses = self.document.get("x-amazon-apigateway-gateway-responses", {})
        fallback = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        definition = responses.get(error.kind) or responses.get(fallback) or {}
        status = int(definition.get("statusCode", status))
        context = {
            **context,
            "error": {
                "message": error.message,
                "messageString": json.dumps(error.message),
                # As it is, quotes included: gateway response templates cannot escape it.
                "validationErrorString": error.validation,
                "responseType": error.kind,
            },
        }
        template = definition.get("responseTemplates", {}).get("application/json")
        body = (
            render_gateway_template(
                template, context=context, stage_variables=self.stage_variables, method_request=method_request or {}
            )
            if template
            else json.dumps({"message": error.message})
        )
        headers = {"Content-Type": "application/json"}
        headers.update(_response_headers(definition.get("responseParameters", {}), "gatewayresponse.header."))
        return Response(status, body, headers)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)


def _response_headers(parameters: Mapping[str, str], prefix: str) -> dict[str, str]:
    """Static ('quoted') header mappings of an integration or gateway response."""
    return {
        key[len(prefix) :]: value[1:-1]
        for key, value in parameters.items()
        if key.startswith(prefix) and value.startswith("'") and value.endswith("'")
    }


def _json_default(value: Any) -> Any:
    if hasattr(value, "timestamp"):
        return value.timestamp()
    raise TypeError(f"cannot encode {type(value).__name__}")


class ApiServer:
    """A real HTTP server on 127.0.0.1 in front of a :class:`RestApi`, in a background thread."""

    def __init__(
        self,
        api: RestApi,
        port: int = 0,
        extra: Callable[[str, str, dict[str, str], bytes], Response | None] | None = None,
    ):
        """``extra(method, path, headers, body)`` answers first (web pages, say); None passes to the API."""
        self.api = api
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                response = extra(self.command, self.path, dict(self.headers.items()), body) if extra else None
                if response is None:
                    response = outer.api.handle(
                        self.command, self.path, dict(self.headers.items()), body, self.client_address[0]
                    )
                payload = response.body if isinstance(response.body, bytes) else response.body.encode("utf-8")
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            # Load tests open dozens of connections at once; the default backlog of 5 resets them.
            request_queue_size = 256

        self.server = Server(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        # typeshed allows a bytes host (AF_UNIX addresses); this server binds 127.0.0.1.
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}/{self.api.stage}"

    def __enter__(self) -> ApiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
