"""KMS's resources: keys and aliases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offline.engine.aws import arn, some
from offline.engine.registry import handles
from offline.engine.terraform import Resource

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_kms_key", inert="keys exist; encryption with them is recorded, never enforced")
def _kms_key(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    kms = cloud.client("kms")
    metadata = kms.create_key(
        **some(
            Description=config.get("description"),
            Policy=config.get("policy"),
            KeyUsage=config.get("key_usage"),
            KeySpec=config.get("customer_master_key_spec"),
        )
    )["KeyMetadata"]
    if config.get("enable_key_rotation"):
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
    return {"arn": metadata["Arn"], "key_id": metadata["KeyId"], "id": metadata["KeyId"]}


@handles("aws_kms_alias")
def _kms_alias(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("kms").create_alias(AliasName=config["name"], TargetKeyId=config["target_key_id"])
    key = cloud.client("kms").describe_key(KeyId=config["target_key_id"])["KeyMetadata"]
    return {"id": config["name"], "arn": arn(cloud, "kms", config["name"]), "target_key_arn": key["Arn"]}
