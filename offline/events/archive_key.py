"""Whether a customer managed key lets EventBridge encrypt an archive, read from the key's policy.

moto's CreateArchive drops ``KmsKeyIdentifier``; AWS needs the key policy to give ``events.amazonaws.com``
kms:DescribeKey, then kms:GenerateDataKey, kms:Decrypt and kms:ReEncrypt* under the encryption context
``aws:events:event-bus:arn`` = the source bus
(https://docs.aws.amazon.com/eventbridge/latest/userguide/encryption-archives.html). The emulator refuses the archive
when a statement it needs is missing. AWS documents no error for this (CreateArchive's model lists none about keys),
nor whether it refuses at creation or later, when it first archives an event; the emulator refuses at creation, the
earlier and stricter point, as the access denial every AWS API can answer.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from typing import Any

EVENTS = "events.amazonaws.com"
CONTEXT_KEY = "kms:EncryptionContext:aws:events:event-bus:arn"
# Each action EventBridge performs with an archive's key, with the encryption context it sends (None: none).
ARCHIVE_USES: tuple[tuple[str, bool], ...] = (
    ("kms:DescribeKey", False),
    ("kms:GenerateDataKey", True),
    ("kms:Decrypt", True),
    ("kms:ReEncryptFrom", True),
    ("kms:ReEncryptTo", True),
)
_STRING_TESTS = {
    "StringEquals": lambda value, wanted: value == wanted,
    "StringLike": lambda value, wanted: fnmatch.fnmatchcase(value, wanted),
    "ArnEquals": lambda value, wanted: value == wanted,
    "ArnLike": lambda value, wanted: fnmatch.fnmatchcase(value, wanted),
}


def refused_uses(policy: str, *, bus_arn: str, account_id: str) -> list[str]:
    """The archive uses (``ARCHIVE_USES`` actions) the key policy does not allow EventBridge for ``bus_arn``."""
    statements = json.loads(policy).get("Statement", [])
    refused = []
    for action, with_context in ARCHIVE_USES:
        values = {"aws:SourceAccount": account_id}
        if with_context:
            values[CONTEXT_KEY] = bus_arn
        allowed = any(_applies(s, action, values) for s in statements if s.get("Effect") == "Allow")
        denied = any(_applies(s, action, values) for s in statements if s.get("Effect") == "Deny")
        if denied or not allowed:
            refused.append(action)
    return refused


def _applies(statement: Mapping[str, Any], action: str, values: Mapping[str, str]) -> bool:
    principal = statement.get("Principal")
    services = principal.get("Service", []) if isinstance(principal, Mapping) else principal
    if principal != "*" and EVENTS not in _listed(services):
        return False
    if not any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in _listed(statement.get("Action"))):
        return False
    return all(
        _condition_holds(operator, key, wanted, values)
        for operator, tests in statement.get("Condition", {}).items()
        for key, wanted in tests.items()
    )


def _condition_holds(operator: str, key: str, wanted: str | Sequence[str], values: Mapping[str, str]) -> bool:
    # A condition on a key the request does not carry, or an operator not modelled here, does not hold: the
    # emulator never grants what it cannot confirm.
    test = _STRING_TESTS.get(operator)
    value = values.get(key)
    if test is None or value is None:
        return False
    return any(test(value, one) for one in _listed(wanted))


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
