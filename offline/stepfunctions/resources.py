"""Step Functions' resources: state machines. moto's interpreter runs them, with the gaps filled by
:mod:`offline.stepfunctions.fixes`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offline.engine.aws import first, some
from offline.engine.registry import handles
from offline.engine.terraform import Resource

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_sfn_state_machine")
def _state_machine(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    logging = first(config.get("logging_configuration"))
    tracing = first(config.get("tracing_configuration"))
    machine = cloud.client("stepfunctions").create_state_machine(
        **some(
            name=config["name"],
            definition=config["definition"],
            roleArn=config["role_arn"],
            type=config.get("type", "STANDARD"),
            loggingConfiguration=some(
                level=logging.get("level"),
                includeExecutionData=logging.get("include_execution_data"),
                destinations=[{"cloudWatchLogsLogGroup": {"logGroupArn": logging["log_destination"]}}]
                if logging.get("log_destination")
                else None,
            )
            or None,
            tracingConfiguration={"enabled": bool(tracing.get("enabled"))} if tracing else None,
        )
    )
    return {"arn": machine["stateMachineArn"], "id": machine["stateMachineArn"], "status": "ACTIVE"}
