"""Building blocks for data at rest, so every log group and table gets the same secure defaults:
the platform's customer key, the platform's retention, point-in-time recovery, deletion protection."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTableGlobalSecondaryIndex,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
    DynamodbTableTtl,
)
from constructs import Construct

from modules.security import Platform


def log_group(scope: Construct, id: str, *, platform: Platform, name: str) -> CloudwatchLogGroup:
    """A log group encrypted with the platform key, kept for the platform's retention."""
    return CloudwatchLogGroup(
        scope, id, name=name, retention_in_days=platform.log_retention_days, kms_key_id=platform.key_arn
    )


def table(
    scope: Construct,
    id: str,
    *,
    platform: Platform,
    name: str,
    hash_key: str,
    key_attributes: Sequence[str] = (),
    ttl_attribute: str | None = None,
    indexes: Sequence[DynamodbTableGlobalSecondaryIndex] = (),
) -> DynamodbTable:
    """An on-demand table keyed by the string ``hash_key``; ``key_attributes`` are the (string) keys of
    ``indexes``. Encrypted with the platform key, point-in-time recovery on, protected from deletion."""
    return DynamodbTable(
        scope,
        id,
        name=name,
        billing_mode="PAY_PER_REQUEST",
        hash_key=hash_key,
        attribute=[DynamodbTableAttribute(name=key, type="S") for key in (hash_key, *key_attributes)],
        global_secondary_index=list(indexes) or None,
        ttl=DynamodbTableTtl(attribute_name=ttl_attribute, enabled=True) if ttl_attribute else None,
        point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
        server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=platform.key_arn),
        deletion_protection_enabled=True,
    )
