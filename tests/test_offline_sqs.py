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


def test_a_delayed_message_is_due_once_the_sqs_clock_has_advanced_past_its_delay():
    import boto3
    import pytest
    from moto import mock_aws

    from offline.sqs.clock import SqsClock

    clock = SqsClock()
    with mock_aws(), clock.installed():
        sqs = boto3.client("sqs", region_name="eu-west-1")
        url = sqs.create_queue(QueueName="later")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="m", DelaySeconds=300)
        assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
        clock.advance(301)
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["m"]
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)


def test_a_delete_waits_for_the_queues_lock_so_no_other_change_interleaves():
    import threading

    import boto3
    from moto import mock_aws
    from moto.sqs.models import sqs_backends

    from offline.sqs import fixes

    with mock_aws(), fixes.atomic_queues():
        sqs = boto3.client("sqs", region_name="eu-west-1")
        url = sqs.create_queue(QueueName="race")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="one")
        [message] = sqs.receive_message(QueueUrl=url)["Messages"]
        queue = sqs_backends["123456789012"]["eu-west-1"].get_queue("race")
        done = threading.Event()

        def delete() -> None:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            done.set()

        with queue._messages_lock:  # another change of this queue's messages is under way
            deleter = threading.Thread(target=delete)
            deleter.start()
            assert not done.wait(0.5)
        deleter.join(timeout=10)
        assert done.is_set()
        assert (
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"][
                "ApproximateNumberOfMessagesNotVisible"
            ]
            == "0"
        )


def test_the_speedups_give_moto_s_answers_for_visibility_delay_and_retention():
    import boto3
    from moto import mock_aws

    from offline.sqs import speedups
    from offline.sqs.clock import SqsClock

    clock = SqsClock()
    with mock_aws(), clock.installed(), speedups.installed():
        sqs = boto3.client("sqs", region_name="eu-west-1")
        url = sqs.create_queue(QueueName="fast", Attributes={"MessageRetentionPeriod": "600"})["QueueUrl"]
        for body in ("now", "held"):
            sqs.send_message(QueueUrl=url, MessageBody=body)
        sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
        [now] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=120)["Messages"]
        assert now["Body"] == "now"
        [held] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"]
        assert held["Body"] == "held"
        assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []  # both in flight, one delayed
        clock.advance(61)  # the delay is over, "held"'s visibility timeout too, "now"'s is not
        assert sorted(m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == [
            "held",
            "later",
        ]
        clock.advance(600)  # past the retention period: nothing is delivered any more
        assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
