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
:class:`ApiServer` is the front door before all of this: HTTP framing, the 10 MB payload quota
(``REQUEST_TOO_LARGE``, 413) and time limits on slow clients.
Not modelled: throttling (the stage's limits), caching, the quota on the size of the request line and headers.
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import boto3
import jsonschema
from botocore.exceptions import ClientError

from offline.apigateway.authorizer import UNAUTHORIZED, Unauthorized, cognito_authorizers
from offline.apigateway.responses import render_gateway_template, validation_error_string
from offline.apigateway.vtl import render
from offline.engine.clients import Clients
from offline.stepfunctions import executions
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
    "REQUEST_TOO_LARGE": 413,
}
# API Gateway's message for a payload over its quota, as clients report it (the docs give the type, not the text).
REQUEST_TOO_LARGE_MESSAGE = "Request Too Long"
# What API Gateway says of a body that is not JSON at all.
UNPARSABLE_BODY = "[Unknown error parsing request body]"
# The validator's JSON parser (Jackson, in java-json-tools) refuses, from version 2.15 on by default, a number of
# more than 1000 characters and a nesting deeper than 1000 (StreamReadConstraints). Which Jackson API Gateway runs
# is not published; an older one parses them and the model then refuses them (no model of this API takes a deep
# value or a number there), so the answer is BAD_REQUEST_BODY either way. Python's decoder stops near a depth of
# 1000 too (its recursion limit), and is told to stop at 1000 digits.
# https://github.com/FasterXML/jackson-core/wiki/StreamReadConstraints
MAX_NUMBER_LENGTH = 1000
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
        self._client = Clients(region, self.session)
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
        url = urlsplit(raw_path)
        context, method_request = self._request_context(method, url.query, headers, source_ip)
        prefix = f"/{self.stage}"
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
        except (UnicodeDecodeError, RecursionError):
            # Not UTF-8 text, or JSON nested deeper than the validator reads (see MAX_NUMBER_LENGTH).
            return self._gateway_response(
                GatewayError("BAD_REQUEST_BODY", "Invalid request body", UNPARSABLE_BODY), context, method_request
            )

    def refuse(
        self, kind: str, message: str, method: str, raw_path: str, headers: Mapping[str, str], source_ip: str
    ) -> Response:
        """The gateway response of ``kind`` to a request refused before it is read (its body too large, say)."""
        context, method_request = self._request_context(method, urlsplit(raw_path).query, headers, source_ip)
        return self._gateway_response(GatewayError(kind, message), context, method_request)

    def _request_context(
        self, method: str, query: str, headers: Mapping[str, str], source_ip: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``$context`` and the method request of one request, counted as one."""
        with self._lock:
            self.requests += 1
        context: dict[str, Any] = {
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": source_ip},
            "httpMethod": method,
            "stage": self.stage,
            "authorizer": {"claims": {}},
        }
        method_request: dict[str, Any] = {
            "header": dict(headers),
            "querystring": dict(parse_qsl(query, keep_blank_values=True)),
            "path": {},
        }
        return context, method_request

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
            payload = parse_json_body(text)
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
        execution = executions.outcome(sfn, started["executionArn"], SYNC_EXECUTION_LIMIT_SECONDS)
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


def _number(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(digits: str) -> Any:
        if len(digits) > MAX_NUMBER_LENGTH:
            raise ValueError(f"a number of {len(digits)} characters; at most {MAX_NUMBER_LENGTH} are read")
        return kind(digits)

    return parse


def _not_json(name: str) -> Any:
    # Python reads NaN and Infinity; JSON has no such values and Jackson refuses them unless told otherwise.
    raise ValueError(f"{name} is not JSON")


def parse_json_body(text: str) -> Any:
    """A request body as the request validator reads it; not JSON -> ``BAD_REQUEST_BODY``.

    Beyond ``json.loads``: numbers of at most MAX_NUMBER_LENGTH characters, no NaN/Infinity, and every string (and
    name) Unicode text. A ``\\ud800`` escape without its pair decodes to a lone surrogate, which no UTF-8 text can
    carry: RFC 8259 (section 8.2) leaves what a parser does with one unpredictable, and Jackson keeps it. What
    API Gateway then does with it cannot be known without an account (it reaches the mapping template, and from
    there the event bus), so it is refused here as a body that is not text, the closest documented answer; the
    models' patterns are what make AWS refuse it too.
    """
    try:
        payload = json.loads(text, parse_int=_number(int), parse_float=_number(float), parse_constant=_not_json)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError; RecursionError: nested too deep
        raise GatewayError("BAD_REQUEST_BODY", "Invalid request body", UNPARSABLE_BODY) from None
    pending = [payload]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise GatewayError("BAD_REQUEST_BODY", "Invalid request body", UNPARSABLE_BODY) from None
    return payload


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


# The front door, before API Gateway reads a request. AWS publishes neither its wording nor how long it waits for a
# client, so these follow HTTP/1.1 (RFC 9112) with a JSON message that says what was wrong, always a 4xx: a request
# that cannot be read is the client's error. The payload bound is API Gateway's REST quota (10 MB), answered with
# its REQUEST_TOO_LARGE gateway response. https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
# How long a request may take to arrive from its first byte, and a kept-alive connection may idle.
CLIENT_TIMEOUT_SECONDS = 10.0
# After refusing a body it did not read, the server reads what is still coming for this long before closing, so
# the client gets the answer instead of a connection reset.
LINGER_SECONDS = 1.0
_MAX_LINE = 65536
# ASCII digits only: str.isdigit and int() also take other scripts' digits.
_LENGTH = re.compile(r"[0-9]{1,19}")
_CHUNK_SIZE = re.compile(r"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n")
_JSON = {"Content-Type": "application/json"}
_LOG = logging.getLogger(__name__)


class FramingError(Exception):
    """A request whose body cannot be read as HTTP/1.1 frames it; answered, then the connection closes.
    ``kind`` names the gateway response that answers it, if API Gateway has one."""

    def __init__(self, status: int, message: str, kind: str | None = None):
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind


class _DeadlineSocket(io.RawIOBase):
    """A client socket's bytes, no receive waiting past ``deadline`` (``time.monotonic()``): a client that sends
    slowly, or less than it announced, holds a thread no longer than the client timeout."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.deadline = math.inf

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the client did not send in time")
        self.sock.settimeout(remaining)
        return self.sock.recv_into(buffer)


class ApiServer:
    """A real HTTP server on 127.0.0.1 in front of a :class:`RestApi`, in a background thread.

    Every request gets an answer or, past ``client_timeout`` seconds of silence, a closed connection: a body is
    read up to its Content-Length (or its chunks) and MAX_PAYLOAD_BYTES, within ``client_timeout`` of the
    request's first byte; any method reaches the API (which answers one it does not define).
    """

    def __init__(
        self,
        api: RestApi,
        port: int = 0,
        extra: Callable[[str, str, dict[str, str], bytes], Response | None] | None = None,
        client_timeout: float = CLIENT_TIMEOUT_SECONDS,
    ):
        """``extra(method, path, headers, body)`` answers first (web pages, say); None passes to the API."""
        self.api = api
        self.client_timeout = client_timeout
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.rfile.close()
                self.reader = _DeadlineSocket(self.connection)
                self.buffered = io.BufferedReader(self.reader)
                self.rfile = self.buffered

            def handle_one_request(self) -> None:
                # http.server's, with every wait bounded and every method passed on: its own answer to a method
                # without a do_ handler is a 501 HTML page, where API Gateway and CloudFront answer a 403.
                self.command, self.request_version, self.requestline = "", "HTTP/0.9", ""
                self.reader.deadline = time.monotonic() + outer.client_timeout
                try:
                    if not self.buffered.peek(1):
                        self.close_connection = True
                        return
                except OSError:
                    # An idle kept-alive connection (or one the client dropped): closing it leaves nothing unanswered.
                    self.close_connection = True
                    return
                self.reader.deadline = time.monotonic() + outer.client_timeout
                try:
                    self.raw_requestline = self.rfile.readline(_MAX_LINE + 1)
                    if len(self.raw_requestline) > _MAX_LINE:
                        self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                        return
                    if not self.parse_request():
                        return
                    self._serve()
                except TimeoutError:
                    self._refuse(
                        FramingError(
                            408, f"Request Timeout: the request did not arrive within {outer.client_timeout:g} s"
                        )
                    )
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
                # What parse_request refuses (a malformed request line, too many or too long headers): JSON, as
                # the rest, and 400 for an HTTP version it does not speak (505 would blame the server).
                status = HTTPStatus(code) if code < 500 else HTTPStatus.BAD_REQUEST
                reason = f"{status.phrase}: {message}" if message and message != status.phrase else status.phrase
                self._refuse(FramingError(status, reason[:200]))

            def _serve(self) -> None:
                hosts = self.headers.get_all("Host") or []
                if len(hosts) > 1 or (not hosts and self.request_version == "HTTP/1.1"):
                    # RFC 9112, section 3.2: a 400 for an HTTP/1.1 request without exactly one Host.
                    self._refuse(FramingError(400, "Bad Request: an HTTP/1.1 request names its Host exactly once"))
                    return
                headers = dict(self.headers.items())
                try:
                    body = self._body()
                except FramingError as error:
                    self._refuse(error)
                    return
                try:
                    response = extra(self.command, self.path, headers, body) if extra else None
                    if response is None:
                        response = outer.api.handle(self.command, self.path, headers, body, self.client_address[0])
                except Exception:
                    # A fault of the emulator, not of the request: logged, and answered as API Gateway answers
                    # its own, rather than a dropped connection.
                    _LOG.exception("%s %s failed", self.command, self.path[:200])
                    response = Response(500, json.dumps({"message": "Internal server error"}), dict(_JSON))
                self._write(response)

            def _body(self) -> bytes:
                lengths = self.headers.get_all("Content-Length") or []
                codings = self.headers.get_all("Transfer-Encoding") or []
                if codings:
                    # RFC 9112, section 6.1: both at once is how requests are smuggled past a proxy.
                    if lengths:
                        raise FramingError(400, "Bad Request: Content-Length and Transfer-Encoding together")
                    if [c.strip().lower() for c in ",".join(codings).split(",")] != ["chunked"]:
                        raise FramingError(400, "Bad Request: the only transfer coding read is chunked")
                    return self._chunked()
                if not lengths:
                    return b""
                values = {value.strip() for value in lengths}
                if len(values) != 1 or not _LENGTH.fullmatch(next(iter(values))):
                    raise FramingError(400, "Bad Request: Content-Length must be one number of bytes (digits only)")
                length = int(values.pop())
                if length > MAX_PAYLOAD_BYTES:
                    raise FramingError(413, REQUEST_TOO_LARGE_MESSAGE, "REQUEST_TOO_LARGE")
                return self._exactly(length)

            def _exactly(self, length: int) -> bytes:
                chunks: list[bytes] = []
                remaining = length
                while remaining:
                    try:
                        chunk = self.rfile.read1(min(remaining, 1 << 16))
                    except TimeoutError:
                        raise FramingError(
                            408,
                            f"Request Timeout: {length - remaining} of the {length} bytes of the body arrived "
                            f"within {outer.client_timeout:g} s",
                        ) from None
                    if not chunk:
                        raise FramingError(
                            400, f"Bad Request: the body ended after {length - remaining} of its {length} bytes"
                        )
                    chunks.append(chunk)
                    remaining -= len(chunk)
                return b"".join(chunks)

            def _chunked(self) -> bytes:
                chunks: list[bytes] = []
                total = 0
                while True:
                    match = _CHUNK_SIZE.fullmatch(self.rfile.readline(_MAX_LINE + 1).decode("latin-1"))
                    if not match:
                        raise FramingError(400, "Bad Request: a chunk does not start with its size in hexadecimal")
                    size = int(match[1], 16)
                    if total + size > MAX_PAYLOAD_BYTES:
                        raise FramingError(413, REQUEST_TOO_LARGE_MESSAGE, "REQUEST_TOO_LARGE")
                    if size == 0:
                        break
                    chunks.append(self._exactly(size))
                    total += size
                    if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                        raise FramingError(400, "Bad Request: a chunk does not end where its size says")
                while True:  # trailer fields, ignored, up to the empty line
                    line = self.rfile.readline(_MAX_LINE + 1)
                    if line in (b"\r\n", b"\n"):
                        return b"".join(chunks)
                    if not line.endswith(b"\n"):
                        raise FramingError(400, "Bad Request: the chunked body does not end")

            def _refuse(self, error: FramingError) -> None:
                """Answer a request that was not (or not wholly) read, then close the connection."""
                if self.request_version not in ("HTTP/1.0", "HTTP/1.1"):
                    # Unread or unreadable (HTTP/2.0 over this socket, say): an answer with a status line all the same.
                    self.request_version = "HTTP/1.1"
                if error.kind is not None:
                    response = outer.api.refuse(
                        error.kind,
                        error.message,
                        self.command,
                        self.path,
                        dict(self.headers.items()),
                        self.client_address[0],
                    )
                else:
                    response = Response(error.status, json.dumps({"message": error.message}), dict(_JSON))
                try:
                    self._write(response, close=True)
                    # What the client still sends is read and dropped for a moment: closing a socket with unread
                    # bytes resets the connection, and the client would lose the answer.
                    self.connection.shutdown(socket.SHUT_WR)
                    self.reader.deadline = time.monotonic() + LINGER_SECONDS
                    while self.rfile.read1(1 << 16):
                        pass
                except OSError:
                    pass

            def _write(self, response: Response, *, close: bool = False) -> None:
                payload = response.body if isinstance(response.body, bytes) else response.body.encode("utf-8")
                # A client that does not read its answer holds the thread no longer than one that does not send.
                self.connection.settimeout(outer.client_timeout)
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                if close:
                    self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

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
