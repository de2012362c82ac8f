"""Helpers every construct shares: project paths, data files, placeholder substitution, IAM documents."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ASL_DIR = ROOT / "asl"
CONTRACTS_DIR = ROOT / "contracts"
EVENT_SCHEMA_DIR = CONTRACTS_DIR / "events"
API_DIR = CONTRACTS_DIR / "api"
EMAIL_DIR = CONTRACTS_DIR / "email"

# Only ${PascalCase} is a placeholder. ASL paths ($.x, $$.Task.Token) and VTL ($input) never match,
# and unlike string.Template nothing else in the document is rewritten.
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")


class SubstitutionError(ValueError):
    """A document names a placeholder nobody provides, or a provided value is never used."""


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def substitute(document: Any, values: Mapping[str, Any], *, source: str) -> Any:
    """Return ``document`` with every ``${Name}`` in its string values replaced by ``values[Name]``.

    Works on the parsed document, so a value holding quotes, newlines or a Terraform token can never
    break the JSON around it. A string that is exactly one placeholder takes the value as is (a number
    for ``TimeoutSeconds``, say). Fails on an unknown placeholder, a non-PascalCase ``${...}`` and on a
    value that the document never uses.
    """
    for name in values:
        if not _PASCAL.match(name):
            raise SubstitutionError(f"{source}: substitution name {name!r} is not PascalCase")
    used: set[str] = set()

    def replace_in(text: str) -> Any:
        whole = _PLACEHOLDER.fullmatch(text)
        if whole:
            name = _check(whole.group(1))
            used.add(name)
            return values[name]

        def one(match: re.Match[str]) -> str:
            name = _check(match.group(1))
            used.add(name)
            value = values[name]
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise SubstitutionError(f"{source}: ${{{name}}} sits inside text, so its value must be a string")
            return str(value)

        return _PLACEHOLDER.sub(one, text)

    def _check(name: str) -> str:
        if not _PASCAL.match(name):
            raise SubstitutionError(f"{source}: '${{{name}}}' is not a ${{PascalCase}} placeholder")
        if name not in values:
            raise SubstitutionError(f"{source}: placeholder ${{{name}}} has no value; provided: {sorted(values)}")
        return name

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return replace_in(node)
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        return node

    result = walk(document)
    unused = sorted(set(values) - used)
    if unused:
        raise SubstitutionError(f"{source}: values provided but never used: {unused}")
    return result


def placeholders(document: Any) -> set[str]:
    """Every placeholder name a document uses."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, str):
            found.update(_PLACEHOLDER.findall(node))
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)

    walk(document)
    return found


def load_asl(workflow: str, values: Mapping[str, Any]) -> str:
    """The definition of ``asl/<workflow>.asl.json`` with its placeholders filled, as JSON text."""
    path = ASL_DIR / f"{workflow}.asl.json"
    return json.dumps(substitute(load_json(path), values, source=f"asl/{path.name}"), indent=2)


def statement(sid: str, actions: Sequence[str], resources: Sequence[str], **extra: Any) -> dict[str, Any]:
    """One IAM Allow statement; ``extra`` adds keys such as Condition."""
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": list(resources), **extra}


def policy_document(statements: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


def deny_insecure_transport(action: str, resources: str | Sequence[str]) -> dict[str, Any]:
    """The statement that refuses every request not made over TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": action,
        "Resource": resources,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def trust_policy(service: str, account_id: str, source_arn: str | None = None) -> str:
    """A role trust policy for exactly one service principal, guarded against the confused deputy."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return policy_document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        ]
    )


def event_catalogue() -> list[dict[str, Any]]:
    """Every event of the system: source, detail-type, schema file stem, producer, consumers."""
    catalogue: list[dict[str, Any]] = load_json(EVENT_SCHEMA_DIR / "catalogue.json")
    return catalogue


def event_schema(stem: str) -> dict[str, Any]:
    """A self-contained JSON Schema (draft 4) of one event, with the shared definitions embedded."""
    schema: dict[str, Any] = load_json(EVENT_SCHEMA_DIR / f"{stem}.schema.json")
    return {**schema, "definitions": load_json(EVENT_SCHEMA_DIR / "definitions.json")}


def table_key_statement(key_arn: str, region: str) -> dict[str, Any]:
    """What a caller of a table encrypted with a customer key needs of the key, and only through DynamoDB.
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html"""
    return statement(
        "UseTableKeyThroughDynamoDB",
        ["kms:Decrypt", "kms:GenerateDataKey"],
        [key_arn],
        Condition={"StringEquals": {"kms:ViaService": f"dynamodb.{region}.amazonaws.com"}},
    )
