"""offline/sqs/: queues, their attributes and policies created from Terraform."""

from __future__ import annotations

import json

from offline.engine.cloud import OfflineCloud
from tests.offline_stacks import small_stack


def test_a_queue_gets_its_attributes_its_redrive_policy_and_its_queue_policy():
    redrive = json.dumps({"deadLetterTargetArn": "${aws_sqs_queue.dlq.arn}", "maxReceiveCount": 3})
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*"}]})
    document = small_stack(
        {
            "aws_sqs_queue": {
                "dlq": {"name": "test-dlq", "message_retention_seconds": 1209600, "sqs_managed_sse_enabled": True},
                "work": {"name": "test-queue", "redrive_policy": redrive},
            },
            "aws_sqs_queue_policy": {"p": {"queue_url": "${aws_sqs_queue.work.url}", "policy": policy}},
        }
    )
    with OfflineCloud(document) as running:
        sqs = running.client("sqs")
        dlq = running.resource("aws_sqs_queue", "dlq")
        queue = running.resource("aws_sqs_queue", "work")
        dlq_attributes = sqs.get_queue_attributes(QueueUrl=dlq["url"], AttributeNames=["All"])["Attributes"]
        attributes = sqs.get_queue_attributes(QueueUrl=queue["url"], AttributeNames=["All"])["Attributes"]
    assert (dlq_attributes["MessageRetentionPeriod"], dlq_attributes["SqsManagedSseEnabled"]) == ("1209600", "true")
    assert json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"] == dlq["arn"]
    assert json.loads(attributes["Policy"])["Statement"][0]["Effect"] == "Deny"
