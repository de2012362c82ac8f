"""Where moto 5.2.5's Step Functions interpreter stops short of AWS for this system, make it behave as AWS does.

Each fix is small, names the AWS behaviour it restores, and has a test of its own (tests/test_offline_stepfunctions.py);
:func:`installed` applies them all for a block:

- CreateStateMachine (and UpdateStateMachine) refuse a definition whose aws-sdk or optimized-integration Tasks
  AWS would refuse or that can never behave as written (:mod:`offline.stepfunctions.validation`): a member name not
  in the API reference's exact case, an unknown or missing member, a literal of the wrong type, an error name the
  integration never produces. moto accepts them all.
- aws-sdk service integrations pass the ASL's PascalCase parameter names to boto3 unchanged, so
  ``sfn:sendTaskSuccess`` with ``TaskToken`` fails: at run time names are mapped to boto3's members (matched
  case-insensitively; the exact case was checked at create).
- The answer of a camelCase API (Step Functions' own: ``status``, ``executionArn``) reaches the state in boto3's
  member names; AWS gives a Task the members in PascalCase (``$.Status``), as it takes its parameters, so they are
  renamed, and timestamps become ISO 8601 text (moto's interpreter cannot serialize a datetime). AWS's own format
  for timestamps in a Task result is not documented.
- aws-sdk errors come out as ``<action>.<action>Exception``; AWS names them ``<Prefix>.<Shape>Exception`` for an
  error the operation models (``Sfn.TaskTimedOutException``) and ``<Prefix>.<Prefix>Exception`` for any other code
  (a throttled Comprehend call: ``Comprehend.ComprehendException``), which is what Retry and Catch match.
- Services that moto lacks or answers with canned data (Translate; Comprehend's sentiment) are served
  by handlers the caller provides: ``(service, action) -> handler(parameters) -> response``. A handler
  raises :func:`offline.engine.aws.aws_error` to fail the call the way AWS would.
- A task token whose task has closed (timed out, or already answered, or its execution ended) is accepted by
  moto's SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat while the execution runs (and refused as an unknown
  ``InvalidToken`` after); AWS answers ``TaskTimedOut``: "The task token has either expired or the task associated
  with the token has already been closed." (botocore's SendTaskSuccess model).
- StopExecution of an execution that waits on a task token leaves it RUNNING in moto until the token is answered
  (its worker thread keeps waiting), and SendTaskSuccess on that token still succeeds. AWS stops it at once:
  DescribeExecution says ABORTED and the token's task is closed. The waiting task is woken as the stop is made.
- ``States.ALL`` catches and retries ``States.Runtime`` (a Parameters or ResultSelector path that finds nothing)
  and ``States.DataLimitExceeded`` in moto. AWS: "A retry or catch on States.ALL will not catch States.Runtime
  errors", which "will always cause the execution to fail", and States.DataLimitExceeded "can't be caught by the
  States.ALL error type" (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
- A definite JSONPath through an array index (``$.Languages[0].LanguageCode``) yields a one-item list
  in moto; AWS (Jayway JsonPath) yields the value. Only indefinite paths (wildcards, slices, filters,
  unions, deep scans) yield lists, and always do: moto unwraps a single match of ``$.items[*].review.text``.
- ``States.MathAdd`` adds integers of any size in moto. AWS: "You must specify integer values in the range of
  -2147483648 and 2147483647" (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html, Intrinsics
  for Math operations), which epoch seconds leave on 2038-01-19. An argument out of that range, after AWS's rounding of
  a non-integer, fails the state with ``States.Runtime`` and AWS's cause shape for a failed intrinsic ("The function
  '...' had the following error: ...", the state and event id before it). The page states no range for the sum; the
  emulator refuses a sum out of the range too, the stricter reading. The page names ``States.IntrinsicFailure`` for a
  failed intrinsic, while the failures AWS is seen to write are ``States.Runtime``; the emulator writes
  ``States.Runtime``, which no Retry or Catch matches, so a workflow that relies on catching it fails offline first.
- An ``EventBridge.FailedEntry``'s cause is the PutEvents response as JSON text, as AWS gives it; moto writes
  the Python repr of it, which States.StringToJson cannot read.
- With ``retry_waits``, Retry intervals are recorded instead of slept.

- moto sets an ending execution's status before its output (or error); a flag marks the whole ending, which a
  synchronous caller (StartSyncExecution, a pipe) waits for (:func:`offline.stepfunctions.executions.wait`).

The speedups, which change no answer, are entered with these (:mod:`offline.stepfunctions.speedups`).
"""

from __future__ import annotations

import importlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import datetime
from typing import Any
from unittest import mock

import botocore.session
from botocore.exceptions import ClientError
from moto.core.exceptions import AWSError
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.api import InvalidDefinition as MotoInvalidDefinition
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent, FailureEventException
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringIntrinsicFunction
from moto.stepfunctions.parser.asl.component.intrinsic.function.statesfunction.math_operations.math_add import MathAdd
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_aws_sdk
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_events import (
    SfnFailedEntryCountException,
    StateTaskServiceEvents,
)
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackConsumerTimeout
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from offline.stepfunctions import speedups, validation
from offline.stepfunctions.executions import running

Handler = Callable[[dict[str, Any]], dict[str, Any]]

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


def pascal_case_output(service: str, action: str, response: Mapping[str, Any]) -> dict[str, Any]:
    """The operation's answer with its members in PascalCase, recursively, and timestamps as ISO 8601 text."""
    model = _session.get_service_model(_boto_service(service))
    operation = model.operation_model(action[0].upper() + action[1:])
    result = _pascal(operation.output_shape, dict(response))
    return dict(result)


def _pascal(shape: Any, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, Mapping):
        return {key[:1].upper() + key[1:]: _pascal(shape.members.get(key), item) for key, item in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [_pascal(shape.member, item) for item in value]
    if shape.type_name == "map" and isinstance(value, Mapping):
        return {key: _pascal(shape.value, item) for key, item in value.items()}
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
    """moto's extract_json, except that a definite path yields its single value and an indefinite one always a list
    (empty when nothing matches), as in AWS (Jayway JsonPath); moto gives one match of ``$.a[*].b.c`` unwrapped."""
    if _INDEFINITE.search(path):
        return [match.value for match in json_path.parse(path).find(data)]
    value = _original_extract_json(path, data)
    if isinstance(value, list) and len(value) == 1 and not _INDEFINITE.search(path):
        matches = json_path.parse(path).find(data)
        if len(matches) == 1:
            return matches[0].value
    return value


# --- aws-sdk task evaluation -------------------------------------------------------------------------


def _error_name(service: str, action: str, error: ClientError) -> str:
    return validation.sdk_error_name(service, action[0].upper() + action[1:], error.response["Error"]["Code"])


# --- States.ALL ----------------------------------------------------------------------------------------------------

_NEVER_CAUGHT = "States.Runtime"
_NOT_CAUGHT_BY_ALL = "States.DataLimitExceeded"
_original_error_equals = ErrorEqualsDecl._eval_body


def _error_equals(self: ErrorEqualsDecl, env: Any) -> None:
    """moto's match of a Retrier's or Catcher's ErrorEquals, except for the two errors States.ALL does not match."""
    name = getattr(env.stack[-1], "error_name", None)
    if name == _NEVER_CAUGHT:
        env.stack.pop()
        env.stack.append(False)
    elif name == _NOT_CAUGHT_BY_ALL:
        env.stack.pop()
        env.stack.append(any(candidate.error_name == name for candidate in self.error_names))
    else:
        _original_error_equals(self, env)


# --- States.MathAdd -----------------------------------------------------------------------------------------------

# https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html (Intrinsics for Math operations)
MATH_ADD_RANGE = (-2147483648, 2147483647)


class IntrinsicArgumentError(ValueError):
    """An intrinsic function refused its arguments: the state fails with States.Runtime naming the function."""


def _math_add(self: MathAdd, env: Environment) -> None:
    """moto's sum (with its Java-like rounding of non-integers), refused outside AWS's 32-bit range."""
    self.argument_list.eval(env=env)
    arguments = [MathAdd._validate_integer_value(value) for value in env.stack.pop()]
    low, high = MATH_ADD_RANGE
    for position, value in enumerate(arguments, start=1):
        if not low <= value <= high:
            raise IntrinsicArgumentError(
                f"Argument {position} of States.MathAdd, {value}, is not an integer from {low} to {high}"
            )
    total = sum(arguments)
    if not low <= total <= high:
        raise IntrinsicArgumentError(f"The sum of States.MathAdd, {total}, is not an integer from {low} to {high}")
    env.stack.append(total)


_original_intrinsic = StringIntrinsicFunction._eval_body


def _intrinsic(self: StringIntrinsicFunction, env: Environment) -> None:
    """moto's evaluation of a field's intrinsic, failing the state as AWS does when a function refuses its arguments:
    the cause names the whole expression as written (moto puts the state and its event id before it)."""
    try:
        _original_intrinsic(self, env)
    except IntrinsicArgumentError as refused:
        error = StatesErrorNameType.StatesRuntime.to_name()
        cause = f"The function '{self.intrinsic_function_derivation}' had the following error: {refused}"
        # moto's EventDetails is a TypedDict of every kind of detail; an event carries one.
        details: Any = {"taskFailedEventDetails": TaskFailedEventDetails(error=error, cause=cause)}
        raise FailureEventException(
            failure_event=FailureEvent(
                env=env,
                error_name=StatesErrorName(typ=StatesErrorNameType.StatesRuntime),
                event_type=HistoryEventType.TaskFailed,
                event_details=details,
            )
        ) from refused


# --- CreateStateMachine ------------------------------------------------------------------------------------------


class InvalidDefinition(AWSError):
    # moto's own InvalidDefinition (a LocalStack ServiceException) reaches boto3 with an empty error code.
    TYPE = "InvalidDefinition"


_original_validate_definition = StepFunctionsParserBackend._validate_definition


def _validate_definition(definition: str) -> None:
    """moto's check (the definition parses), then AWS's checks of its integration Tasks.

    AWS documents the wording "The field X is not supported by Step Functions" for a member name it does not accept
    (https://docs.aws.amazon.com/step-functions/latest/dg/connect-parameters.html) but not whether it refuses at
    CreateStateMachine or when the Task runs; the emulator refuses at create, the earlier and stricter point, with
    the InvalidDefinition shape AWS uses for its create-time schema checks. AWS accepts any error name in Retry and
    Catch (one that is never produced just never matches); the emulator refuses those too, so that a retry that
    cannot fire fails a test instead of a production incident.
    """
    try:
        _original_validate_definition(definition=definition)
    except MotoInvalidDefinition as refused:
        raise InvalidDefinition(refused.message) from refused
    try:
        parsed = json.loads(definition)
    except ValueError:
        return  # moto's parser accepted it: JSON with extensions this checker does not read
    found = validation.problems(parsed) if isinstance(parsed, dict) else []
    if found:
        raise InvalidDefinition(validation.refusal(found))


# --- task tokens ---------------------------------------------------------------------------------------------------


class TaskTimedOut(AWSError):
    TYPE = "TaskTimedOut"


def _closed(backend: StepFunctionsParserBackend, token: str) -> bool:
    """Whether ``token`` was issued to a task that no longer waits for it."""
    for machine in backend.state_machines:
        for execution in list(machine.executions):
            env = getattr(getattr(execution, "exec_worker", None), "env", None)
            endpoint = env.callback_pool_manager.get(token) if env is not None else None
            if endpoint is not None:
                return endpoint.consumer_error is not None or not running(execution)
    return False


def _refusing_closed_tasks(send: Callable[..., Any]) -> Callable[..., Any]:
    def checked(self: StepFunctionsParserBackend, task_token: str, *args: Any, **kwargs: Any) -> Any:
        if _closed(self, task_token):
            raise TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")
        return send(self, task_token, *args, **kwargs)

    return checked


_original_wait_for_task_token = StateTaskServiceCallback._eval_wait_for_task_token


# The endpoints each frame's tasks wait on. A task's TimeoutSeconds is kept by moto's state, in another thread
# than the wait: on a timeout it ends the task's frame and writes TaskTimedOut to the history while the wait may
# still be blocked (it has its own, later, deadline). So ending a frame closes its waits' tokens too.
_WAITS: dict[int, list[Any]] = {}
_WAITS_LOCK = threading.Lock()


def _wait_for_task_token(self: StateTaskServiceCallback, *args: Any, **kwargs: Any) -> Any:
    """moto's wait, after which the task is closed whatever ended it: its token answers TaskTimedOut. Closed before
    the wait's outcome (a timeout raises) reaches the history, so nobody who reads TaskTimedOut there can still
    answer the token; a timeout the state keeps closes it when it ends the frame (:func:`_set_ended`)."""
    env = kwargs.get("env", args[0] if args else None)
    endpoint = kwargs.get("callback_endpoint", args[2] if len(args) > 2 else None)
    if env is not None and endpoint is not None:
        with _WAITS_LOCK:
            _WAITS.setdefault(id(env), []).append(endpoint)
    try:
        return _original_wait_for_task_token(self, *args, **kwargs)
    finally:
        if endpoint is not None:
            endpoint.report(CallbackConsumerTimeout())
        if env is not None:
            with _WAITS_LOCK:
                waits = _WAITS.get(id(env), [])
                if endpoint in waits:
                    waits.remove(endpoint)
                if not waits:
                    _WAITS.pop(id(env), None)


_original_set_ended = Environment.set_ended


def _set_ended(self: Environment) -> None:
    """moto's, then the tokens of the tasks still waiting in this frame (and, through moto's recursion, its inner
    frames) are closed before the caller writes the timeout to the history."""
    _original_set_ended(self)
    with _WAITS_LOCK:
        waits = _WAITS.pop(id(self), [])
    for endpoint in waits:
        if endpoint.consumer_error is None:
            endpoint.report(CallbackConsumerTimeout())


_original_stop_execution = StepFunctionsParserBackend.stop_execution


def _stop_execution(self: StepFunctionsParserBackend, execution_arn: str) -> Any:
    """moto's stop, then the stopped execution's waiting tasks are woken, so that it ends ABORTED now and its tokens
    answer TaskTimedOut, as on AWS."""
    stopped = _original_stop_execution(self, execution_arn)
    env = getattr(getattr(stopped, "exec_worker", None), "env", None)
    for endpoint in list(env.callback_pool_manager._pool.values()) if env is not None else ():
        endpoint.interrupt_all()
    deadline = time.monotonic() + 5
    while running(stopped) and time.monotonic() < deadline:
        time.sleep(0.01)
    return stopped


_original_set_error = Environment.set_error


def _set_error(self: Environment, error: Any) -> None:
    """moto's, except that a stopped program stays stopped: the woken task's error comes after the stop."""
    if isinstance(self._program_state, ProgramStopped):
        return
    _original_set_error(self, error)


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
            response = pascal_case_output(service, action, response)
        response = dict(response)
        response.pop("ResponseMetadata", None)
        env.stack.append(response)

    original_from_error = StateTaskServiceAwsSdk._from_error

    def from_error(self: StateTaskServiceAwsSdk, env: Any, ex: Exception) -> Any:
        if not isinstance(ex, ClientError):
            return original_from_error(self, env, ex)
        return self._get_task_failure_event(
            env=env,
            error=_error_name(self.resource.api_name, self.resource.api_action, ex),
            cause=ex.response["Error"]["Message"],
        )

    with ExitStack() as stack:
        stack.enter_context(speedups.installed())
        stack.enter_context(mock.patch.object(BaseExecutionWorkerCommunication, "terminated", _terminated))
        stack.enter_context(mock.patch.object(StateTaskServiceAwsSdk, "_eval_service_task", eval_service_task))
        stack.enter_context(mock.patch.object(StateTaskServiceAwsSdk, "_from_error", from_error))
        stack.enter_context(
            mock.patch.object(StepFunctionsParserBackend, "_validate_definition", staticmethod(_validate_definition))
        )
        stack.enter_context(mock.patch.object(ErrorEqualsDecl, "_eval_body", _error_equals))
        stack.enter_context(mock.patch.object(MathAdd, "_eval_body", _math_add))
        stack.enter_context(mock.patch.object(StringIntrinsicFunction, "_eval_body", _intrinsic))
        for send in ("send_task_success", "send_task_failure", "send_task_heartbeat"):
            original = getattr(StepFunctionsParserBackend, send)
            stack.enter_context(mock.patch.object(StepFunctionsParserBackend, send, _refusing_closed_tasks(original)))
        stack.enter_context(
            mock.patch.object(StateTaskServiceCallback, "_eval_wait_for_task_token", _wait_for_task_token)
        )
        stack.enter_context(mock.patch.object(StepFunctionsParserBackend, "stop_execution", _stop_execution))
        stack.enter_context(mock.patch.object(Environment, "set_error", _set_error))
        stack.enter_context(mock.patch.object(Environment, "set_ended", _set_ended))
        stack.enter_context(
            mock.patch.object(
                StateTaskServiceEvents, "_from_error", _failed_entry_cause_as_json(StateTaskServiceEvents._from_error)
            )
        )
        for module in _JSON_PATH_USERS:
            stack.enter_context(mock.patch.object(importlib.import_module(module), "extract_json", extract_json))
        if retry_waits is not None:
            stack.enter_context(mock.patch.object(retrier_decl, "time", _RecordedWaits(retry_waits)))
        yield


_original_terminated = BaseExecutionWorkerCommunication.terminated


def _terminated(self: BaseExecutionWorkerCommunication) -> None:
    """moto marks an execution SUCCEEDED before it sets the output (FAILED before the error): a caller that waits
    for the status can read an execution half-ended. The flag says that all of it is there
    (:func:`offline.stepfunctions.executions.wait`)."""
    _original_terminated(self)
    self.execution.offline_ended = True  # type: ignore[attr-defined]  # ours, on moto's Execution


def _failed_entry_cause_as_json(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto records an EventBridge.FailedEntry's cause as the Python repr of the PutEvents response; AWS's cause is
    the response as JSON text, so that a Catch can read which entry failed (States.StringToJson): LocalStack's
    AWS-validated tests record it so (localstack/localstack#11991)."""

    def from_error(self: StateTaskServiceEvents, env: Any, ex: Exception) -> Any:
        if isinstance(ex, SfnFailedEntryCountException) and not isinstance(ex.cause, str):
            ex.cause = json.dumps(ex.cause, separators=(",", ":"))  # type: ignore[misc,assignment]  # moto: Final dict
        return original(self, env, ex)

    return from_error
