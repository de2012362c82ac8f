"""CloudWatch's resources: metric alarms."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offline.engine.aws import some
from offline.engine.registry import handles
from offline.engine.terraform import Resource, TerraformError

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_cloudwatch_metric_alarm", inert="moto stores alarms; no metric is published offline, so none ever fires")
def _metric_alarm(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    if config.get("metric_query"):
        raise TerraformError(f"{resource}: metric_query alarms are not modelled offline")
    cloudwatch = cloud.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        **some(
            AlarmName=config["alarm_name"],
            AlarmDescription=config.get("alarm_description"),
            Namespace=config.get("namespace"),
            MetricName=config.get("metric_name"),
            Dimensions=[{"Name": k, "Value": str(v)} for k, v in config.get("dimensions", {}).items()] or None,
            Statistic=config.get("statistic"),
            ExtendedStatistic=config.get("extended_statistic"),
            Period=config.get("period"),
            EvaluationPeriods=config["evaluation_periods"],
            DatapointsToAlarm=config.get("datapoints_to_alarm"),
            Threshold=config.get("threshold"),
            ComparisonOperator=config["comparison_operator"],
            TreatMissingData=config.get("treat_missing_data"),
            ActionsEnabled=config.get("actions_enabled"),
            AlarmActions=config.get("alarm_actions"),
            OKActions=config.get("ok_actions"),
            InsufficientDataActions=config.get("insufficient_data_actions"),
            Unit=config.get("unit"),
        )
    )
    [alarm] = cloudwatch.describe_alarms(AlarmNames=[config["alarm_name"]])["MetricAlarms"]
    return {"arn": alarm["AlarmArn"], "id": config["alarm_name"]}
