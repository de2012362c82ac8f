"""Recovery service: transient failures are retried later by the system itself, bounded, then given up loudly.

Why this design (Lambda-free, and cheap when nothing fails):

- Every workflow the bus starts that can fail for a transient reason is EXPRESS (analysis, thank-you, case desk):
  an execution lasts at most five minutes, so a retry that must wait longer cannot wait inside it, and a STANDARD
  workflow with hours of Retry backoff would bill every state transition of every review (about 100 times the
  Express cost per review in bench/offline_bench.py's model). Waiting therefore happens in SQS, which is free while
  it waits: EventBridge's dead-letter queues (an event its target refused after the rule's retries) and the
  thank-you's retry queue (an email SES throttled past the workflow's retries, sent with a delay).
- One EXPRESS workflow, ``asl/redrive-dead-letters.asl.json``, started by an EventBridge Scheduler schedule every
  ``interval_minutes``, reads those queues and delivers each message again to the Step Functions target its
  ``TARGET_ARN`` attribute names (the attributes EventBridge writes:
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html), with ``redrive.attempts`` added to
  the event so that a target failing again can say how often it was tried. An idle run costs one Express request
  and one ReceiveMessage per queue.
- Bounded twice: an event delivered ``max_redrives`` times, or a message the workflow failed to deliver
  ``max_receives`` times (SQS's ApproximateReceiveCount), is parked in ``{prefix}-recovery-parked`` (14 days,
  alarmed by operations) and announced as DeliveryAbandoned on the bus (so the audit trail and ``python -m ops
  timeline`` show it). What is parked needs an operator: ``python -m ops dlq redrive --queue ...-recovery-parked``.
- The audit's Firehose target is not redriven here: its rule reshapes events with an input transformer
  (contracts/events/audit-record.json) that this workflow would have to copy; its dead-letter queue keeps its
  immediate alarm and ``python -m ops dlq redrive`` applies the transformer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.scheduler_schedule import (
    SchedulerSchedule,
    SchedulerScheduleFlexibleTimeWindow,
    SchedulerScheduleTarget,
    SchedulerScheduleTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.sfn_state_machine import SfnStateMachine
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from constructs import Construct

from modules import checks
from modules.common import policy_document, statement, trust_policy
from modules.event_bus import EventBus
from modules.rule import EventRule, private_queue, queue_key_statement
from modules.security import Platform
from modules.workflow import Workflow

SERVICE = "recovery"
PURPOSE = "redrive-dead-letters"
EVENT_SOURCE = f"reviews.{SERVICE}"
PARKED_RETENTION_SECONDS = 14 * 24 * 3600


@dataclass(frozen=True)
class RetryQueue:
    """A queue a workflow sends its own transient failures to, as EventBridge's dead letters look: the body the
    event, ``TARGET_ARN`` the workflow itself, ``REDRIVE_ATTEMPTS`` how often it was redriven."""

    queue: SqsQueue
    target: SfnStateMachine


class Recovery(Construct):
    """The scheduled redrive of dead-letter and retry queues (see the module docstring).

    Inputs:
      platform, bus: shared naming and key; the bus DeliveryAbandoned is published on.
      rules: every EventRule whose dead letters are redriven: those with a Step Functions target (others are
        refused with their name).
      retry_queues: :class:`RetryQueue` of workflows that defer their own transient failures.
      interval_minutes: how often the redrive runs (1-60, default 5).
      max_redrives: deliveries of one event before it is parked (1-20, default 3).
      max_receives: failed attempts to deliver one message before it is parked (1-20, default 5).
    Defaults: EXPRESS workflow ``asl/redrive-dead-letters.asl.json``; a visibility timeout of 10 minutes (twice an
      Express execution's longest run); an EventBridge Scheduler schedule with no flexible window and no retries
      (a missed run is the next run's work); the parked queue encrypted with the platform key, TLS only, 14 days.
    Exposes: ``workflow``, ``state_machine``, ``parked_queue``, ``schedule``, ``schedule_role``, ``queues`` (every
      redriven queue), ``interval_minutes``, ``max_redrives``, ``max_receives``, ``redrive_horizon_seconds`` (how
      long a message can stay in a redriven queue while the redrive works).
    """

    @staticmethod
    def redrive_role_arn(platform: Platform) -> str:
        """The redrive workflow's role, which the dead-letter queues' policies let receive before it exists."""
        return platform.role_arn(Workflow.role_name(platform, SERVICE, PURPOSE))

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform: Platform,
        bus: EventBus,
        rules: Sequence[EventRule],
        retry_queues: Sequence[RetryQueue],
        interval_minutes: int = 5,
        max_redrives: int = 3,
        max_receives: int = 5,
    ):
        super().__init__(scope, id)
        where = f"Recovery {id}"
        checks.argument(where, "interval_minutes", checks.whole_number, interval_minutes, low=1, high=60)
        checks.argument(where, "max_redrives", checks.whole_number, max_redrives, low=1, high=20)
        checks.argument(where, "max_receives", checks.whole_number, max_receives, low=1, high=20)
        for rule in rules:
            if not isinstance(rule, EventRule) or not isinstance(rule.destination, SfnStateMachine):
                raise TypeError(f"{where}: rules: {getattr(rule, 'node', rule)} is not an EventRule to a state machine")
        for retry in retry_queues:
            if not isinstance(retry, RetryQueue):
                raise TypeError(f"{where}: retry_queues: {retry!r} is not a RetryQueue")
        if not rules and not retry_queues:
            raise ValueError(f"{where}: rules and retry_queues are both empty: there is nothing to redrive")
        self.interval_minutes = interval_minutes
        self.max_redrives = max_redrives
        self.max_receives = max_receives
        # A message waits up to one interval to be read, then up to max_receives more when its delivery fails.
        self.redrive_horizon_seconds = (max_receives + 1) * interval_minutes * 60
        visibility_timeout = 600

        self.parked_queue = private_queue(
            self,
            "parked",
            platform=platform,
            name=platform.name(SERVICE, "parked"),
            retention_seconds=PARKED_RETENTION_SECONDS,
        )
        self.queues: list[SqsQueue] = [rule.dead_letter_queue for rule in rules] + [r.queue for r in retry_queues]
        targets = [rule.destination.arn for rule in rules if isinstance(rule.destination, SfnStateMachine)]
        targets += [retry.target.arn for retry in retry_queues]
        self.workflow = Workflow(
            self,
            "workflow",
            platform=platform,
            service=SERVICE,
            purpose=PURPOSE,
            asl="redrive-dead-letters",
            workflow_type="EXPRESS",
            substitutions={
                "QueueUrls": [queue.url for queue in self.queues],
                "ParkedQueueUrl": self.parked_queue.url,
                "EventBusName": bus.bus.name,
                "MaxRedrives": max_redrives,
                "MaxReceives": max_receives,
                "VisibilityTimeoutSeconds": visibility_timeout,
            },
            statements=[
                statement(
                    "ReadAndDeleteDeadLetters",
                    ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
                    [queue.arn for queue in self.queues],
                ),
                statement("Park", ["sqs:SendMessage"], [self.parked_queue.arn]),
                queue_key_statement(platform.key_arn, platform.region),
                # Only the targets the redriven rules and retry queues name; TARGET_ARN comes from the message.
                statement("DeliverAgain", ["states:StartExecution"], sorted(set(targets), key=str)),
                bus.put_events_statement(),
            ],
        )
        self.state_machine = self.workflow.state_machine

        name = platform.name(SERVICE, "redrive")
        self.schedule_role = IamRole(
            self,
            "schedule-role",
            name=f"{name}-scheduler",
            assume_role_policy=trust_policy("scheduler.amazonaws.com", platform.account_id),
        )
        IamRolePolicy(
            self,
            "schedule-policy",
            name="start-redrive",
            role=self.schedule_role.id,
            # https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role
            policy=policy_document(
                [
                    statement("StartRedrive", ["states:StartExecution"], [self.state_machine.arn]),
                    # The schedule is encrypted with the platform key: its role decrypts it to start the target.
                    statement("ReadTheSchedule", ["kms:Decrypt"], [platform.key_arn]),
                ]
            ),
        )
        self.schedule = SchedulerSchedule(
            self,
            "schedule",
            name=name,
            description="Deliver dead-lettered and deferred events again, bounded; park what keeps failing",
            schedule_expression=f"rate({interval_minutes} minutes)",
            flexible_time_window=SchedulerScheduleFlexibleTimeWindow(mode="OFF"),
            kms_key_arn=platform.key_arn,
            target=SchedulerScheduleTarget(
                arn=self.state_machine.arn,
                role_arn=self.schedule_role.arn,
                input=json.dumps({}),
                retry_policy=SchedulerScheduleTargetRetryPolicy(
                    maximum_retry_attempts=0, maximum_event_age_in_seconds=60
                ),
            ),
        )
