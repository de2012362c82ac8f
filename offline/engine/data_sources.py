"""The AWS provider's data sources the stacks read: the caller's identity, the partition and the region."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offline.engine.registry import handles
from offline.engine.terraform import Resource

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("data.aws_caller_identity")
def _caller_identity(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    identity = cloud.client("sts").get_caller_identity()
    return {
        "account_id": identity["Account"],
        "arn": identity["Arn"],
        "user_id": identity["UserId"],
        "id": identity["Account"],
    }


@handles("data.aws_partition")
def _partition(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    return {"partition": "aws", "dns_suffix": "amazonaws.com", "reverse_dns_prefix": "com.amazonaws", "id": "aws"}


@handles("data.aws_region")
def _region(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": cloud.region,
        "region": cloud.region,
        "id": cloud.region,
        "endpoint": f"ec2.{cloud.region}.amazonaws.com",
    }
