"""Building block: an SQS queue drained in batches into an Express workflow by an EventBridge pipe, Lambda-free.

The queue buffers what the workflow cannot take at once (a burst, an archive replay): the pipe reads up to
``batch_size`` messages, starts the workflow synchronously (REQUEST_RESPONSE, StartSyncExecution) and deletes the
batch when the execution succeeds, except the messages the execution names in its output as
``{"batchItemFailures": [{"itemIdentifier": <messageId>}]}``: those, and every message of a failed execution,
become visible again after the queue's visibility timeout and are delivered again, until SQS moves a message
received ``max_receive_count`` times to the dead-letter queue.
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html

FIRE_AND_FORGET would not do: the pipe deletes the batch once StartExecution answers, so a failed review would
never return to the queue.
"""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.pipes_pipe import (
    PipesPipe,
    PipesPipeLogConfiguration,
    PipesPipeLogConfigurationCloudwatchLogsLogDestination,
    PipesPipeSourceParameters,
    PipesPipeSourceParametersSqsQueueParameters,
    PipesPipeTargetParameters,
    PipesPipeTargetParametersStepFunctionStateMachineParameters,
)
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from constructs import Construct

from modules import checks
from modules.common import deny_insecure_transport, policy_document, statement, trust_policy
from modules.rule import only_these_receive
from modules.security import Platform
from modules.storage import log_group
from modules.workflow import Workflow

# The longest an Express execution runs. https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html
EXPRESS_MAX_SECONDS = 300
# SQS keeps a message at most 14 days: a queue that waits out an outage keeps it as long as it can.
RETENTION_SECONDS = 14 * 24 * 3600
# Margin of the visibility timeout over the longest a batch can be in flight (window + execution), so a message is
# never delivered twice while its first execution still runs.
VISIBILITY_MARGIN_SECONDS = 30


class QueuedWorkflow(Construct):
    """Queue ``{prefix}-{service}-{purpose}`` with its dead-letter queue ``...-dlq``, and the pipe of the same name
    into ``workflow``.

    Inputs:
      workflow: an EXPRESS :class:`~modules.workflow.Workflow` whose ASL takes a list of SQS messages and answers
        ``batchItemFailures``; ``execution_timeout_seconds``: its top-level TimeoutSeconds (at most 300).
      batch_size, batching_window_seconds: the pipe's SQS source parameters (1-10,000 messages, 0-300 s; a batch
        over 10 needs a window of at least 1 s, as SQS event sources require).
      max_receive_count: deliveries before SQS moves a message to the dead-letter queue (1-1000).
    Defaults: both queues encrypted with the platform key, reachable only over TLS, messages kept 14 days; the
      visibility timeout is the window plus the execution timeout plus 30 s; the pipe logs ERROR level to an
      encrypted log group, without execution data (the reviews stay out of the logs); a role trusted only by
      pipes.amazonaws.com for this pipe, allowed to read and delete this queue's messages and to start this
      workflow synchronously, nothing else.
    Exposes: ``queue``, ``dead_letter_queue``, ``pipe``, ``role``, ``log_group``, ``max_receive_count``,
      ``visibility_timeout_seconds``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform: Platform,
        service: str,
        purpose: str,
        workflow: Workflow,
        execution_timeout_seconds: int,
        batch_size: int,
        batching_window_seconds: int,
        max_receive_count: int,
    ):
        super().__init__(scope, id)
        where = f"QueuedWorkflow {id}"
        if not isinstance(workflow, Workflow) or workflow.workflow_type != "EXPRESS":
            raise TypeError(f"{where}: workflow must be an EXPRESS Workflow (the pipe starts it synchronously)")
        checks.argument(
            where, "execution_timeout_seconds", checks.whole_number, execution_timeout_seconds, low=1,
            high=EXPRESS_MAX_SECONDS,
        )  # fmt: skip
        # https://docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_PipeSourceSqsQueueParameters.html
        checks.argument(where, "batch_size", checks.whole_number, batch_size, low=1, high=10000)
        checks.argument(where, "batching_window_seconds", checks.whole_number, batching_window_seconds, low=0, high=300)
        checks.argument(where, "max_receive_count", checks.whole_number, max_receive_count, low=1, high=1000)
        if batch_size > 10 and batching_window_seconds < 1:
            raise ValueError(f"{where}: a batch_size over 10 needs a batching_window_seconds of at least 1")
        name = platform.name(service, purpose)
        self.max_receive_count = max_receive_count
        self.visibility_timeout_seconds = (
            batching_window_seconds + execution_timeout_seconds + VISIBILITY_MARGIN_SECONDS
        )

        self.dead_letter_queue = SqsQueue(
            self,
            "dlq",
            name=f"{name}-dlq",
            kms_master_key_id=platform.key_arn,
            message_retention_seconds=RETENTION_SECONDS,
        )
        self.queue = SqsQueue(
            self,
            "queue",
            name=name,
            kms_master_key_id=platform.key_arn,
            message_retention_seconds=RETENTION_SECONDS,
            visibility_timeout_seconds=self.visibility_timeout_seconds,
            redrive_policy=json.dumps(
                {"deadLetterTargetArn": self.dead_letter_queue.arn, "maxReceiveCount": max_receive_count}
            ),
        )
        SqsQueuePolicy(
            self,
            "dlq-policy",
            queue_url=self.dead_letter_queue.url,
            policy=policy_document(
                [
                    only_these_receive(self.dead_letter_queue.arn, platform),
                    deny_insecure_transport("sqs:*", self.dead_letter_queue.arn),
                ]
            ),
        )

        self.log_group = log_group(self, "logs", platform=platform, name=f"/aws/vendedlogs/pipes/{name}")
        pipe_arn = platform.arn("pipes", f"pipe/{name}")
        self.role = IamRole(
            self,
            "role",
            name=f"{name}-pipe",
            assume_role_policy=trust_policy("pipes.amazonaws.com", platform.account_id, pipe_arn),
        )
        policy = IamRolePolicy(
            self,
            "policy",
            name="pipe",
            role=self.role.id,
            policy=policy_document(
                [
                    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html
                    statement(
                        "ReadTheQueue",
                        ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                        [self.queue.arn],
                    ),
                    statement(
                        "DecryptTheQueue",
                        ["kms:Decrypt"],
                        [platform.key_arn],
                        Condition={"StringEquals": {"kms:ViaService": f"sqs.{platform.region}.amazonaws.com"}},
                    ),
                    statement("StartTheWorkflow", ["states:StartSyncExecution"], [workflow.state_machine.arn]),
                    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-logs.html
                    statement(
                        "WritePipeLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{self.log_group.arn}:*"]
                    ),
                ]
            ),
        )
        self.pipe = PipesPipe(
            self,
            "pipe",
            name=name,
            description=f"{service}: batches of {purpose} into {workflow.state_machine.name}",
            role_arn=self.role.arn,
            source=self.queue.arn,
            source_parameters=PipesPipeSourceParameters(
                sqs_queue_parameters=PipesPipeSourceParametersSqsQueueParameters(
                    batch_size=batch_size, maximum_batching_window_in_seconds=batching_window_seconds
                )
            ),
            target=workflow.state_machine.arn,
            target_parameters=PipesPipeTargetParameters(
                step_function_state_machine_parameters=PipesPipeTargetParametersStepFunctionStateMachineParameters(
                    invocation_type="REQUEST_RESPONSE"
                )
            ),
            # ERROR: failed invocations and the reason; no include_execution_data, so no review text is logged.
            log_configuration=PipesPipeLogConfiguration(
                level="ERROR",
                cloudwatch_logs_log_destination=PipesPipeLogConfigurationCloudwatchLogsLogDestination(
                    log_group_arn=self.log_group.arn
                ),
            ),
            # The pipe checks its role's permissions when it is created.
            depends_on=[policy],
        )
