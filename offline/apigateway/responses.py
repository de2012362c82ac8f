"""API Gateway's own answers: request validation messages in its wording, and gateway responses rendered as it
renders them.

Gateway response templates are not VTL: "the customization is rendered in a non-VTL mapping template supporting
only simple variable substitutions" of ``$context.*``, ``$stageVariables.*`` and ``method.request.*`` values, with
no ``$util`` and no escaping, so a value holding a double quote lands in the body as it is.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html

The validation message (``$context.error.validationErrorString``) comes from the JSON Schema validator API Gateway
runs (java-json-tools), whose wording is copied here for the keywords the models use, each error joined with ", "
inside one ``[...]``: ``[object has missing required properties (["text"])]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, cast

import jsonschema

_VARIABLE = re.compile(r"\$(context|stageVariables)((?:\.[A-Za-z0-9_-]+)+)|\bmethod\.request\.(\w+)\.([\w-]+)")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _quoted(values: Iterable[Any]) -> str:
    return json.dumps(sorted(values), separators=(",", ":"))


def validation_message(error: jsonschema.ValidationError) -> str:
    """One validation error in API Gateway's (java-json-tools') wording."""
    # jsonschema types these as "unset or anything"; an error always has them.
    keyword, instance, expected = str(error.validator), cast(Any, error.instance), cast(Any, error.validator_value)
    if keyword == "required":
        present = instance if isinstance(instance, dict) else {}
        missing = [name for name in expected if name not in present]
        return f"object has missing required properties ({_quoted(missing)})"
    if keyword == "type":
        allowed = expected if isinstance(expected, list) else [expected]
        return (
            f"instance type ({_json_type(instance)}) does not match any allowed primitive type "
            f"(allowed: {_quoted(allowed)})"
        )
    if keyword == "maxLength":
        return f"string {json.dumps(instance)} is too long (length: {len(instance)}, maximum allowed: {expected})"
    if keyword == "minLength":
        return f"string {json.dumps(instance)} is too short (length: {len(instance)}, required minimum: {expected})"
    if keyword == "pattern":
        return f"ECMA 262 regex {json.dumps(expected)} does not match input string {json.dumps(instance)}"
    if keyword == "enum":
        return f"instance value ({json.dumps(instance)}) not found in enum (possible values: {json.dumps(expected)})"
    if keyword == "additionalProperties":
        schema = cast(Mapping[str, Any], error.schema)
        extra = sorted(set(instance) - set(schema.get("properties", {})))
        return f"object instance has properties which are not allowed by the schema: {_quoted(extra)}"
    if keyword == "maximum":
        return f"numeric instance is greater than the required maximum (maximum: {expected}, found: {instance})"
    if keyword == "minimum":
        return f"numeric instance is lower than the required minimum (minimum: {expected}, found: {instance})"
    if keyword == "format":
        return f"string {json.dumps(instance)} is invalid against requested date format(s) {expected}"
    return str(error.message)


def validation_error_string(errors: Iterable[jsonschema.ValidationError]) -> str:
    return "[" + ", ".join(validation_message(error) for error in errors) + "]"


def render_gateway_template(
    template: str, *, context: Mapping[str, Any], stage_variables: Mapping[str, str], method_request: Mapping[str, Any]
) -> str:
    """``template`` with each variable replaced by its value as text, unknown ones by nothing, as AWS does."""

    def value(match: re.Match[str]) -> str:
        if match.group(1) == "stageVariables":
            return str(stage_variables.get(match.group(2)[1:], ""))
        if match.group(1) == "context":
            found: Any = context
            for part in match.group(2)[1:].split("."):
                found = found.get(part, "") if isinstance(found, Mapping) else ""
            return "" if isinstance(found, Mapping) else str(found)
        return str(method_request.get(match.group(3), {}).get(match.group(4), ""))

    return _VARIABLE.sub(value, template)
