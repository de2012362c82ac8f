"""EventBridge Pipes' resources: a pipe is created in moto (which keeps its configuration and state) and handed to
the offline pipes (:mod:`offline.pipes.delivery`), which run it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offline.engine.aws import first, some
from offline.engine.registry import handles
from offline.engine.terraform import Resource, TerraformError
from offline.pipes.delivery import PipeConfig

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_pipes_pipe")
def _pipe(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    source = first(config.get("source_parameters"))
    sqs = first(source.get("sqs_queue_parameters"))
    target = first(config.get("target_parameters"))
    machine = first(target.get("step_function_state_machine_parameters"))
    logging = first(config.get("log_configuration"))
    cloudwatch = first(logging.get("cloudwatch_logs_log_destination"))
    if ":sqs:" not in config["source"] or ":states:" not in config["target"]:
        raise TerraformError(f"{resource}: the offline pipes run SQS sources into Step Functions targets only")
    parameters = some(
        SqsQueueParameters=some(
            BatchSize=sqs.get("batch_size"),
            MaximumBatchingWindowInSeconds=sqs.get("maximum_batching_window_in_seconds"),
        )
        or None
    )
    target_parameters = some(
        InputTemplate=target.get("input_template"),
        StepFunctionStateMachineParameters=some(InvocationType=machine.get("invocation_type")) or None,
    )
    created = cloud.client("pipes").create_pipe(
        **some(
            Name=config["name"],
            Description=config.get("description"),
            DesiredState=config.get("desired_state"),
            Source=config["source"],
            SourceParameters=parameters or None,
            Target=config["target"],
            TargetParameters=target_parameters or None,
            RoleArn=config["role_arn"],
            LogConfiguration=some(
                Level=logging.get("level"),
                CloudwatchLogsLogDestination=some(LogGroupArn=cloudwatch.get("log_group_arn")) or None,
                IncludeExecutionData=logging.get("include_execution_data"),
            )
            or None,
        )
    )
    if target.get("input_template"):
        raise TerraformError(f"{resource}: the offline pipes do not apply an input_template")
    cloud.pipes.add(
        PipeConfig(
            name=config["name"],
            source_arn=config["source"],
            target_arn=config["target"],
            batch_size=int(sqs.get("batch_size") or 10),
            batching_window_seconds=int(sqs.get("maximum_batching_window_in_seconds") or 0),
            # REQUEST_RESPONSE is the default of a Step Functions target.
            invocation_type=machine.get("invocation_type") or "REQUEST_RESPONSE",
            running=(config.get("desired_state") or "RUNNING") == "RUNNING",
        )
    )
    return {"arn": created["Arn"], "id": config["name"]}
