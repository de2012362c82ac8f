"""offline/cloudwatch/: metric alarms created from Terraform (stored; none ever fires offline)."""

from __future__ import annotations

import pytest

from offline.engine.cloud import OfflineCloud
from offline.engine.terraform import TerraformError
from tests.offline_stacks import small_stack

ALARM = {
    "alarm_name": "test-dlq-not-empty",
    "namespace": "AWS/SQS",
    "metric_name": "ApproximateNumberOfMessagesVisible",
    "dimensions": {"QueueName": "dlq"},
    "statistic": "Maximum",
    "period": 60,
    "evaluation_periods": 1,
    "threshold": 0,
    "comparison_operator": "GreaterThanThreshold",
    "treat_missing_data": "notBreaching",
}


def test_an_alarm_is_stored_with_its_metric_and_threshold():
    with OfflineCloud(small_stack({"aws_cloudwatch_metric_alarm": {"a": ALARM}})) as running:
        [alarm] = running.client("cloudwatch").describe_alarms(AlarmNames=["test-dlq-not-empty"])["MetricAlarms"]
        arn = running.resource("aws_cloudwatch_metric_alarm", "a")["arn"]
    assert arn == alarm["AlarmArn"] and alarm["Dimensions"] == [{"Name": "QueueName", "Value": "dlq"}]


def test_a_metric_math_alarm_is_refused_by_name():
    document = small_stack({"aws_cloudwatch_metric_alarm": {"a": {**ALARM, "metric_query": [{"id": "m"}]}}})
    with pytest.raises(TerraformError, match=r"aws_cloudwatch_metric_alarm\.a: metric_query"), OfflineCloud(document):
        pass
