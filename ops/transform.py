"""What an EventBridge target receives instead of the event, as the rule's target says (Input, InputPath or
InputTransformer), so a dead letter is delivered again exactly as EventBridge would have delivered it.
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html

Paths are the simple JSONPath EventBridge's InputPathsMap takes (``$.detail.metadata.idempotency-key``,
``$.resources[0]``): a path that selects nothing gives ``null`` outside a string and nothing inside one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def select(path: str, event: Any) -> tuple[bool, Any]:
    if not path.startswith("$"):
        raise ValueError(f"input path {path!r} does not start with $")
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
    """The text the target receives for ``event``."""
    if "Input" in target:
        return str(target["Input"])
    if "InputPath" in target:
        return json.dumps(select(target["InputPath"], event)[1])
    transformer = target.get("InputTransformer")
    if transformer is None:
        return json.dumps(event)
    values = {name: select(path, event) for name, path in transformer.get("InputPathsMap", {}).items()}
    reserved = {
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_arn.rsplit("/", 1)[-1],
        "aws.events.event.ingestion-time": event.get("time"),
        "aws.events.event": {key: value for key, value in event.items() if key != "detail"},
        "aws.events.event.json": event,
    }
    template: str = transformer["InputTemplate"]
    output: list[str] = []
    in_string, index = False, 0
    while index < len(template):
        match = _PLACEHOLDER.match(template, index)
        name = match.group(1) if match else ""
        if match and (name in values or name in reserved):
            found, value = values[name] if name in values else (True, reserved[name])
            output.append(_placed(found, value, in_string))
            index = match.end()
            continue
        char = template[index]
        if char == '"' and (index == 0 or template[index - 1] != "\\"):
            in_string = not in_string
        output.append(char)
        index += 1
    return "".join(output)


def _placed(found: bool, value: Any, in_string: bool) -> str:
    if in_string:
        if not found or value is None:
            return ""
        return json.dumps(value if isinstance(value, str) else json.dumps(value))[1:-1]
    return json.dumps(value) if found else "null"
