"""offline/sns/: topics, their policies and subscriptions created from Terraform."""

from __future__ import annotations

import json

from offline.engine.cloud import OfflineCloud
from tests.offline_stacks import small_stack

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": "${aws_sns_topic.t.arn}",
        }
    ],
}


def test_a_topic_gets_its_policy_and_an_email_subscription_stays_pending():
    document = small_stack(
        {
            "aws_sns_topic": {"t": {"name": "test-alarms", "display_name": "Alarms"}},
            "aws_sns_topic_policy": {"p": {"arn": "${aws_sns_topic.t.arn}", "policy": json.dumps(POLICY)}},
            "aws_sns_topic_subscription": {
                "s": {"topic_arn": "${aws_sns_topic.t.arn}", "protocol": "email", "endpoint": "ops@example.com"}
            },
        }
    )
    with OfflineCloud(document) as running:
        topic = running.resource("aws_sns_topic", "t")
        policy = running.client("sns").get_topic_attributes(TopicArn=topic["arn"])["Attributes"]["Policy"]
        subscription = running.resource("aws_sns_topic_subscription", "s")
    assert json.loads(policy)["Statement"][0]["Resource"] == topic["arn"]
    assert subscription["pending_confirmation"] is True
