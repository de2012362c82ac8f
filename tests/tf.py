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


def sample_platform(account_id: str = "123456789012"):
    """The Platform a construct gets when built alone in a test (no synthesis, literal values)."""
    from modules.security import Platform

    return Platform(
        account_id=account_id,
        region="eu-west-1",
        partition="aws",
        prefix="reviews-test",
        key_arn=f"arn:aws:kms:eu-west-1:{account_id}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        log_retention_days=30,
        operator_role_arn=f"arn:aws:iam::{account_id}:role/reviews-test-security-operator",
    )


def bare_stack(name: str = "bare"):
    """An empty stack of a throwaway app, to construct one construct in; cheap, never synthesized."""
    from cdktf import TerraformStack, Testing

    return TerraformStack(Testing.app(), name)


def synth(stack: Any) -> dict[str, Any]:
    """The Terraform JSON of one small stack (a building block constructed alone), parsed."""
    import cdktf  # the bindings load only in tests that build constructs

    return dict(json.loads(cdktf.Testing.synth(stack)))


def resolved(stack: Any, value: Any) -> Any:
    """``value`` with its tokens replaced by the Terraform references they stand for."""
    from cdktf import DefaultTokenResolver, StringConcat, Tokenization

    return Tokenization.resolve(value, scope=stack, preparing=False, resolver=DefaultTokenResolver(StringConcat()))
