"""Where moto 5.2.5's S3 stops short of AWS for this stack: bucket policy conditions.

moto evaluates bucket policies for object requests but treats a condition operator it does not know (Bool) as
satisfied, and passes no request context: the usual TLS-only statement (Deny s3:* when aws:SecureTransport is
"false") then denies every request. In IAM a statement applies only when its conditions hold, and a key missing from
the request context makes a condition false (unless ...IfExists). Every request to moto comes from boto3 over HTTPS,
so the context is aws:SecureTransport = true: :func:`bucket_policy_conditions`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from unittest import mock

S3_REQUEST_CONTEXT: Mapping[str, str] = {"aws:SecureTransport": "true"}


def _condition_holds(operator: str, expected: Any, actual: str | None) -> bool:
    if actual is None:
        return operator.endswith("IfExists")
    name = operator.removesuffix("IfExists")
    values = [
        str(value).lower() if isinstance(value, bool) else str(value)
        for value in ([expected] if isinstance(expected, str | bool) else expected)
    ]
    if name == "Bool":
        return actual.lower() in [value.lower() for value in values]
    if name in ("StringEquals", "ArnEquals"):
        return actual in values
    if name == "StringNotEquals":
        return actual not in values
    if name in ("StringLike", "ArnLike"):
        return any(re.fullmatch(re.escape(value).replace(r"\*", ".*").replace(r"\?", "."), actual) for value in values)
    # An operator not modelled here: the statement is taken not to apply, rather than to apply unconditionally.
    return False


def statement_applies(statement: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    """Whether every condition of a policy statement holds in ``context``."""
    return all(
        _condition_holds(operator, expected, context.get(key))
        for operator, block in statement.get("Condition", {}).items()
        for key, expected in block.items()
    )


@contextmanager
def bucket_policy_conditions() -> Iterator[None]:
    """For the block, bucket policies are evaluated with their conditions, for requests over HTTPS."""
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        statements = json.loads(self.policy)["Statement"]
        permitted = False
        for statement in statements if isinstance(statements, list) else [statements]:
            if not statement_applies(statement, S3_REQUEST_CONTEXT):
                continue
            unconditional = {key: value for key, value in statement.items() if key != "Condition"}
            result = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return result
            permitted = permitted or result == PermissionResult.PERMITTED
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    with mock.patch.object(FakeBucket, "get_permission", get_permission):
        yield
