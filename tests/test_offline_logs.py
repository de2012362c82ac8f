"""offline/logs/: log groups and streams, and the log delivery ends CloudFront's access logs would use."""

from __future__ import annotations

from offline.engine.cloud import OfflineCloud
from tests.offline_stacks import small_stack


def test_log_groups_streams_and_delivery_ends_get_the_arns_terraform_reports():
    document = small_stack(
        {
            "aws_cloudwatch_log_group": {"g": {"name": "/test/group", "retention_in_days": 14}},
            "aws_cloudwatch_log_stream": {
                "s": {"name": "stream", "log_group_name": "${aws_cloudwatch_log_group.g.name}"}
            },
            "aws_cloudwatch_log_delivery_source": {"src": {"name": "cdn", "region": "us-east-1"}},
            "aws_cloudwatch_log_delivery_destination": {"dst": {"name": "bucket"}},
            "aws_cloudwatch_log_delivery": {
                "d": {
                    "delivery_source_name": "${aws_cloudwatch_log_delivery_source.src.name}",
                    "delivery_destination_arn": "${aws_cloudwatch_log_delivery_destination.dst.arn}",
                }
            },
        }
    )
    with OfflineCloud(document) as running:
        [group] = running.client("logs").describe_log_groups(logGroupNamePrefix="/test/group")["logGroups"]
        group_arn = running.resource("aws_cloudwatch_log_group", "g")["arn"]
        stream_arn = running.resource("aws_cloudwatch_log_stream", "s")["arn"]
        source = running.resource("aws_cloudwatch_log_delivery_source", "src")["arn"]
        destination = running.resource("aws_cloudwatch_log_delivery_destination", "dst")["arn"]
        recorded = running.configuration_only
    assert group["retentionInDays"] == 14 and not group_arn.endswith(":*")
    assert stream_arn == f"{group_arn}:log-stream:stream"
    assert source.startswith("arn:aws:logs:us-east-1:") and ":eu-west-1:" in destination
    assert recorded == {("aws_cloudwatch_log_delivery", "d")}
