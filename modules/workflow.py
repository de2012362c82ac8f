"""Building block: one Step Functions state machine from one ASL file, with its own role and log group.

Every service that runs a workflow uses this, so logging, tracing and the role shape are the same
everywhere and the operations construct can find every workflow in the stack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.sfn_state_machine import (
    SfnStateMachine,
    SfnStateMachineLoggingConfiguration,
    SfnStateMachineTracingConfiguration,
)
from constructs import Construct

from modules import checks
from modules.common import ASL_DIR, load_asl, policy_document, statement, trust_policy
from modules.security import Platform
from modules.storage import log_group

WORKFLOW_TYPES = ("STANDARD", "EXPRESS")

# Vended log delivery and X-Ray have no resource-level permissions: these actions take only "*".
# https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
)
# https://docs.aws.amazon.com/step-functions/latest/dg/xray-iam.html
TRACING_ACTIONS = (
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
)


class Workflow(Construct):
    """A state machine defined by ``asl/<asl>.asl.json``.

    Inputs:
      platform: shared account, region, naming and key.
      service, purpose: naming, ``{prefix}-{service}-{purpose}``.
      asl: the ASL file's stem; every ``${Placeholder}`` in it must be in ``substitutions``.
      workflow_type: "STANDARD" (long waits, exactly-once) or "EXPRESS" (short, high volume).
      statements: the IAM statements the ASL's Task states need, and nothing more.
    Defaults: logging level ALL without execution data (every state's events, none of its input or output) to a
      KMS-encrypted log group with the platform's retention, X-Ray tracing on, a role trusted only by
      states.amazonaws.com from this account.
    Exposes: ``state_machine``, ``role``, ``log_group``, ``asl``, ``statements``.
    """

    @staticmethod
    def role_name(platform: Platform, service: str, purpose: str) -> str:
        """The name of the role a workflow of ``service`` for ``purpose`` runs as, known before it is made."""
        return f"{platform.name(service, purpose)}-sfn"

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform: Platform,
        service: str,
        purpose: str,
        asl: str,
        workflow_type: Literal["STANDARD", "EXPRESS"],
        substitutions: Mapping[str, Any],
        statements: Sequence[Mapping[str, Any]],
    ):
        super().__init__(scope, id)
        checks.argument(f"Workflow {id}", "workflow_type", checks.one_of, workflow_type, values=WORKFLOW_TYPES)
        if not (ASL_DIR / f"{asl}.asl.json").is_file():
            raise ValueError(f"Workflow {id}: asl {asl!r} names no file asl/{asl}.asl.json")
        name = platform.name(service, purpose)
        self.asl = asl
        self.workflow_type = workflow_type
        self.statements = list(statements)

        # The /aws/vendedlogs/ prefix keeps Step Functions' log resource policy under its size limit.
        self.log_group = log_group(self, "logs", platform=platform, name=f"/aws/vendedlogs/states/{name}")
        self.role = IamRole(
            self,
            "role",
            name=self.role_name(platform, service, purpose),
            assume_role_policy=trust_policy(
                "states.amazonaws.com", platform.account_id, platform.arn("states", f"stateMachine:{name}")
            ),
        )
        policy = IamRolePolicy(
            self,
            "policy",
            name="workflow",
            role=self.role.id,
            policy=policy_document(
                [
                    *self.statements,
                    statement("DeliverExecutionLogs", LOG_DELIVERY_ACTIONS, ["*"]),
                    statement("SendTraces", TRACING_ACTIONS, ["*"]),
                ]
            ),
        )
        self.state_machine = SfnStateMachine(
            self,
            "state-machine",
            name=name,
            type=workflow_type,
            role_arn=self.role.arn,
            definition=load_asl(asl, substitutions),
            # Execution data would copy every state's input and output into the logs: a case's callback token
            # (with states:SendTaskSuccess, enough to resolve it with no agent) and reviewers' names and emails.
            # Without it the logs still show each state entered, exited and failed, with the error's name and cause.
            # https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
            logging_configuration=SfnStateMachineLoggingConfiguration(
                level="ALL", include_execution_data=False, log_destination=f"{self.log_group.arn}:*"
            ),
            tracing_configuration=SfnStateMachineTracingConfiguration(enabled=True),
            # Creation checks that the role may deliver logs, so the policy must exist first.
            depends_on=[policy],
        )
