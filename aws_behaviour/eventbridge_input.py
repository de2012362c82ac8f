"""What an EventBridge rule target receives instead of the event, as the target says (Input, InputPath or
InputTransformer): the emulator's first delivery (offline/events/delivery.py) and the operator's redrive of a dead
letter (ops/dlq.py) both make it here, so a redriven event reaches its target exactly as EventBridge first sent it.

https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html says what the predefined
variables are and that EventBridge "doesn't escape values extracted by Input Path"; what it leaves open is taken from
the outputs AWS gave LocalStack's AWS-validated tests (github.com/localstack/localstack,
tests/aws/services/events/test_events_inputs.snapshot.json, last validated against AWS 2025-10-08):

- outside a JSON string, a placeholder becomes its value as JSON, and a path that selects nothing ``""``;
- inside a JSON string (``"users/<id>"``), a string goes in as its text, not escaped; a number or boolean as its JSON
  text; a path that selects nothing, or null, as nothing; an object or array as its JSON with every quote removed
  (``{id:r-1,stars:5}``, ``[a,b]``) in a text template, while in a JSON template (one surrounded by curly braces)
  EventBridge delivers nothing;
- ``<aws.events.event>`` (the envelope without ``detail``, its ``detail-type`` named ``detailType`` as AWS gives it)
  and ``<aws.events.event.json>`` (the whole event) "can only be used as a value for a JSON field, as its contents are
  not escaped" (the page): inside a string they go in as raw JSON;
- a JSON template whose result is not JSON (a quote in an inserted text, raw JSON inside a string) is not delivered.

What EventBridge would not deliver raises :class:`Undeliverable`. ``<aws.events.event.ingestion-time>`` is the event's
``time``: a dead letter does not keep when EventBridge first received its event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
# The JSONPath InputPathsMap and InputPath take: dot notation and array indices (names with dashes, underscores,
# slashes); EventBridge also takes wildcards, whose result the page does not define, so they are refused here.
_PATH = re.compile(r"\$(?:\.[^.\[\]*]+|\[\d+\])*")
_STEP = re.compile(r"\.([^.\[\]*]+)|\[(\d+)\]")


class Undeliverable(ValueError):
    """The target's input cannot be made from this event: EventBridge delivers nothing to the target."""


def select(path: str, event: Any) -> tuple[bool, Any]:
    """``(True, value)`` for what ``path`` selects in ``event``, ``(False, None)`` when it selects nothing."""
    if "*" in path:
        raise ValueError(f"input path {path!r}: wildcards are not modelled (only $.a.b and $.a[0])")
    if not _PATH.fullmatch(path):
        raise ValueError(f"input path {path!r} is not a JSONPath EventBridge takes ($.a.b, $.a[0])")
    value = event
    for key, index in _STEP.findall(path[1:]):
        if key and isinstance(value, Mapping) and key in value:
            value = value[key]
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return False, None
    return True, value


def target_input(target: Mapping[str, Any], event: Mapping[str, Any], *, rule_arn: str) -> str:
    """The text the target of the rule ``rule_arn`` receives for ``event``."""
    if "Input" in target:
        return str(target["Input"])
    if "InputPath" in target:
        return json.dumps(select(target["InputPath"], event)[1])
    transformer = target.get("InputTransformer")
    if transformer is None:
        return json.dumps(event)
    return transform(transformer, event, rule_arn=rule_arn)


def transform(transformer: Mapping[str, Any], event: Mapping[str, Any], *, rule_arn: str) -> str:
    """EventBridge's InputTransformer: ``InputTemplate`` with each ``<name>`` replaced (see the module docstring)."""
    template: str = transformer["InputTemplate"]
    json_template = template.strip().startswith("{")
    values = {name: select(path, event) for name, path in (transformer.get("InputPathsMap") or {}).items()}
    # Reserved names: PutTargets refuses them as InputPathsMap keys.
    reserved: dict[str, Any] = {
        "aws.events.rule-arn": rule_arn,
        # arn:aws:events:<region>:<account>:rule/<bus>/<name>, or rule/<name> on the default bus
        "aws.events.rule-name": rule_arn.rsplit("/", 1)[-1],
        "aws.events.event.ingestion-time": event.get("time"),
        "aws.events.event": {
            ("detailType" if key == "detail-type" else key): value for key, value in event.items() if key != "detail"
        },
        "aws.events.event.json": event,
    }
    output: list[str] = []
    in_string, index = False, 0
    while index < len(template):
        match = _PLACEHOLDER.match(template, index)
        name = match.group(1) if match else ""
        if match and name in reserved:
            value = reserved[name]
            output.append(value if in_string and isinstance(value, str) else json.dumps(value))
            index = match.end()
        elif match and name in values:
            output.append(_placed(name, *values[name], in_string=in_string, json_template=json_template))
            index = match.end()
        else:
            char = template[index]
            if char == '"' and (index == 0 or template[index - 1] != "\\"):
                in_string = not in_string
            output.append(char)
            index += 1
    text = "".join(output)
    if json_template:
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            raise Undeliverable(
                f"the InputTemplate gives invalid JSON for event {event.get('id')} ({error.msg} at character "
                f"{error.pos}): an inserted text with a quote or backslash, or raw JSON inside a string"
            ) from None
    return text


def _placed(name: str, found: bool, value: Any, *, in_string: bool, json_template: bool) -> str:
    if not in_string:
        return json.dumps(value) if found else '""'
    if not found or value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | list):
        if json_template:
            raise Undeliverable(
                f"<{name}> selects a JSON {'object' if isinstance(value, Mapping) else 'array'} and stands inside a "
                "string of a JSON InputTemplate: place it outside quotes"
            )
        return json.dumps(value, separators=(",", ":")).replace('"', "")
    return json.dumps(value)
