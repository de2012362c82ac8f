"""DynamoDB's resources: tables with their indexes, time to live and point-in-time recovery."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from offline.engine.aws import first, some
from offline.engine.registry import handles
from offline.engine.terraform import Resource

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_dynamodb_table")
def _dynamodb_table(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    dynamodb = cloud.client("dynamodb")
    provisioned = config.get("billing_mode", "PROVISIONED") == "PROVISIONED"
    encryption = first(config.get("server_side_encryption"))
    table = dynamodb.create_table(
        **some(
            TableName=config["name"],
            AttributeDefinitions=[
                {"AttributeName": a["name"], "AttributeType": a["type"]} for a in config["attribute"]
            ],
            KeySchema=_key_schema(config),
            BillingMode=config.get("billing_mode", "PROVISIONED"),
            ProvisionedThroughput=_throughput(config) if provisioned else None,
            GlobalSecondaryIndexes=[_index(index, provisioned) for index in config.get("global_secondary_index", [])]
            or None,
            LocalSecondaryIndexes=[_index(index, False) for index in config.get("local_secondary_index", [])] or None,
            SSESpecification={"Enabled": True, "SSEType": "KMS", **some(KMSMasterKeyId=encryption.get("kms_key_arn"))}
            if encryption.get("enabled")
            else None,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": config["stream_view_type"]}
            if config.get("stream_enabled")
            else None,
            DeletionProtectionEnabled=config.get("deletion_protection_enabled"),
        )
    )["TableDescription"]
    ttl = first(config.get("ttl"))
    if ttl.get("enabled"):
        dynamodb.update_time_to_live(
            TableName=config["name"], TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attribute_name"]}
        )
    if first(config.get("point_in_time_recovery")).get("enabled"):
        dynamodb.update_continuous_backups(
            TableName=config["name"], PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    return some(arn=table["TableArn"], id=config["name"], stream_arn=table.get("LatestStreamArn"))


def _key_schema(block: Mapping[str, Any]) -> list[dict[str, str]]:
    keys = [{"AttributeName": block["hash_key"], "KeyType": "HASH"}]
    if block.get("range_key"):
        keys.append({"AttributeName": block["range_key"], "KeyType": "RANGE"})
    return keys


def _throughput(block: Mapping[str, Any]) -> dict[str, int]:
    return {
        "ReadCapacityUnits": int(block.get("read_capacity", 1)),
        "WriteCapacityUnits": int(block.get("write_capacity", 1)),
    }


def _index(index: Mapping[str, Any], provisioned: bool) -> dict[str, Any]:
    return some(
        IndexName=index["name"],
        KeySchema=_key_schema(index),
        Projection=some(ProjectionType=index["projection_type"], NonKeyAttributes=index.get("non_key_attributes")),
        ProvisionedThroughput=_throughput(index) if provisioned else None,
    )
