"""moto Step Functions speedups that change no answer (the offline load runs thousands of executions).

- moto parses a state machine's definition (ANTLR) at every execution start; the parsed program is kept per
  definition text. Execution state lives in each execution's environment, never in the program.
- moto builds a new boto3 client for every Task call; one client per (service, region) is kept instead.
- moto parses every JSONPath (jsonpath-ng, a PLY grammar: about 0.6 ms) each time a state reads or writes one;
  each path text is parsed once (a parsed path is only read: find, update_or_create).
- moto keeps a state machine's executions in a list and finds one by walking it: DescribeExecution by ARN, and
  StartExecution by name (an execution of the same name is the same request again, or ExecutionAlreadyExists). A
  5,000-review burst starts 5,000 executions of accept-review, so each API request walked thousands of them (a
  sampled run spent a seventh of the process in that walk). Both are answered from an index kept alongside each
  list. moto only appends to that list, so the index adds the new tail on each lookup, and is built anew if the
  list was ever shortened.

:func:`installed` is entered by :func:`offline.stepfunctions.fixes.installed`.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from moto.stepfunctions.exceptions import ExecutionAlreadyExists, ExecutionDoesNotExist
from moto.stepfunctions.models import StateMachine, StepFunctionBackend
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import boto_client, json_path
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

# Every module of moto's interpreter that imported boto_client_for by name.
_BOTO_CLIENT_USERS = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_events",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sns",
)


@dataclass
class _Indexed:
    executions: list[Any]  # held, so that its id is not reused while it is indexed
    by_arn: dict[str, Any] = field(default_factory=dict)
    first_by_name: dict[str, Any] = field(default_factory=dict)
    seen: int = 0


class ExecutionIndex:
    """The executions of each list moto keeps, by ARN and by name (the first of that name, as moto's walk finds)."""

    def __init__(self) -> None:
        self._lists: dict[int, _Indexed] = {}
        self._lock = threading.Lock()

    def _current(self, executions: list[Any]) -> _Indexed:
        with self._lock:
            indexed = self._lists.get(id(executions))
            if indexed is None or indexed.executions is not executions or len(executions) < indexed.seen:
                indexed = self._lists[id(executions)] = _Indexed(executions)
            for execution in executions[indexed.seen :]:
                indexed.by_arn[execution.execution_arn] = execution
                indexed.first_by_name.setdefault(execution.name, execution)
            indexed.seen = len(executions)
            return indexed

    def by_arn(self, executions: list[Any], arn: str) -> Any | None:
        return self._current(executions).by_arn.get(arn)

    def by_name(self, executions: list[Any], name: str) -> Any | None:
        return self._current(executions).first_by_name.get(name)


def _parsed_once(stack: ExitStack) -> None:
    programs: dict[str, Any] = {}
    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()
    make_client = boto_client.boto_client_for

    def entrypoint(self: ExecutionWorker) -> Any:
        definition = self._evaluation_details.state_machine_details.definition
        if definition in programs:  # the lock only for a first parse, which is slow (ANTLR)
            return programs[definition]
        with lock:
            if definition not in programs:
                programs[definition] = AmazonStateLanguageParser.parse(definition)[0]
            return programs[definition]

    def cached_client(region: str, service: str, state_credentials: Any = None) -> Any:
        if (service, region) in clients:
            return clients[(service, region)]
        with lock:
            if (service, region) not in clients:
                clients[(service, region)] = make_client(
                    region=region, service=service, state_credentials=state_credentials
                )
            return clients[(service, region)]

    stack.enter_context(mock.patch.object(ExecutionWorker, "_get_evaluation_entrypoint", entrypoint))
    stack.enter_context(mock.patch.object(json_path, "parse", functools.lru_cache(maxsize=4096)(json_path.parse)))
    stack.enter_context(mock.patch.object(result_path, "parse", functools.lru_cache(maxsize=4096)(result_path.parse)))
    for module in _BOTO_CLIENT_USERS:
        stack.enter_context(mock.patch.object(importlib.import_module(module), "boto_client_for", cached_client))


@contextmanager
def installed() -> Iterator[ExecutionIndex]:
    index = ExecutionIndex()

    def describe_execution(self: StepFunctionBackend, execution_arn: str) -> Any:
        self._validate_execution_arn(execution_arn)
        state_machine = self._get_state_machine_for_execution(execution_arn)
        execution = index.by_arn(state_machine.executions, execution_arn)
        if execution is None:
            raise ExecutionDoesNotExist("Execution Does Not Exist: '" + execution_arn + "'")
        return execution

    def handle_name_input_idempotency(self: StateMachine, name: str, execution_input: str) -> Any | None:
        execution = index.by_name(self.executions, name)
        if execution is None:
            return None
        # The same name and input while it runs is the same request again; anything else is refused, as moto does.
        if execution_input == execution.execution_input and execution.status == "RUNNING":
            return execution
        raise ExecutionAlreadyExists("Execution Already Exists: '" + execution.execution_arn + "'")

    with ExitStack() as stack:
        _parsed_once(stack)
        stack.enter_context(mock.patch.object(StepFunctionBackend, "describe_execution", describe_execution))
        stack.enter_context(
            mock.patch.object(StateMachine, "_handle_name_input_idempotency", handle_name_input_idempotency)
        )
        yield index
