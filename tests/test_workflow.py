"""modules/workflow.py alone: one Workflow in a bare stack, read back from that small stack's synthesized JSON.
(tests/test_workflows.py is about the GitHub workflows, not this module.)"""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformStack

from modules.common import ASL_DIR, load_asl, load_json, placeholders, statement
from modules.workflow import LOG_DELIVERY_ACTIONS, TRACING_ACTIONS, Workflow
from tests.tf import bare_stack, decoded, only, ref, sample_platform, synth

PLATFORM = sample_platform()
ASL = "send-thank-you"
NAME = "reviews-test-thankyou-send-thank-you"
# The block only passes substitutions through to load_asl; any value per placeholder will do.
SUBSTITUTIONS = {name: f"sample-{name}" for name in placeholders(load_json(ASL_DIR / f"{ASL}.asl.json"))}
TASK_STATEMENT = statement("PutItems", ["dynamodb:PutItem"], ["arn:aws:dynamodb:eu-west-1:123456789012:table/t"])


@pytest.fixture
def stack() -> TerraformStack:
    return bare_stack()


def _workflow(stack: TerraformStack, **overrides: Any) -> Workflow:
    settings: dict[str, Any] = {
        "platform": PLATFORM,
        "service": "thankyou",
        "purpose": ASL,
        "asl": ASL,
        "workflow_type": "EXPRESS",
        "substitutions": SUBSTITUTIONS,
        "statements": [TASK_STATEMENT],
        **overrides,
    }
    return Workflow(stack, "workflow", **settings)


def _machine(stack: TerraformStack) -> dict[str, Any]:
    return only(synth(stack), "aws_sfn_state_machine", "state-machine")[1]


def test_the_state_machine_is_named_after_service_and_purpose_with_the_given_type(stack: TerraformStack) -> None:
    made = _workflow(stack, workflow_type="STANDARD")
    machine = _machine(stack)
    assert (machine["name"], machine["type"]) == (NAME, "STANDARD")
    assert (made.asl, made.workflow_type) == (ASL, "STANDARD")


def test_the_definition_is_the_asl_file_with_its_placeholders_filled(stack: TerraformStack) -> None:
    _workflow(stack)
    assert _machine(stack)["definition"] == load_asl(ASL, SUBSTITUTIONS)


def test_the_state_machine_runs_as_its_own_role(stack: TerraformStack) -> None:
    made = _workflow(stack)
    assert _machine(stack)["role_arn"] == ref("aws_iam_role", stack.get_logical_id(made.role), "arn")


def test_the_role_is_trusted_only_by_step_functions_for_this_state_machine_of_this_account(
    stack: TerraformStack,
) -> None:
    _workflow(stack)
    _, role = only(synth(stack), "aws_iam_role", "role")
    assert role["name"] == f"{NAME}-sfn"
    assert decoded(role, "assume_role_policy")["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "states.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": PLATFORM.account_id},
                # Its own name, not a reference: the machine's ARN would make the role depend on the machine.
                "ArnLike": {"aws:SourceArn": f"arn:aws:states:eu-west-1:{PLATFORM.account_id}:stateMachine:{NAME}"},
            },
        }
    ]


def test_the_role_may_do_what_the_asl_needs_then_deliver_logs_and_send_traces(stack: TerraformStack) -> None:
    made = _workflow(stack)
    _, policy = only(synth(stack), "aws_iam_role_policy", "policy")
    assert (policy["name"], policy["role"]) == ("workflow", ref("aws_iam_role", stack.get_logical_id(made.role), "id"))
    assert decoded(policy, "policy")["Statement"] == [
        TASK_STATEMENT,
        statement("DeliverExecutionLogs", LOG_DELIVERY_ACTIONS, ["*"]),
        statement("SendTraces", TRACING_ACTIONS, ["*"]),
    ]
    assert made.statements == [TASK_STATEMENT]


def test_the_state_machine_is_created_after_its_policy(stack: TerraformStack) -> None:
    _workflow(stack)
    policy_id, _ = only(synth(stack), "aws_iam_role_policy", "policy")
    assert _machine(stack)["depends_on"] == [f"aws_iam_role_policy.{policy_id}"]


def test_the_log_group_is_a_vended_logs_group_under_the_platform_key_and_retention(stack: TerraformStack) -> None:
    _workflow(stack)
    _, group = only(synth(stack), "aws_cloudwatch_log_group", "logs")
    assert group == {
        "name": f"/aws/vendedlogs/states/{NAME}",
        "retention_in_days": PLATFORM.log_retention_days,
        "kms_key_id": PLATFORM.key_arn,
    }


def test_the_state_machine_logs_every_state_without_its_data_and_traces(stack: TerraformStack) -> None:
    # Execution data holds callback tokens and reviewers' names and emails: it never reaches the logs.
    made = _workflow(stack)
    machine = _machine(stack)
    group_arn = ref("aws_cloudwatch_log_group", stack.get_logical_id(made.log_group), "arn")
    assert machine["logging_configuration"] == {
        "level": "ALL",
        "include_execution_data": False,
        "log_destination": f"{group_arn}:*",
    }
    assert machine["tracing_configuration"] == {"enabled": True}


# ------------------------------------------------------------------------------------------ input validation


def test_an_unknown_workflow_type_is_rejected(stack: TerraformStack) -> None:
    with pytest.raises(
        ValueError, match=r"Workflow workflow: workflow_type: 'SYNC' must be one of \['STANDARD', 'EXPRESS'\]"
    ):
        _workflow(stack, workflow_type="SYNC")


def test_an_asl_stem_without_a_file_is_rejected(stack: TerraformStack) -> None:
    with pytest.raises(ValueError, match=r"asl 'no-such-workflow' names no file asl/no-such-workflow.asl.json"):
        _workflow(stack, asl="no-such-workflow")
