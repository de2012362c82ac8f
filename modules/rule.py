"""Building block: an EventBridge rule on the bus delivering to one target, with a dead-letter queue,
a retry policy and a role that may call exactly that target."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_event_bus import CloudwatchEventBus
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetDeadLetterConfig,
    CloudwatchEventTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.kinesis_firehose_delivery_stream import KinesisFirehoseDeliveryStream
from cdktf_cdktf_provider_aws.sfn_state_machine import SfnStateMachine
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from constructs import Construct

from modules import checks
from modules.common import deny_insecure_transport, policy_document, statement, trust_policy
from modules.security import Platform

# What the target's role may do, per kind of target.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
TARGET_ACTIONS: Mapping[type, tuple[str, ...]] = {
    SfnStateMachine: ("states:StartExecution",),
    KinesisFirehoseDeliveryStream: ("firehose:PutRecord", "firehose:PutRecordBatch"),
}
DLQ_RETENTION_SECONDS = 14 * 24 * 3600


class EventRule(Construct):
    """Rule ``{prefix}-{service}-{purpose}`` on ``bus`` matching ``pattern``, delivering to ``target``.

    Inputs:
      bus: the event bus the rule listens on.
      pattern: the EventBridge event pattern, as data (derive it with :func:`modules.routing.rule_pattern`).
      target: a state machine (the role may StartExecution) or a Firehose stream (PutRecord/PutRecordBatch).
      retry_attempts, max_event_age_seconds: EventBridge's retry policy for the target.
    Defaults: 8 attempts within one hour, then the event goes to an SQS dead-letter queue encrypted
      with the platform key, kept 14 days, reachable only over TLS and only by this rule.
    Exposes: ``rule``, ``target``, ``role``, ``dead_letter_queue``, ``pattern``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform: Platform,
        service: str,
        purpose: str,
        description: str,
        bus: CloudwatchEventBus,
        pattern: Mapping[str, Any],
        target: SfnStateMachine | KinesisFirehoseDeliveryStream,
        retry_attempts: int = 8,
        max_event_age_seconds: int = 3600,
    ):
        super().__init__(scope, id)
        actions = next((actions for kind, actions in TARGET_ACTIONS.items() if isinstance(target, kind)), None)
        if actions is None:
            raise TypeError(
                f"EventRule {id}: target must be one of {[kind.__name__ for kind in TARGET_ACTIONS]}, "
                f"got {type(target).__name__}"
            )
        # The bounds of EventBridge's RetryPolicy. https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html
        checks.argument(f"EventRule {id}", "retry_attempts", checks.whole_number, retry_attempts, low=0, high=185)
        checks.argument(
            f"EventRule {id}", "max_event_age_seconds", checks.whole_number, max_event_age_seconds, low=60, high=86400
        )
        if not pattern:
            raise ValueError(f"EventRule {id}: pattern must not be empty")
        name = platform.name(service, purpose)
        self.pattern = dict(pattern)

        self.rule = CloudwatchEventRule(
            self,
            "rule",
            name=name,
            description=description,
            event_bus_name=bus.name,
            event_pattern=json.dumps(self.pattern, sort_keys=True),
        )
        self.dead_letter_queue = SqsQueue(
            self,
            "dlq",
            name=f"{name}-dlq",
            kms_master_key_id=platform.key_arn,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
        )
        SqsQueuePolicy(
            self,
            "dlq-policy",
            queue_url=self.dead_letter_queue.url,
            policy=policy_document(
                [
                    {
                        "Sid": "OnlyThisRuleDeadLetters",
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": self.dead_letter_queue.arn,
                        "Condition": {"ArnEquals": {"aws:SourceArn": self.rule.arn}},
                    },
                    deny_insecure_transport("sqs:*", self.dead_letter_queue.arn),
                ]
            ),
        )
        self.role = IamRole(
            self,
            "role",
            name=f"{name}-events",
            assume_role_policy=trust_policy("events.amazonaws.com", platform.account_id, self.rule.arn),
        )
        IamRolePolicy(
            self,
            "policy",
            name="deliver",
            role=self.role.id,
            policy=policy_document([statement("DeliverToTarget", actions, [target.arn])]),
        )
        self.target = CloudwatchEventTarget(
            self,
            "target",
            rule=self.rule.name,
            event_bus_name=bus.name,
            target_id=purpose,
            arn=target.arn,
            role_arn=self.role.arn,
            dead_letter_config=CloudwatchEventTargetDeadLetterConfig(arn=self.dead_letter_queue.arn),
            retry_policy=CloudwatchEventTargetRetryPolicy(
                maximum_retry_attempts=retry_attempts, maximum_event_age_in_seconds=max_event_age_seconds
            ),
        )
