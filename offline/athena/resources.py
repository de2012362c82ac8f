"""Athena's resources: workgroups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offline.engine.aws import arn, first, some
from offline.engine.registry import handles
from offline.engine.terraform import Resource

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_athena_workgroup", inert="exists; moto's Athena returns no rows, so query the S3 objects directly")
def _athena_workgroup(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    settings = first(config.get("configuration"))
    result = first(settings.get("result_configuration"))
    encryption = first(result.get("encryption_configuration"))
    cloud.client("athena").create_work_group(
        **some(
            Name=config["name"],
            Description=config.get("description"),
            Configuration=some(
                EnforceWorkGroupConfiguration=settings.get("enforce_workgroup_configuration"),
                PublishCloudWatchMetricsEnabled=settings.get("publish_cloudwatch_metrics_enabled"),
                ResultConfiguration=some(
                    OutputLocation=result.get("output_location"),
                    ExpectedBucketOwner=result.get("expected_bucket_owner"),
                    EncryptionConfiguration=some(
                        EncryptionOption=encryption.get("encryption_option"), KmsKey=encryption.get("kms_key_arn")
                    )
                    or None,
                )
                or None,
            )
            or None,
        )
    )
    return {"id": config["name"], "arn": arn(cloud, "athena", f"workgroup/{config['name']}")}
