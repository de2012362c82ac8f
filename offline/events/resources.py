"""EventBridge's resources: buses, archives, rules and targets. Delivery to the targets moto cannot reach is
:mod:`offline.events.delivery`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offline.engine.aws import aws_error, first, some
from offline.engine.registry import handles
from offline.engine.terraform import Resource, TerraformError
from offline.events.archive_key import EVENTS, refused_uses

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_cloudwatch_event_bus")
def _event_bus(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    arn = cloud.client("events").create_event_bus(**some(Name=config["name"], Description=config.get("description")))
    return {"arn": arn["EventBusArn"], "id": config["name"]}


@handles("aws_cloudwatch_event_archive")
def _event_archive(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    key = config.get("kms_key_identifier")
    if key:
        _check_archive_key(cloud, key, config["event_source_arn"], config["name"])
    archive = cloud.client("events").create_archive(
        **some(
            ArchiveName=config["name"],
            EventSourceArn=config["event_source_arn"],
            Description=config.get("description"),
            EventPattern=config.get("event_pattern"),
            RetentionDays=config.get("retention_days"),
        )
    )
    return {"arn": archive["ArchiveArn"], "id": config["name"], "kms_key_identifier": key or ""}


def _check_archive_key(cloud: OfflineCloud, key: str, bus_arn: str, archive: str) -> None:
    kms = cloud.client("kms")
    key_id = kms.describe_key(KeyId=key)["KeyMetadata"]["KeyId"]
    policy = kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
    refused = refused_uses(policy, bus_arn=bus_arn, account_id=cloud.account_id)
    if refused:
        raise aws_error(
            "events",
            "CreateArchive",
            "AccessDeniedException",
            f"Archive {archive}: the policy of KMS key {key} does not allow {EVENTS} {', '.join(refused)} "
            f"for the event bus {bus_arn}",
        )


@handles("aws_cloudwatch_event_rule")
def _event_rule(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    bus = config.get("event_bus_name", "default")
    enabled = config.get("state", "ENABLED" if config.get("is_enabled", True) else "DISABLED")
    rule = cloud.client("events").put_rule(
        **some(
            Name=config["name"],
            EventBusName=bus,
            EventPattern=config.get("event_pattern"),
            ScheduleExpression=config.get("schedule_expression"),
            Description=config.get("description"),
            RoleArn=config.get("role_arn"),
            State=enabled,
        )
    )
    return {"arn": rule["RuleArn"], "id": config["name"] if bus == "default" else f"{bus}/{config['name']}"}


@handles("aws_cloudwatch_event_target")
def _event_target(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    bus = config.get("event_bus_name", "default")
    target_id = config.get("target_id") or resource.name
    transformer = first(config.get("input_transformer"))
    retry = first(config.get("retry_policy"))
    dead_letter = first(config.get("dead_letter_config"))
    target = some(
        Id=target_id,
        Arn=config["arn"],
        RoleArn=config.get("role_arn"),
        Input=config.get("input"),
        InputPath=config.get("input_path"),
        InputTransformer=some(InputPathsMap=transformer.get("input_paths"), InputTemplate=transformer["input_template"])
        if transformer
        else None,
        DeadLetterConfig={"Arn": dead_letter["arn"]} if dead_letter.get("arn") else None,
        RetryPolicy=some(
            MaximumRetryAttempts=retry.get("maximum_retry_attempts"),
            MaximumEventAgeInSeconds=retry.get("maximum_event_age_in_seconds"),
        )
        if retry
        else None,
    )
    failed = cloud.client("events").put_targets(Rule=config["rule"], EventBusName=bus, Targets=[target])
    if failed.get("FailedEntryCount"):
        raise TerraformError(f"{resource}: PutTargets failed: {failed['FailedEntries']}")
    return {"id": f"{bus}-{config['rule']}-{target_id}" if bus != "default" else f"{config['rule']}-{target_id}"}
