"""SQS's resources: queues and their policies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offline.engine.registry import handles
from offline.engine.terraform import Resource

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


_QUEUE_ATTRIBUTES = {
    "kms_master_key_id": "KmsMasterKeyId",
    "kms_data_key_reuse_period_seconds": "KmsDataKeyReusePeriodSeconds",
    "message_retention_seconds": "MessageRetentionPeriod",
    "visibility_timeout_seconds": "VisibilityTimeout",
    "delay_seconds": "DelaySeconds",
    "max_message_size": "MaximumMessageSize",
    "receive_wait_time_seconds": "ReceiveMessageWaitTimeSeconds",
    "fifo_queue": "FifoQueue",
    "content_based_deduplication": "ContentBasedDeduplication",
    "sqs_managed_sse_enabled": "SqsManagedSseEnabled",
    "redrive_policy": "RedrivePolicy",
    "policy": "Policy",
}


@handles("aws_sqs_queue")
def _sqs_queue(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    attributes = {
        name: str(config[key]).lower() if isinstance(config[key], bool) else str(config[key])
        for key, name in _QUEUE_ATTRIBUTES.items()
        if config.get(key) is not None
    }
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=config["name"], Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"arn": arn, "url": url, "id": url}


@handles("aws_sqs_queue_policy")
def _sqs_queue_policy(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("sqs").set_queue_attributes(QueueUrl=config["queue_url"], Attributes={"Policy": config["policy"]})
    return {"id": config["queue_url"]}
