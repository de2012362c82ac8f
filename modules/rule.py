"""Building block: an EventBridge rule on a bus delivering to one target, with a dead-letter queue, a retry
policy and exactly the permission to reach that target: a role for a state machine or a Firehose stream, the
queue's own policy for an SQS queue."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_event_bus import CloudwatchEventBus
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetDeadLetterConfig,
    CloudwatchEventTargetInputTransformer,
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

# What the target's role may do, per kind of target reached through a role. EventBridge reaches an SQS queue
# through the queue's resource-based policy instead, with no role.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
TARGET_ACTIONS: Mapping[type, tuple[str, ...]] = {
    SfnStateMachine: ("states:StartExecution",),
    KinesisFirehoseDeliveryStream: ("firehose:PutRecord", "firehose:PutRecordBatch"),
}
TARGET_KINDS: tuple[type, ...] = (*TARGET_ACTIONS, SqsQueue)
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
DEFAULT_BUS_NAME = "default"


@dataclass(frozen=True)
class DefaultEventBus:
    """The account's default event bus in the platform's region: it exists in every account and region, no stack
    creates it, and AWS services (SES event destinations among them) publish only to it."""

    name: str
    arn: str

    @classmethod
    def of(cls, platform: Platform) -> DefaultEventBus:
        return cls(name=DEFAULT_BUS_NAME, arn=platform.arn("events", f"event-bus/{DEFAULT_BUS_NAME}"))


class EventRule(Construct):
    """Rule ``{prefix}-{service}-{purpose}`` on ``bus`` matching ``pattern``, delivering to ``target``.

    Inputs:
      bus: the event bus the rule listens on: one of the stack's, or the account's :class:`DefaultEventBus`.
      pattern: the EventBridge event pattern, as data (derive it with :func:`modules.routing.rule_pattern`).
      target: a state machine (the role may StartExecution), a Firehose stream (PutRecordBatch/PutRecord) or an
        SQS queue (no role: the rule gives the queue its policy, so the queue must have no other).
      retry_attempts, max_event_age_seconds: EventBridge's retry policy for the target.
      match_alarm: when given, every event the rule matches is a failure: operations alarms on the rule's
        MatchedEvents with this text (what happened, what to do) as the alarm's description.
    Defaults: 8 attempts within one hour, then the event goes to an SQS dead-letter queue encrypted
      with the platform key, kept 14 days, reachable only over TLS, written only by this rule and read only
      by the platform's operator role and its dead-letter readers (a queue target gets the same policy, read by
      the operator and ``target_readers``, the roles that consume it); no match alarm.
      input_transformer: ``{"inputPaths", "inputTemplate"}``, what the target receives instead of the event
        (EventBridge's InputTransformer); None, the event as it is.
    Exposes: ``rule``, ``target``, ``role`` (None for a queue), ``target_policy`` (the queue's policy, None
      otherwise), ``dead_letter_queue``, ``destination`` (the target resource), ``pattern``, ``bus``, ``match_alarm``,
      ``metric_dimensions``.
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
        bus: CloudwatchEventBus | DefaultEventBus,
        pattern: Mapping[str, Any],
        target: SfnStateMachine | KinesisFirehoseDeliveryStream | SqsQueue,
        retry_attempts: int = 8,
        max_event_age_seconds: int = 3600,
        match_alarm: str | None = None,
        input_transformer: Mapping[str, Any] | None = None,
        target_readers: Sequence[str] = (),
    ):
        super().__init__(scope, id)
        if not isinstance(target, TARGET_KINDS):
            raise TypeError(
                f"EventRule {id}: target must be one of {[kind.__name__ for kind in TARGET_KINDS]}, "
                f"got {type(target).__name__}"
            )
        if not isinstance(bus, CloudwatchEventBus | DefaultEventBus):
            raise TypeError(
                f"EventRule {id}: bus must be a CloudwatchEventBus or the DefaultEventBus, got {type(bus).__name__}"
            )
        if match_alarm is not None and not match_alarm.strip():
            raise ValueError(f"EventRule {id}: match_alarm must say what a match means and what to do, or be None")
        # The bounds of EventBridge's RetryPolicy. https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html
        checks.argument(f"EventRule {id}", "retry_attempts", checks.whole_number, retry_attempts, low=0, high=185)
        checks.argument(
            f"EventRule {id}", "max_event_age_seconds", checks.whole_number, max_event_age_seconds, low=60, high=86400
        )
        if not pattern:
            raise ValueError(f"EventRule {id}: pattern must not be empty")
        name = platform.name(service, purpose)
        self.pattern = dict(pattern)
        self.bus = bus
        self.destination = target
        self.match_alarm = match_alarm

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
        # A workflow's dead letters are delivered again by the recovery's redrive; the others only by the operator.
        dead_letter_readers = platform.dead_letter_reader_arns if isinstance(target, SfnStateMachine) else ()
        self._admit_only_this_rule(
            "dlq-policy", self.dead_letter_queue, "OnlyThisRuleDeadLetters", platform, dead_letter_readers
        )
        self.role: IamRole | None = None
        self.target_policy: SqsQueuePolicy | None = None
        if isinstance(target, SqsQueue):
            self.target_policy = self._admit_only_this_rule(
                "target-policy", target, "OnlyThisRuleSends", platform, target_readers
            )
        else:
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
                policy=policy_document([statement("DeliverToTarget", _actions_for(target), [target.arn])]),
            )
        self.target = CloudwatchEventTarget(
            self,
            "target",
            rule=self.rule.name,
            event_bus_name=bus.name,
            target_id=purpose,
            arn=target.arn,
            role_arn=self.role.arn if self.role is not None else None,
            dead_letter_config=CloudwatchEventTargetDeadLetterConfig(arn=self.dead_letter_queue.arn),
            retry_policy=CloudwatchEventTargetRetryPolicy(
                maximum_retry_attempts=retry_attempts, maximum_event_age_in_seconds=max_event_age_seconds
            ),
            input_transformer=(
                CloudwatchEventTargetInputTransformer(
                    input_paths=dict(input_transformer["inputPaths"]),
                    input_template=input_transformer["inputTemplate"],
                )
                if input_transformer is not None
                else None
            ),
        )

    @property
    def metric_dimensions(self) -> dict[str, str]:
        """The rule's AWS/Events metric dimensions: a rule on the default bus is named by RuleName alone.
        https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html"""
        if isinstance(self.bus, DefaultEventBus):
            return {"RuleName": self.rule.name}
        return {"RuleName": self.rule.name, "EventBusName": self.rule.event_bus_name}

    def _admit_only_this_rule(
        self, id: str, queue: SqsQueue, sid: str, platform: Platform, readers: Sequence[str]
    ) -> SqsQueuePolicy:
        """The queue's policy: only this rule sends, only the platform's operator role receives (a dead letter is
        the whole event, a case's callback token and a reviewer's name and email included), only over TLS."""
        return SqsQueuePolicy(
            self,
            id,
            queue_url=queue.url,
            policy=policy_document(
                [
                    {
                        "Sid": sid,
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": queue.arn,
                        "Condition": {"ArnEquals": {"aws:SourceArn": self.rule.arn}},
                    },
                    only_these_receive(queue.arn, platform, readers),
                    deny_insecure_transport("sqs:*", queue.arn),
                ]
            ),
        )


def only_these_receive(queue_arn: str, platform: Platform, readers: Sequence[str] = ()) -> dict[str, Any]:
    """The queue policy statement that lets only the operator role and ``readers`` receive its messages (a dead
    letter is the whole event, a reviewer's name and email included). A Deny beats any identity policy of the
    account, administrators' included; a negated operator with several values holds when the key matches none.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html"""
    principals = [platform.operator_role_arn, *readers]
    return {
        "Sid": "OnlyTheOperatorReceives",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:ReceiveMessage",
        "Resource": queue_arn,
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": principals[0] if len(principals) == 1 else principals}},
    }


def private_queue(
    scope: Construct,
    id: str,
    *,
    platform: Platform,
    name: str,
    retention_seconds: int,
    readers: Sequence[str] = (),
) -> SqsQueue:
    """An SQS queue encrypted with the platform key, reachable only over TLS, for this account's roles alone (a
    role needs its own policy and the key, :func:`queue_key_statement`); only the operator and ``readers`` may
    receive its messages."""
    queue = SqsQueue(
        scope, id, name=name, kms_master_key_id=platform.key_arn, message_retention_seconds=retention_seconds
    )
    SqsQueuePolicy(
        scope,
        f"{id}-policy",
        queue_url=queue.url,
        policy=policy_document(
            [only_these_receive(queue.arn, platform, readers), deny_insecure_transport("sqs:*", queue.arn)]
        ),
    )
    return queue


def queue_key_statement(key_arn: str, region: str) -> dict[str, Any]:
    """What a sender or reader of a queue encrypted with the platform key needs of the key, and only through SQS.
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html"""
    return statement(
        "UseQueueKeyThroughSqs",
        ["kms:Decrypt", "kms:GenerateDataKey"],
        [key_arn],
        Condition={"StringEquals": {"kms:ViaService": f"sqs.{region}.amazonaws.com"}},
    )


def _actions_for(target: SfnStateMachine | KinesisFirehoseDeliveryStream) -> tuple[str, ...]:
    return next(actions for kind, actions in TARGET_ACTIONS.items() if isinstance(target, kind))
