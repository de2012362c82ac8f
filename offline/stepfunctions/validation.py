"""What Step Functions accepts in a Task, checked against AWS's own machine-readable API definitions (botocore's
service models): one checker for the project-wide conformance test (tests/test_conformance.py) and for the emulator's
CreateStateMachine (:func:`offline.stepfunctions.fixes.installed`). It is one module of ~530 lines on purpose: the
three checks below walk the same shapes and the same definition, and a checker split across files could let the
test and the emulator drift apart.

For every ``aws-sdk`` Task and every optimized integration this module knows (:data:`OPTIMIZED`):

- Parameters: every member name (``.$`` stripped) is a member of the operation's input shape in the API reference's
  exact case ("Parameters in Step Functions are expressed in PascalCase, even if the native service API is in
  camelCase", https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html), recursively through
  literal objects and lists; required members are present; literal values have the shape's type.
- ResultSelector, and the Choice/Pass states that read a Task's raw result through its ResultPath: every path names
  members of the operation's output shape, in exact case.
- Retry/Catch ``ErrorEquals``: ``States.*`` names are ones Step Functions defines; any other name is one the
  integration can produce (:func:`produced_errors`).

A :class:`Problem` names the state, where in the definition, what is wrong and what AWS expects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session
from botocore.exceptions import UnknownServiceError
from botocore.model import ListShape, MapShape, OperationModel, OperationNotFoundError, Shape, StructureShape

# https://states-language.net/spec.html#appendix-a plus those the Step Functions guide adds (States.Runtime,
# States.DataLimitExceeded, States.QueryEvaluationError):
# https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
STATES_ERRORS = frozenset(
    {
        "States.ALL",
        "States.DataLimitExceeded",
        "States.ExceedToleratedFailureThreshold",
        "States.HeartbeatTimeout",
        "States.Http.Socket",
        "States.IntrinsicFailure",
        "States.ItemReaderFailed",
        "States.NoChoiceMatched",
        "States.ParameterPathFailure",
        "States.Permissions",
        "States.QueryEvaluationError",
        "States.ResultPathMatchFailure",
        "States.ResultWriterFailed",
        "States.Runtime",
        "States.TaskFailed",
        "States.Timeout",
        "States.BranchFailed",
    }
)

# The "Exception prefix" column of https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
# for the services this system calls; the aws-sdk DynamoDB prefix differs from the optimized integration's (DynamoDB).
SERVICE_ERROR_PREFIX = {
    "comprehend": "Comprehend",
    "translate": "Translate",
    "sesv2": "SesV2",
    "sfn": "Sfn",
    "dynamodb": "DynamoDb",
    "eventbridge": "EventBridge",
}

# aws-sdk service names that are not botocore's.
_BOTOCORE_NAMES = {"sfn": "stepfunctions", "states": "stepfunctions", "eventbridge": "events"}


@dataclass(frozen=True)
class Optimized:
    """An optimized integration: the API call it makes, and the error names it produces."""

    service: str
    operation: str
    errors: str  # "dynamodb", "eventbridge" or "sqs": see produced_errors


OPTIMIZED = {
    "dynamodb:putItem": Optimized("dynamodb", "PutItem", "dynamodb"),
    "dynamodb:getItem": Optimized("dynamodb", "GetItem", "dynamodb"),
    "dynamodb:updateItem": Optimized("dynamodb", "UpdateItem", "dynamodb"),
    "dynamodb:deleteItem": Optimized("dynamodb", "DeleteItem", "dynamodb"),
    "events:putEvents": Optimized("events", "PutEvents", "eventbridge"),
    "sqs:sendMessage": Optimized("sqs", "SendMessage", "sqs"),
}

# The optimized events:putEvents integration takes Detail as a JSON object and serialises it itself.
# https://docs.aws.amazon.com/step-functions/latest/dg/connect-eventbridge.html
_OBJECT_AS_STRING = {("events", "PutEvents"): {"Detail"}}

_ARN = re.compile(r"^arn:aws[a-z-]*:states:::(?P<sdk>aws-sdk:)?(?P<service>[a-z0-9-]+):(?P<action>[A-Za-z0-9]+)")
_SUFFIX = re.compile(r"\.(waitForTaskToken|sync(:2)?)$")
_PATH_TOKEN = re.compile(r"\.([^.\[]+)|\[\s*(\d+|\*|'[^']*')\s*\]")
_EMBEDDED_PATH = re.compile(r"(?<![$\w])\$(?:\.[A-Za-z0-9_-]+|\[\d+\])+")


@dataclass(frozen=True)
class Problem:
    """One thing AWS would refuse or never do. ``where`` is a JSON pointer into the definition, as AWS reports it."""

    state: str
    where: str
    message: str
    expected: str

    def __str__(self) -> str:
        return f"{self.message} at {self.where} (AWS expects {self.expected})"


@dataclass(frozen=True)
class Integration:
    """What a Task's Resource calls."""

    resource: str
    service: str  # botocore's name
    operation: str
    sdk_service: str | None  # the aws-sdk service name; None for an optimized integration
    optimized: Optimized | None
    callback: bool  # .waitForTaskToken: the result is what SendTaskSuccess sends, not the API's output

    @property
    def model(self) -> OperationModel:
        return _operation(self.service, self.operation)


@cache
def _operation(service: str, operation: str) -> OperationModel:
    return _session().get_service_model(service).operation_model(operation)


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


def integration(resource: Any) -> Integration | None:
    """The integration a Task's Resource names, or None for one this module does not check (Lambda, activities...)."""
    if not isinstance(resource, str):
        return None
    match = _ARN.match(resource)
    if match is None:
        return None
    service, action = match["service"], match["action"]
    callback = _SUFFIX.search(resource) is not None and resource.endswith(".waitForTaskToken")
    if match["sdk"]:
        return Integration(
            resource,
            _BOTOCORE_NAMES.get(service, service),
            action[0].upper() + action[1:],
            service,
            None,
            callback,
        )
    optimized = OPTIMIZED.get(f"{service}:{action}")
    if optimized is None:
        return None
    return Integration(resource, optimized.service, optimized.operation, None, optimized, callback)


def error_prefix(sdk_service: str) -> str:
    return SERVICE_ERROR_PREFIX.get(sdk_service, sdk_service[0].upper() + sdk_service[1:])


def _with_suffix(name: str) -> str:
    # "always add the Exception suffix to potential error names in AWS Step Functions integrations. Do this even if
    # the suffix isn't already part of the service-provided error name." (supported-services-awssdk page)
    return name if name.endswith("Exception") else name + "Exception"


def _error_codes(model: OperationModel) -> dict[str, str]:
    """The operation's modelled error codes, each mapped to its shape's name."""
    codes = {}
    for shape in model.error_shapes:
        codes[shape.name] = shape.name
        code = shape.metadata.get("error", {}).get("code")
        if code:
            codes[code] = shape.name
    return codes


def sdk_error_name(sdk_service: str, operation: str, code: str) -> str:
    """The Error an aws-sdk Task fails with when the call answers ``code``: ``<Prefix>.<Shape>Exception`` for an error
    the operation models, else the SDK's base exception ``<Prefix>.<Prefix>Exception`` (no AWS page states the
    fallback in words; LocalStack's snapshot-tested aws-sdk task does this, and the names are the Java SDK v2 base
    classes, e.g. ``software.amazon.awssdk.services.comprehend.model.ComprehendException``)."""
    prefix = error_prefix(sdk_service)
    try:
        shape = _error_codes(_operation(_BOTOCORE_NAMES.get(sdk_service, sdk_service), operation)).get(code)
    except (UnknownServiceError, OperationNotFoundError):
        shape = None
    return f"{prefix}.{_with_suffix(shape) if shape else prefix + 'Exception'}"


def produced_errors(task: Integration) -> frozenset[str]:
    """Every non-``States.*`` error name the integration can fail with."""
    shapes = [shape.name for shape in task.model.error_shapes]
    if task.sdk_service is not None:
        prefix = error_prefix(task.sdk_service)
        return frozenset({f"{prefix}.{_with_suffix(name)}" for name in shapes} | {f"{prefix}.{prefix}Exception"})
    assert task.optimized is not None
    if task.optimized.errors == "sqs":
        # The optimized SQS integration's error names are not documented
        # (https://docs.aws.amazon.com/step-functions/latest/dg/connect-sqs.html): none is accepted, so a Retry on
        # it names States.TaskFailed, which matches whatever name AWS gives.
        return frozenset()
    if task.optimized.errors == "eventbridge":
        # "If it [FailedEntryCount] is greater than zero, Step Functions fails the state with the error
        # EventBridge.FailedEntry." https://docs.aws.amazon.com/step-functions/latest/dg/connect-eventbridge.html
        return frozenset({"EventBridge.FailedEntry"})
    # DynamoDB.<code>: whether the Exception suffix is added to a code without it (InternalServerError,
    # RequestLimitExceeded) is not documented, so both are accepted; DynamoDB.AmazonDynamoDBException is the catch-all
    # AWS's own sample retries (https://docs.aws.amazon.com/step-functions/latest/dg/synchronous-execution.html).
    names = {f"DynamoDB.{name}" for name in shapes} | {f"DynamoDB.{_with_suffix(name)}" for name in shapes}
    return frozenset(names | {"DynamoDB.AmazonDynamoDBException"})


# --- walking a definition ------------------------------------------------------------------------------------------


def _states(definition: Mapping[str, Any], where: str = "") -> Iterator[tuple[str, str, dict[str, Any], dict]]:
    """(name, pointer, state, its States) for every state, nested Parallel branches and Map processors included."""
    states = definition.get("States")
    if not isinstance(states, Mapping):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        pointer = f"{where}/States/{name}"
        yield name, pointer, state, dict(states)
        for index, branch in enumerate(state.get("Branches") or []):
            if isinstance(branch, Mapping):
                yield from _states(branch, f"{pointer}/Branches/{index}")
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), Mapping):
                yield from _states(state[key], f"{pointer}/{key}")


def problems(definition: Mapping[str, Any]) -> list[Problem]:
    """Everything in ``definition``'s integration Tasks that AWS refuses, or that can never happen on AWS."""
    found: list[Problem] = []
    for name, pointer, state, siblings in _states(definition):
        if state.get("Type") != "Task":
            continue
        task = integration(state.get("Resource"))
        if task is None:
            continue
        try:
            model = task.model
        except (UnknownServiceError, OperationNotFoundError):
            found.append(
                Problem(
                    name,
                    f"{pointer}/Resource",
                    f'The resource "{task.resource}" is not supported by Step Functions',
                    f"an operation of a service AWS models ({task.service} {task.operation} is not one)",
                )
            )
            continue
        parameters = state.get("Parameters")
        if isinstance(parameters, Mapping):
            found += _check_structure(name, f"{pointer}/Parameters", task, model.input_shape, parameters)
        elif parameters is None and model.input_shape is not None:
            found += _missing(name, pointer, model.input_shape, set(), task)
        if not task.callback:
            found += _check_reads(name, pointer, state, siblings, task)
        found += _check_errors(name, pointer, state, task)
    return found


def refusal(found: list[Problem]) -> str:
    """AWS's InvalidDefinition message for ``found``, e.g. ``Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED:
    The field "Textt" is not supported by Step Functions at /States/DetectSentiment/Parameters'``."""
    return "Invalid State Machine Definition: '{}'".format(
        ", ".join(f"SCHEMA_VALIDATION_FAILED: {problem.message} at {problem.where}" for problem in found)
    )


# --- Parameters ----------------------------------------------------------------------------------------------------

_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "blob": (str,),
    "timestamp": (str, int, float),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "boolean": (bool,),
    "list": (list,),
    "structure": (dict,),
    "map": (dict,),
}
_TYPE_WORDS = {"structure": "an object", "map": "an object", "list": "an array", "boolean": "a boolean"}


def _type_word(shape: Shape) -> str:
    if shape.type_name in ("integer", "long"):
        return "an integer"
    if shape.type_name in ("float", "double"):
        return "a number"
    return _TYPE_WORDS.get(shape.type_name, "a string")


def _check_structure(
    state: str, where: str, task: Integration, shape: Shape | None, value: Mapping[str, Any]
) -> list[Problem]:
    found: list[Problem] = []
    members = _members(shape, task)
    by_lower = {member.lower(): member for member in members}
    given = set()
    for key, item in value.items():
        dynamic = key.endswith(".$")
        member = key[:-2] if dynamic else key
        given.add(member)
        if member not in members:
            exact = by_lower.get(member.lower())
            expected = (
                f'"{exact}", in the API reference\'s exact case'
                if exact
                else f"one of the members of {shape.name if shape else 'nothing'}: {', '.join(members) or 'none'}"
            )
            found.append(Problem(state, where, f'The field "{member}" is not supported by Step Functions', expected))
            continue
        if not dynamic:
            found += _check_value(state, f"{where}/{member}", task, member, members[member], item)
    if shape is not None:
        found += _missing(state, where, shape, given, task)
    return found


def _members(shape: Shape | None, task: Integration) -> dict[str, Shape]:
    """The member names Step Functions accepts and returns: the API's, in PascalCase for an aws-sdk Task
    ("Parameters in Step Functions are expressed in PascalCase, even if the native service API is in camelCase",
    https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html)."""
    if not isinstance(shape, StructureShape):
        return {}
    if task.sdk_service is None:
        return dict(shape.members)
    return {_pascal(name): member for name, member in shape.members.items()}


def _pascal(name: str) -> str:
    return name[0].upper() + name[1:]


def _missing(state: str, where: str, shape: Shape, given: set[str], task: Integration) -> list[Problem]:
    pascal = _pascal if task.sdk_service is not None else str
    required = [pascal(name) for name in getattr(shape, "required_members", [])]
    return [
        Problem(
            state,
            where,
            f'The field "{member}" is required by {shape.name}',
            f'"{member}" as a literal or as "{member}.$"',
        )
        for member in required
        if member not in given
    ]


def _check_value(state: str, where: str, task: Integration, name: str, shape: Shape, value: Any) -> list[Problem]:
    if isinstance(value, dict) and name in _OBJECT_AS_STRING.get((task.service, task.operation), set()):
        return []
    accepted = _PYTHON_TYPES.get(shape.type_name, (object,))
    if not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted):
        return [
            Problem(
                state,
                where,
                f'The value of the field "{name}" must be {_type_word(shape)}',
                f"{shape.name} ({shape.type_name}), got {type(value).__name__} {value!r}",
            )
        ]
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        return _check_structure(state, where, task, shape, value)
    found: list[Problem] = []
    if isinstance(shape, ListShape) and isinstance(value, list):
        for index, item in enumerate(value):
            found += _check_value(state, f"{where}/{index}", task, name, shape.member, item)
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        for key, item in value.items():
            if not key.endswith(".$"):
                found += _check_value(state, f"{where}/{key}", task, key, shape.value, item)
    return found


# --- reads of the result -------------------------------------------------------------------------------------------


def _paths(value: Any) -> Iterator[str]:
    """The ``$.``-paths a Parameters/ResultSelector template reads (``.$`` values, intrinsic arguments included)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key.endswith(".$") and isinstance(item, str):
                yield from (path for path in _EMBEDDED_PATH.findall(item))
                if item == "$":
                    yield item
            else:
                yield from _paths(item)
    elif isinstance(value, list):
        for item in value:
            yield from _paths(item)


def _unknown_step(shape: Shape | None, path: str, task: Integration) -> tuple[str, str] | None:
    """The first step of ``path`` (from ``$``) that the shape does not have, with what it has instead."""
    for name, index in _PATH_TOKEN.findall(path[1:]):
        if index.startswith("'"):
            name, index = index.strip("'"), ""
        step = name or index
        if name and isinstance(shape, StructureShape):
            members = _members(shape, task)
            if name not in members:
                exact = next((member for member in members if member.lower() == name.lower()), None)
                return step, f'"{exact}", exact case' if exact else f"a member of {shape.name}: {', '.join(members)}"
            shape = members[name]
        elif name and isinstance(shape, MapShape):
            shape = shape.value
        elif index and isinstance(shape, ListShape):
            shape = shape.member
        elif shape is not None and shape.type_name in ("structure", "map", "list"):
            return step, f"{'an index' if shape.type_name == 'list' else 'a member name'} into {shape.name}"
        else:
            return step, f"nothing: the path goes past {shape.name if shape is not None else 'the result'}"
    return None


def _read_problem(state: str, where: str, path: str, task: Integration, inside: str) -> Problem | None:
    output = task.model.output_shape
    unknown = _unknown_step(output, path, task)
    if unknown is None:
        return None
    step, expected = unknown
    return Problem(
        state,
        where,
        f'The path "{path}" reads "{step}", which {inside} does not have',
        expected,
    )


def _check_reads(
    state: str, pointer: str, definition: dict[str, Any], siblings: dict, task: Integration
) -> list[Problem]:
    found: list[Problem] = []
    output_name = task.model.output_shape.name if task.model.output_shape is not None else "an empty result"
    selector = definition.get("ResultSelector")
    if isinstance(selector, Mapping):
        for path in _paths(selector):
            problem = _read_problem(state, f"{pointer}/ResultSelector", path, task, output_name)
            if problem is not None:
                found.append(problem)
        return found
    result_path = definition.get("ResultPath", "$")
    if not isinstance(result_path, str):
        return found
    # The raw result is read by the Choice and Pass states that follow, until a state that may overwrite it.
    for reader, reader_state in _followers(definition, siblings):
        reads = list(_paths(reader_state.get("Parameters")))
        reads += [c["Variable"] for c in _choices(reader_state.get("Choices")) if isinstance(c.get("Variable"), str)]
        for path in reads:
            rest = _under(path, result_path)
            if rest is not None:
                problem = _read_problem(reader, f"{pointer[: pointer.rfind('/')]}/{reader}", rest, task, output_name)
                if problem is not None:
                    found.append(problem)
    return found


def _choices(choices: Any) -> Iterator[dict[str, Any]]:
    for choice in choices or []:
        if isinstance(choice, dict):
            yield choice
            for key in ("And", "Or"):
                yield from _choices(choice.get(key))
            if isinstance(choice.get("Not"), dict):
                yield from _choices([choice["Not"]])


def _under(path: str, result_path: str) -> str | None:
    """``path`` relative to ``result_path`` as a ``$``-path, or None when it reads elsewhere."""
    if result_path == "$":
        return path
    if path == result_path:
        return "$"
    if path.startswith(result_path) and path[len(result_path)] in ".[":
        return "$" + path[len(result_path) :]
    return None


def _followers(state: dict[str, Any], siblings: dict) -> Iterator[tuple[str, dict[str, Any]]]:
    seen: set[str] = set()
    pending = [state.get("Next")]
    while pending:
        name = pending.pop()
        if not isinstance(name, str) or name in seen or not isinstance(siblings.get(name), dict):
            continue
        seen.add(name)
        follower = siblings[name]
        if follower.get("Type") not in ("Choice", "Pass"):
            continue
        yield name, follower
        if follower.get("Type") == "Pass" and follower.get("ResultPath", "$") != "$":
            pending.append(follower.get("Next"))
        pending += [choice.get("Next") for choice in _choices(follower.get("Choices"))]
        pending.append(follower.get("Default"))


# --- error names ---------------------------------------------------------------------------------------------------


def _check_errors(state: str, pointer: str, definition: dict[str, Any], task: Integration) -> list[Problem]:
    found: list[Problem] = []
    produced = produced_errors(task)
    for field in ("Retry", "Catch"):
        for index, rule in enumerate(definition.get(field) or []):
            names = rule.get("ErrorEquals") if isinstance(rule, Mapping) else None
            for name in names or []:
                if not isinstance(name, str) or name in produced:
                    continue
                if name.startswith("States."):
                    if name not in STATES_ERRORS:
                        found.append(
                            Problem(
                                state,
                                f"{pointer}/{field}/{index}/ErrorEquals",
                                f'"{name}" is not an error name Step Functions defines',
                                f"one of {', '.join(sorted(STATES_ERRORS))}",
                            )
                        )
                    continue
                found.append(
                    Problem(
                        state,
                        f"{pointer}/{field}/{index}/ErrorEquals",
                        f'The error "{name}" is never produced by {task.resource}',
                        f"States.* or one of {', '.join(sorted(produced))}",
                    )
                )
    return found
