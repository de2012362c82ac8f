"""A schedule's firing, offline: what EventBridge Scheduler does at each time the expression names, done when asked.

Scheduler's templated Step Functions target calls StartExecution on the target ARN with the target's Input
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html). Only that target kind is
fired here; another raises NotImplementedError naming it.
"""

from __future__ import annotations

import uuid
from typing import Any


def fire(scheduler: Any, stepfunctions: Any, name: str, group: str = "default") -> str:
    """Start the target of schedule ``name`` once, as Scheduler would; returns the execution ARN."""
    schedule = scheduler.get_schedule(Name=name, GroupName=group)
    if schedule.get("State", "ENABLED") != "ENABLED":
        raise ValueError(f"schedule {name} is {schedule['State']}: Scheduler does not fire it")
    target = schedule["Target"]
    if ":states:" not in target["Arn"] or ":stateMachine:" not in target["Arn"]:
        raise NotImplementedError(
            f"schedule {name}: offline firing supports Step Functions targets, not {target['Arn']}"
        )
    started = stepfunctions.start_execution(
        stateMachineArn=target["Arn"], name=str(uuid.uuid4()), input=target.get("Input", "{}")
    )
    return str(started["executionArn"])
