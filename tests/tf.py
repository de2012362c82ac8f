"""Reading synthesized Terraform JSON in tests."""

from __future__ import annotations

import json
import re
from typing import Any

_REF = re.compile(r"\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}")


def resources(stack: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """All resources of one Terraform type, by logical name."""
    return stack.get("resource", {}).get(kind, {})


def only(stack: dict[str, Any], kind: str, name_contains: str) -> tuple[str, dict[str, Any]]:
    """The single resource of ``kind`` whose logical name contains ``name_contains``."""
    matches = [(name, body) for name, body in resources(stack, kind).items() if name_contains in name]
    assert len(matches) == 1, f"expected one {kind} matching {name_contains!r}, found {[m[0] for m in matches]}"
    return matches[0]


def ref(kind: str, name: str, attribute: str) -> str:
    return "${" + f"{kind}.{name}.{attribute}" + "}"


def references(value: str) -> list[tuple[str, str, str]]:
    """The (type, name, attribute) of every Terraform reference in a string."""
    return _REF.findall(value)


def decoded(body: dict[str, Any], attribute: str) -> Any:
    return json.loads(body[attribute])
