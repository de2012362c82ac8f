"""EventBridge Scheduler's resources: schedules, created in moto (which stores them and never fires them: see
:mod:`offline.scheduler.firing`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offline.engine.aws import first, some
from offline.engine.registry import handles
from offline.engine.terraform import Resource

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_scheduler_schedule", inert="never fires on its own: OfflineCloud.fire_schedule starts its target")
def _scheduler_schedule(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    target = first(config.get("target"))
    window = first(config.get("flexible_time_window"))
    retry = first(target.get("retry_policy"))
    answer = cloud.client("scheduler").create_schedule(
        **some(
            Name=config["name"],
            GroupName=config.get("group_name"),
            Description=config.get("description"),
            ScheduleExpression=config["schedule_expression"],
            ScheduleExpressionTimezone=config.get("schedule_expression_timezone"),
            State=config.get("state"),
            KmsKeyArn=config.get("kms_key_arn"),
            FlexibleTimeWindow=some(
                Mode=window["mode"], MaximumWindowInMinutes=window.get("maximum_window_in_minutes")
            ),
            Target=some(
                Arn=target["arn"],
                RoleArn=target["role_arn"],
                Input=target.get("input"),
                RetryPolicy=some(
                    MaximumRetryAttempts=retry.get("maximum_retry_attempts"),
                    MaximumEventAgeInSeconds=retry.get("maximum_event_age_in_seconds"),
                )
                or None,
            ),
        )
    )
    group = config.get("group_name") or "default"
    return {"arn": answer["ScheduleArn"], "id": f"{group}/{config['name']}"}
