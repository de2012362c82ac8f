"""CloudWatch Logs' resources: log groups and streams, and the log delivery of CloudFront's access logs (recorded only:
no CloudFront offline, so nothing to deliver)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offline.engine.aws import arn, some
from offline.engine.registry import configuration_only, handles
from offline.engine.terraform import Resource

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_cloudwatch_log_group", inert="exists; Step Functions and Firehose write no logs to it offline")
def _log_group(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    logs = cloud.client("logs")
    logs.create_log_group(**some(logGroupName=config["name"], kmsKeyId=config.get("kms_key_id")))
    if config.get("retention_in_days"):
        logs.put_retention_policy(logGroupName=config["name"], retentionInDays=int(config["retention_in_days"]))
    # Terraform's arn has no ":*" suffix, unlike DescribeLogGroups'.
    return {"arn": arn(cloud, "logs", f"log-group:{config['name']}"), "id": config["name"]}


@handles("aws_cloudwatch_log_stream")
def _log_stream(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    group = config["log_group_name"]
    cloud.client("logs").create_log_stream(logGroupName=group, logStreamName=config["name"])
    return {"arn": arn(cloud, "logs", f"log-group:{group}:log-stream:{config['name']}"), "id": config["name"]}


@handles("aws_cloudwatch_log_delivery_source", "aws_cloudwatch_log_delivery_destination")
def _log_delivery_end(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    # Recorded only (CloudFront's access logs have nothing to deliver offline), with the ARN Terraform reports.
    kind = "delivery-source" if resource.type.endswith("source") else "delivery-destination"
    region = config.get("region") or cloud.region
    return {"id": config["name"], "arn": f"arn:aws:logs:{region}:{cloud.account_id}:{kind}:{config['name']}"}


configuration_only(
    "aws_cloudwatch_log_delivery", "CloudFront access logs: no CloudFront offline, so nothing to deliver"
)
