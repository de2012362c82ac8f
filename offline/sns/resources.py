"""SNS's resources: topics, their policies and subscriptions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offline.engine.aws import some
from offline.engine.registry import handles
from offline.engine.terraform import Resource

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_sns_topic")
def _sns_topic(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    attributes = some(
        DisplayName=config.get("display_name"),
        KmsMasterKeyId=config.get("kms_master_key_id"),
        Policy=config.get("policy"),
        FifoTopic="true" if config.get("fifo_topic") else None,
    )
    arn = cloud.client("sns").create_topic(Name=config["name"], Attributes=attributes)["TopicArn"]
    return {"arn": arn, "id": arn}


@handles("aws_sns_topic_policy")
def _sns_topic_policy(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("sns").set_topic_attributes(
        TopicArn=config["arn"], AttributeName="Policy", AttributeValue=config["policy"]
    )
    return {"id": config["arn"]}


@handles("aws_sns_topic_subscription", inert="an email subscription stays pending; no email is sent for a publish")
def _sns_subscription(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    arn = cloud.client("sns").subscribe(
        TopicArn=config["topic_arn"],
        Protocol=config["protocol"],
        Endpoint=config["endpoint"],
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return {
        "arn": arn,
        "id": arn,
        "pending_confirmation": config["protocol"] in ("email", "email-json", "http", "https"),
    }
