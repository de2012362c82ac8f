"""offline/scheduler: EventBridge Scheduler schedules created in moto from Terraform, and fired on demand as
Scheduler fires them (StartExecution of the target with its Input)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from offline.scheduler.firing import fire

REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/scheduler"


@pytest.fixture
def clients():
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name=REGION)
        machine = sfn.create_state_machine(
            name="m",
            definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
            roleArn=ROLE,
        )["stateMachineArn"]
        yield boto3.client("scheduler", region_name=REGION), sfn, machine


def schedule(scheduler, target: str, state: str = "ENABLED") -> None:
    scheduler.create_schedule(
        Name="every-five",
        ScheduleExpression="rate(5 minutes)",
        FlexibleTimeWindow={"Mode": "OFF"},
        State=state,
        Target={"Arn": target, "RoleArn": ROLE, "Input": json.dumps({"from": "schedule"})},
    )


def test_firing_a_schedule_starts_its_state_machine_with_the_targets_input(clients):
    scheduler, sfn, machine = clients
    schedule(scheduler, machine)
    execution = fire(scheduler, sfn, "every-five")
    assert json.loads(sfn.describe_execution(executionArn=execution)["input"]) == {"from": "schedule"}


def test_a_disabled_schedule_does_not_fire(clients):
    scheduler, sfn, machine = clients
    schedule(scheduler, machine, state="DISABLED")
    with pytest.raises(ValueError, match="DISABLED"):
        fire(scheduler, sfn, "every-five")


def test_a_target_other_than_step_functions_is_refused_naming_it(clients):
    scheduler, sfn, _ = clients
    schedule(scheduler, "arn:aws:sqs:eu-west-1:123456789012:q")
    with pytest.raises(NotImplementedError, match="arn:aws:sqs"):
        fire(scheduler, sfn, "every-five")
