"""Where moto 5.2.5's Step Functions interpreter stops short of AWS for this system, make it behave as AWS does.

Each fix is small, names the AWS behaviour it restores, and has a test of its own (tests/test_offline_stepfunctions.py);
:func:`installed` applies them all for a block:

- aws-sdk service integrations pass the ASL's PascalCase parameter names to boto3 unchanged, so
  ``sfn:sendTaskSuccess`` with ``TaskToken`` fails. AWS accepts the API's member names in any case:
  names are matched case-insensitively against the operation's input shape.
- aws-sdk errors come out as ``<action>.<action>Exception``; AWS names them
  ``<Service>.<ErrorCode>`` (``Comprehend.ThrottlingException``), which is what Retry and Catch match.
- Services that moto lacks or answers with canned data (Translate; Comprehend's sentiment) are served
  by handlers the caller provides: ``(service, action) -> handler(parameters) -> response``. A handler
  raises :func:`offline.engine.aws.aws_error` to fail the call the way AWS would.
- A definite JSONPath through an array index (``$.Languages[0].LanguageCode``) yields a one-item list
  in moto; AWS (Jayway JsonPath) yields the value. Only indefinite paths (wildcards, slices, filters,
  unions, deep scans) yield lists.
- With ``retry_waits``, Retry intervals are recorded instead of slept.

Two that change no behaviour, only speed (the offline load test runs thousands of executions):

- moto parses a state machine's definition (ANTLR) at every execution start; the parsed program is kept per
  definition text. Execution state lives in each execution's environment, never in the program.
- moto builds a new boto3 client for every Task call; one client per (service, region) is kept instead.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

import botocore.session
from botocore.exceptions import ClientError
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
