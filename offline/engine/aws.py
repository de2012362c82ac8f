"""What every service package shares: the error a real AWS call raises, and the small helpers that turn
Terraform's arguments into boto3's."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


def aws_error(service: str, operation: str, code: str, message: str, status: int = 400) -> ClientError:
    """The error a real AWS call raises: raise it from a handler."""
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": str(uuid.uuid4())},
        },
        operation,
    )


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", error))


def arn(cloud: OfflineCloud, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
    return f"arn:aws:{service}:{cloud.region if region else ''}:{cloud.account_id if account else ''}:{resource}"


def some(**values: Any) -> dict[str, Any]:
    """The keyword arguments that have a value: boto3 rejects None."""
    return {key: value for key, value in values.items() if value is not None}


def first(value: Any) -> dict[str, Any]:
    """A nested block: cdktf writes some as an object, some as a one-item list."""
    if isinstance(value, list):
        return value[0] if value else {}
    return value or {}
