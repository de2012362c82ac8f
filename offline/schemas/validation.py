"""The schema registry offline: moto has no ``schemas`` service, so the schemas the stack registers are kept here, and
every event put on a bus is validated (JSON Schema draft 4) against the schema named ``<source>@<detail-type>``; an
event that fails it, or has no schema, is recorded as a :class:`SchemaViolation`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jsonschema


@dataclass(frozen=True)
class SchemaViolation:
    """An event put on a bus that its registered schema rejects (or that has no schema)."""

    event_id: str
    schema: str
    errors: tuple[str, ...]
    event: dict[str, Any] = field(repr=False)


class SchemaRegistry:
    """Exposes ``schemas`` (by ``source@DetailType``) and ``violations``; :meth:`validate` checks one event."""

    def __init__(self) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}
        self.violations: list[SchemaViolation] = []

    def register(self, name: str, content: dict[str, Any]) -> None:
        jsonschema.Draft4Validator.check_schema(content)
        self.schemas[name] = content

    def validate(self, event: dict[str, Any]) -> None:
        name = f"{event['source']}@{event['detail-type']}"
        schema = self.schemas.get(name)
        if schema is None:
            self.violations.append(SchemaViolation(event["id"], name, ("no schema registered",), event))
            return
        errors = tuple(
            f"{'/'.join(str(step) for step in error.absolute_path) or '(event)'}: {error.message}"
            for error in jsonschema.Draft4Validator(schema).iter_errors(event)
        )
        if errors:
            self.violations.append(SchemaViolation(event["id"], name, errors, event))
