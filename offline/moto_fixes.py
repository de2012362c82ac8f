"""Where moto 5.2.5 stops short of AWS for this system, make it behave as AWS does.

Each fix is small, names the AWS behaviour it restores, and has a test of its own
(tests/test_moto_fixes.py):

- aws-sdk service integrations pass the ASL's PascalCase parameter names to boto3 unchanged, so
  ``sfn:sendTaskSuccess`` with ``TaskToken`` fails. AWS accepts the API's member names in any case:
  names are matched case-insensitively against the operation's input shape.
- aws-sdk errors come out as ``<action>.<action>Exception``; AWS names them
  ``<Service>.<ErrorCode>`` (``Comprehend.ThrottlingException``), which is what Retry and Catch match.
- Services that moto lacks or answers with canned data (Translate; Comprehend's sentiment) are served
  by handlers the caller provides: ``(service, action) -> handler(parameters) -> response``. A handler
  raises :func:`aws_error` to fail the call the way AWS would.
- A definite JSONPath through an array index (``$.Languages[0].LanguageCode``) yields a one-item list
  in moto; AWS (Jayway JsonPath) yields the value. Only indefinite paths (wildcards, slices, filters,
  unions, deep scans) yield lists.
- SESv2 ``SendEmail`` with ``Content.Template`` raises NotImplementedError in moto. It is rendered with
  Handlebars (as SES does: values HTML-escaped in the HTML part) from the templates created with
  CreateTemplate, and recorded in the SES backend's ``sent_messages`` as a :class:`RenderedEmail`.

Two that change no behaviour, only speed (the offline load test runs thousands of executions):

- moto parses a state machine's definition (ANTLR) at every execution start; the parsed program is kept per
  definition text. Execution state lives in each execution's environment, never in the program.
- moto builds a new boto3 client for every Task call; one client per (service, region) is kept instead.

Two more, entered separately by :class:`offline.cloud.OfflineCloud` (tested in tests/test_offline_cloud.py):

- :func:`mock_integrations_importable`: ImportRestApi of a MOCK integration (no ``uri``) fails in moto; AWS takes it.
- :func:`bucket_policy_conditions`: moto treats a bucket-policy condition it cannot evaluate (``Bool``) as true, so
  a TLS-only Deny denies everything; statements now apply only when their conditions hold, over HTTPS.
"""

from __future__ import annotations

import importlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import botocore.session
import pybars
from botocore.exceptions import ClientError
from moto.ses.models import ses_backends
from moto.sesv2.responses import SESV2Response
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_aws_sdk
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)
from moto.stepfunctions.parser.asl.utils import json_path

Handler = Callable[[dict[str, Any]], dict[str, Any]]

# The service part of aws-sdk error names, as Step Functions spells it.
# https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
SERVICE_ERROR_PREFIX = {"comprehend": "Comprehend", "translate": "Translate", "sesv2": "SesV2", "sfn": "Sfn"}


def aws_error(service: str, operation: str, code: str, message: str, status: int = 400) -> ClientError:
    """The error a real AWS call raises: raise it from a handler."""
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": str(uuid.uuid4())},
        },
        operation,
    )


@dataclass
class RenderedEmail:
    """An SESv2 templated email as its recipients would read it."""

    id: str
    source: str
    destinations: dict[str, list[str]]
    template: str
    template_data: dict[str, Any]
    subject: str
    text: str
    html: str
    # When SES accepted it (epoch seconds): the latency benchmark measures to here.
    sent_at: float = field(default_factory=time.time)


# --- aws-sdk parameter names -------------------------------------------------------------------------

_session = botocore.session.get_session()


def _boto_service(service: str) -> str:
    return {"sfn": "stepfunctions", "states": "stepfunctions"}.get(service, service)


def match_input_shape(service: str, action: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Rename ``parameters`` to the operation's member names, matching case-insensitively, recursively."""
    model = _session.get_service_model(_boto_service(service))
    operation = model.operation_model(action[0].upper() + action[1:])
    return _rename(operation.input_shape, parameters)


def _rename(shape: Any, value: Any) -> Any:
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, Mapping):
        members = {name.lower(): (name, member) for name, member in shape.members.items()}
        renamed = {}
        for key, item in value.items():
            name, member = members.get(key.lower(), (key, None))
            renamed[name] = _rename(member, item)
        return renamed
    if shape.type_name == "list" and isinstance(value, list):
        return [_rename(shape.member, item) for item in value]
    if shape.type_name == "map" and isinstance(value, Mapping):
        return {key: _rename(shape.value, item) for key, item in value.items()}
    return value


# --- JSONPath ----------------------------------------------------------------------------------------

# Every moto module that imported extract_json by name, so each sees the fixed one.
_JSON_PATH_USERS = (
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.intrinsic.argument.argument",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.timestamp_operators",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.boolean_equals",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.numeric",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.string_operators",
    "moto.stepfunctions.parser.asl.eval.states",
)
_INDEFINITE = re.compile(r"\.\.|\[\s*\*\s*\]|\[[^\]]*[:,?][^\]]*\]|\.\*")
_original_extract_json = json_path.extract_json


def extract_json(path: str, data: Any) -> Any:
    """moto's extract_json, except that a definite path yields its single value, as in AWS."""
    value = _original_extract_json(path, data)
    if isinstance(value, list) and len(value) == 1 and not _INDEFINITE.search(path):
        matches = json_path.parse(path).find(data)
        if len(matches) == 1:
            return matches[0].value
    return value


# --- SESv2 templates ---------------------------------------------------------------------------------

_compiler = pybars.Compiler()
# pybars' compiler is not thread-safe (executions send emails from several threads): compile under a lock,
# once per template source; the compiled functions render concurrently.
_compiled: dict[str, Callable[[dict[str, Any]], Any]] = {}
_compile_lock = threading.Lock()


def _compile(source: str) -> Callable[[dict[str, Any]], Any]:
    with _compile_lock:
        if source not in _compiled:
            _compiled[source] = _compiler.compile(source)
        return _compiled[source]


# {{name}} but not {{{name}}}, {{#if}}, {{/if}} or {{else}}.
_PLAIN_MUSTACHE = re.compile(r"(?<!\{)\{\{\s*([A-Za-z_][\w.]*)\s*\}\}(?!\})")


def render_template(source: str, data: Mapping[str, Any], *, escape_html: bool) -> str:
    """Render an SES template. Only the HTML part escapes values; subject and text keep them as written."""
    if not escape_html:
        source = _PLAIN_MUSTACHE.sub(r"{{{\1}}}", source)
    missing = [
        name
        for name in _PLAIN_MUSTACHE.findall(source) + re.findall(r"\{\{\{\s*([\w.]+)\s*\}\}\}", source)
        if _lookup(data, name) is None
    ]
    if missing:
        # SES refuses to send (a RenderingFailure) when a template variable has no value.
        raise aws_error("sesv2", "SendEmail", "BadRequestException", f"Template data lacks {sorted(set(missing))}")
    return str(_compile(source)(dict(data)))


def _lookup(data: Mapping[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _send_templated_email(response: SESV2Response) -> str:
    params = json.loads(response.body)
    content = params.get("Content", {})
    if "Template" not in content:
        return _original_send_email(response)
    backend = ses_backends[response.current_account][response.region]
    source = params.get("FromEmailAddress", "")
    if not backend._is_verified_address(source):
        from moto.ses.exceptions import MessageRejectedError

        raise MessageRejectedError(f"Email address not verified {source}")
    template_name = content["Template"]["TemplateName"]
    template = backend.get_template(template_name)
    data = json.loads(content["Template"].get("TemplateData", "{}"))
    message = RenderedEmail(
        id=str(uuid.uuid4()),
        source=source,
        destinations={key: list(value) for key, value in params.get("Destination", {}).items()},
        template=template_name,
        template_data=data,
        subject=render_template(template["subject_part"], data, escape_html=False),
        text=render_template(template["text_part"], data, escape_html=False),
        html=render_template(template["html_part"], data, escape_html=True),
    )
    backend.sent_messages.append(message)
    backend.sent_message_count += sum(len(addresses) for addresses in message.destinations.values())
    return json.dumps({"MessageId": message.id})


_original_send_email = SESV2Response.send_email


def _send_email(self: SESV2Response) -> str:
    try:
        return _send_templated_email(self)
    except ClientError as error:
        from moto.core.exceptions import JsonRESTError

        raise JsonRESTError(error.response["Error"]["Code"], error.response["Error"]["Message"]) from error


# --- aws-sdk task evaluation -------------------------------------------------------------------------


def _error_name(service: str, error: ClientError) -> str:
    prefix = SERVICE_ERROR_PREFIX.get(service, service[0].upper() + service[1:])
    code = error.response["Error"]["Code"]
    return f"{prefix}.{code if code.endswith('Exception') else code + 'Exception'}"


class _RecordedWaits:
    """Stands in for the ``time`` module of moto's retrier: records each retry wait instead of sleeping."""

    def __init__(self, waits: list[float]):
        self.waits = waits

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


@contextmanager
def installed(
    handlers: Mapping[tuple[str, str], Handler] | None = None, retry_waits: list[float] | None = None
) -> Iterator[None]:
    """Apply every fix for the duration of the block; ``handlers`` serve (service, action) pairs.

    With ``retry_waits``, Retry intervals are appended to that list instead of being slept, so a test
    can check the backoff without waiting for it.
    """
    served = dict(handlers or {})

    def eval_service_task(
        self: StateTaskServiceAwsSdk,
        env: Any,
        resource_runtime_part: Any,
        normalised_parameters: dict,
        state_credentials: Any,
    ) -> None:
        service, action = self.resource.api_name, self.resource.api_action
        handler = served.get((service, action))
        if handler is not None:
            response = handler(dict(normalised_parameters))
        else:
            client = state_task_service_aws_sdk.boto_client_for(  # the cached one while installed
                service=self._get_boto_service_name(),
                region=resource_runtime_part.region,
                state_credentials=state_credentials,
            )
            renamed = match_input_shape(service, action, normalised_parameters)
            response = getattr(client, self._get_boto_service_action())(**renamed) or {}
        response = dict(response)
        response.pop("ResponseMetadata", None)
        env.stack.append(response)

    original_from_error = StateTaskServiceAwsSdk._from_error

    def from_error(self: StateTaskServiceAwsSdk, env: Any, ex: Exception) -> Any:
        if not isinstance(ex, ClientError):
            return original_from_error(self, env, ex)
        return self._get_task_failure_event(
            env=env, error=_error_name(self.resource.api_name, ex), cause=ex.response["Error"]["Message"]
        )

    with ExitStack() as stack:
        _install_speedups(stack)
        stack.enter_context(mock.patch.object(StateTaskServiceAwsSdk, "_eval_service_task", eval_service_task))
        stack.enter_context(mock.patch.object(StateTaskServiceAwsSdk, "_from_error", from_error))
        stack.enter_context(mock.patch.object(SESV2Response, "send_email", _send_email))
        for module in _JSON_PATH_USERS:
            stack.enter_context(mock.patch.object(importlib.import_module(module), "extract_json", extract_json))
        if retry_waits is not None:
            stack.enter_context(mock.patch.object(retrier_decl, "time", _RecordedWaits(retry_waits)))
        yield


# Every module of moto's interpreter that imported boto_client_for by name.
_BOTO_CLIENT_USERS = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_events",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sns",
)


def _install_speedups(stack: ExitStack) -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.utils import boto_client
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    programs: dict[str, Any] = {}
    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()
    make_client = boto_client.boto_client_for

    def entrypoint(self: ExecutionWorker) -> Any:
        definition = self._evaluation_details.state_machine_details.definition
        with lock:
            if definition not in programs:
                programs[definition] = AmazonStateLanguageParser.parse(definition)[0]
            return programs[definition]

    def cached_client(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            if (service, region) not in clients:
                clients[(service, region)] = make_client(
                    region=region, service=service, state_credentials=state_credentials
                )
            return clients[(service, region)]

    stack.enter_context(mock.patch.object(ExecutionWorker, "_get_evaluation_entrypoint", entrypoint))
    for module in _BOTO_CLIENT_USERS:
        stack.enter_context(mock.patch.object(importlib.import_module(module), "boto_client_for", cached_client))


# --- API Gateway: importing MOCK integrations (appended for offline/cloud.py) -------------------------
# ImportRestApi/PutRestApi of a document with a MOCK integration (no uri, no httpMethod: the CORS preflights)
# fails in moto with TypeError, as its put_integration requires both. AWS accepts a MOCK integration without them.


@contextmanager
def mock_integrations_importable() -> Iterator[None]:
    """For the block, ImportRestApi accepts integrations without ``uri``/``httpMethod``, as AWS does for MOCK."""
    from moto.apigateway.models import APIGatewayBackend

    original = APIGatewayBackend.put_integration

    def put_integration(
        self: APIGatewayBackend,
        function_id: str,
        resource_id: str,
        method_type: str,
        integration_type: str,
        uri: str | None = None,
        integration_method: str | None = None,
        **kwargs: Any,
    ) -> Any:
        return original(
            self, function_id, resource_id, method_type, integration_type, uri, integration_method, **kwargs
        )

    with mock.patch.object(APIGatewayBackend, "put_integration", put_integration):
        yield


# --- S3 bucket policy conditions (appended for offline/cloud.py) --------------------------------------
# moto evaluates bucket policies for object requests but treats a condition operator it does not know (Bool) as
# satisfied, and passes no request context: the usual TLS-only statement (Deny s3:* when aws:SecureTransport is
# "false") then denies every request. In IAM a statement applies only when its conditions hold, and a key missing
# from the request context makes a condition false (unless ...IfExists). Every request to moto comes from boto3 over
# HTTPS, so the context is aws:SecureTransport = true.

S3_REQUEST_CONTEXT: Mapping[str, str] = {"aws:SecureTransport": "true"}


def _condition_holds(operator: str, expected: Any, actual: str | None) -> bool:
    if actual is None:
        return operator.endswith("IfExists")
    name = operator.removesuffix("IfExists")
    values = [
        str(value).lower() if isinstance(value, bool) else str(value)
        for value in ([expected] if isinstance(expected, str | bool) else expected)
    ]
    if name == "Bool":
        return actual.lower() in [value.lower() for value in values]
    if name in ("StringEquals", "ArnEquals"):
        return actual in values
    if name == "StringNotEquals":
        return actual not in values
    if name in ("StringLike", "ArnLike"):
        return any(re.fullmatch(re.escape(value).replace(r"\*", ".*").replace(r"\?", "."), actual) for value in values)
    # An operator not modelled here: the statement is taken not to apply, rather than to apply unconditionally.
    return False


def statement_applies(statement: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    """Whether every condition of a policy statement holds in ``context``."""
    return all(
        _condition_holds(operator, expected, context.get(key))
        for operator, block in statement.get("Condition", {}).items()
        for key, expected in block.items()
    )


@contextmanager
def bucket_policy_conditions() -> Iterator[None]:
    """For the block, bucket policies are evaluated with their conditions, for requests over HTTPS."""
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        statements = json.loads(self.policy)["Statement"]
        permitted = False
        for statement in statements if isinstance(statements, list) else [statements]:
            if not statement_applies(statement, S3_REQUEST_CONTEXT):
                continue
            unconditional = {key: value for key, value in statement.items() if key != "Condition"}
            result = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return result
            permitted = permitted or result == PermissionResult.PERMITTED
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    with mock.patch.object(FakeBucket, "get_permission", get_permission):
        yield
