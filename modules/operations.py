"""Operations service: CloudWatch alarms on everything that can fail quietly, to one encrypted SNS
topic with an email subscription.

Every workflow already logs (level ALL) and traces (X-Ray) through :class:`~modules.workflow.Workflow`;
this construct watches them: dead-letter queues, failed and timed-out executions, failed rule
invocations, rules whose every match is a failure (emails SES accepted and did not deliver), API 5xx
errors and audit delivery to S3.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.api_gateway_rest_api import ApiGatewayRestApi
from cdktf_cdktf_provider_aws.api_gateway_stage import ApiGatewayStage
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.kinesis_firehose_delivery_stream import KinesisFirehoseDeliveryStream
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from constructs import Construct, IConstruct

from modules.common import deny_insecure_transport, policy_document
from modules.config import OperationsSettings
from modules.queued_workflow import QueuedWorkflow
from modules.recovery import Recovery
from modules.rule import EventRule
from modules.security import Platform
from modules.workflow import Workflow

PERIOD_SECONDS = 300
# Audit buffers for up to 5 minutes and retries partitioning for 5 more: older than this is stuck.
MAX_DELIVERY_AGE_SECONDS = 900
# A queued review older than this is not waiting its turn behind a burst any more: the consumer is stuck or far
# too slow (at the default rate limit, 15 minutes drain 225,000 reviews).
MAX_QUEUED_AGE_SECONDS = 900


class Operations(Construct):
    """Alarms for every workflow, rule and dead-letter queue passed in, the API and the audit stream.

    Inputs:
      platform: shared account, region, naming and key.
      settings: :class:`~modules.config.OperationsSettings`: who is told when an alarm fires and when it is OK again.
      api, stage: the REST API and stage whose 5XXError is watched.
      delivery_stream: the audit Firehose stream whose delivery to S3 is watched.
      workflows: every Workflow of the stack: ExecutionsFailed >= 1 and ExecutionsTimedOut >= 1.
      rules: every EventRule of the stack: FailedInvocations >= 1 and, for a dead-letter queue nothing redrives,
        its depth >= 1; and, for a rule with a ``match_alarm``, MatchedEvents >= 1 described by that text.
      recovery: the :class:`~modules.recovery.Recovery` of the stack, or None. A queue it redrives alarms only when
        its oldest message is older than the redrive's horizon (the redrive is not keeping up or not running: a
        transient failure it recovers from pages nobody); its parked queue alarms at depth >= 1 (given up).
      queues: every QueuedWorkflow: its queue's ApproximateAgeOfOldestMessage over MAX_QUEUED_AGE_SECONDS, and its
        dead-letter queue's depth >= 1 (reviews given up after every delivery).
    Defaults: 5-minute periods, one datapoint to alarm, missing data is "not breaching" (no traffic
      is no failure); alarm and OK actions to the topic; topic encrypted with the platform key,
      publishable only by this account's CloudWatch alarms and only over TLS.
    Exposes: ``topic``, ``subscription``, ``alarms`` (by key: ``"<construct path>:<what>"``, such as
      ``"audit/rule:dead-letters"``, ``"email/on-failure:matched"``, ``"api:5xx"``, ``"audit-delivery:failed"``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform: Platform,
        settings: OperationsSettings,
        api: ApiGatewayRestApi,
        stage: ApiGatewayStage,
        delivery_stream: KinesisFirehoseDeliveryStream,
        workflows: Sequence[Workflow],
        rules: Sequence[EventRule],
        recovery: Recovery | None = None,
        queues: Sequence[QueuedWorkflow] = (),
    ):
        super().__init__(scope, id)
        for setting, value, kind in (
            ("api", api, ApiGatewayRestApi),
            ("stage", stage, ApiGatewayStage),
            ("delivery_stream", delivery_stream, KinesisFirehoseDeliveryStream),
        ):
            if not isinstance(value, kind):
                raise TypeError(f"Operations {id}: {setting} must be a {kind.__name__}, got {type(value).__name__}")
        _check_members(id, "workflows", workflows, Workflow)
        _check_members(id, "rules", rules, EventRule)
        if recovery is not None and not isinstance(recovery, Recovery):
            raise TypeError(f"Operations {id}: recovery must be a Recovery or None, got {type(recovery).__name__}")
        _check_members(id, "queues", queues, QueuedWorkflow)
        self._platform = platform

        self.topic = SnsTopic(
            self,
            "topic",
            name=platform.name("operations", "alarms"),
            display_name="Review system alarms",
            kms_master_key_id=platform.key_arn,
        )
        SnsTopicPolicy(
            self,
            "topic-policy",
            arn=self.topic.arn,
            policy=policy_document(
                [
                    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
                    {
                        "Sid": "AlarmsOfThisAccountPublish",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudwatch.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": self.topic.arn,
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": platform.account_id},
                            "ArnLike": {
                                "aws:SourceArn": platform.arn("cloudwatch", f"alarm:{platform.name('operations', '*')}")
                            },
                        },
                    },
                    deny_insecure_transport("sns:Publish", self.topic.arn),
                ]
            ),
        )
        # Email subscriptions stay "pending confirmation" until the recipient clicks the link.
        self.subscription = SnsTopicSubscription(
            self, "email", topic_arn=self.topic.arn, protocol="email", endpoint=settings.alarm_email
        )

        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        redriven = {queue.node.path for queue in recovery.queues} if recovery is not None else set()
        for rule in rules:
            where = _path(rule)
            if rule.dead_letter_queue.node.path in redriven:
                assert recovery is not None
                self._redriven_queue_alarm(f"{where}:dead-letters", rule.dead_letter_queue, recovery)
            else:
                self._queue_alarm(
                    f"{where}:dead-letters",
                    rule.dead_letter_queue,
                    description=(
                        f"Events of rule {where} could not be delivered after every retry and wait in its dead-letter "
                        "queue (kept 14 days). Read one message's ERROR_CODE/ERROR_MESSAGE attributes, fix the target "
                        "or its role, then run python -m ops dlq redrive --queue with the queue's name."
                    ),
                )
            self._alarm(
                f"{where}:failed-invocations",
                namespace="AWS/Events",
                metric="FailedInvocations",
                dimensions=rule.metric_dimensions,
                description=(
                    f"Rule {where} failed to invoke its target. Check the target exists and the rule's role may "
                    "call it; failed events go to the rule's dead-letter queue."
                ),
            )
            if rule.match_alarm is not None:
                self._alarm(
                    f"{where}:matched",
                    namespace="AWS/Events",
                    metric="MatchedEvents",
                    dimensions=rule.metric_dimensions,
                    description=rule.match_alarm,
                )
        for buffer in queues:
            where = _path(buffer)
            self._queue_alarm(
                f"{where}:oldest-message",
                buffer.queue,
                older_than=MAX_QUEUED_AGE_SECONDS,
                description=(
                    f"The oldest message of queue {where} has waited more than {MAX_QUEUED_AGE_SECONDS} seconds. "
                    "Check the pipe is RUNNING and its log group for failed invocations, the workflow's failed "
                    "executions, and whether the rate limit is far below the load."
                ),
            )
            self._queue_alarm(
                f"{where}:dead-letters",
                buffer.dead_letter_queue,
                description=(
                    f"Messages of queue {where} failed every one of their {buffer.max_receive_count} deliveries and "
                    "wait in its dead-letter queue (kept 14 days); a review given up also published "
                    "ReviewAnalysisFailed. Find the cause in the workflow's executions, fix it, then redrive the "
                    "dead-letter queue to its source queue."
                ),
            )
        for workflow in workflows:
            where = _path(workflow)
            arn = workflow.state_machine.arn
            self._alarm(
                f"{where}:executions-failed",
                namespace="AWS/States",
                metric="ExecutionsFailed",
                dimensions={"StateMachineArn": arn},
                description=(
                    f"An execution of workflow {where} failed. Open the failed execution in the Step Functions "
                    "console (or its log group) to find the failing state and its error, fix it, and redrive or "
                    "start the execution again."
                ),
            )
            self._alarm(
                f"{where}:executions-timed-out",
                namespace="AWS/States",
                metric="ExecutionsTimedOut",
                dimensions={"StateMachineArn": arn},
                description=(
                    f"An execution of workflow {where} timed out. Find the state that waited too long in the "
                    "execution history (a task token never returned, a slow service) and restart the execution."
                ),
            )
        if recovery is not None:
            rule_queues = {rule.dead_letter_queue.node.path for rule in rules}
            for queue in recovery.queues:
                if queue.node.path not in rule_queues:
                    self._redriven_queue_alarm(f"{_path(queue)}:waiting", queue, recovery)
            self._queue_alarm(
                "recovery:parked",
                recovery.parked_queue,
                description=(
                    f"The recovery workflow gave up on an event after {recovery.max_redrives} deliveries (or "
                    f"{recovery.max_receives} failed attempts) and parked it, with a DeliveryAbandoned event. Read "
                    "its SOURCE_QUEUE/TARGET_ARN attributes and the target's failed executions, fix the cause, then "
                    "run python -m ops dlq redrive --queue with the parked queue's name."
                ),
            )
        self._alarm(
            "api:5xx",
            namespace="AWS/ApiGateway",
            metric="5XXError",
            dimensions={"ApiName": api.name, "Stage": stage.stage_name},
            description=(
                "The review API answered with a server error. Read the stage's execution logs for the failing "
                "integration (its role, the target service's throttling or an invalid mapping template)."
            ),
        )
        self._alarm(
            "audit-delivery:failed",
            namespace="AWS/Firehose",
            metric="DeliveryToS3.Success",
            dimensions={"DeliveryStreamName": delivery_stream.name},
            statistic="Minimum",
            comparison="LessThanThreshold",
            description=(
                "The audit stream failed to write to S3 (it retries for 24 hours, then records go to errors/). "
                "Read the stream's DestinationDelivery log: usually the role's S3 or KMS permissions."
            ),
        )
        self._alarm(
            "audit-delivery:stale",
            namespace="AWS/Firehose",
            metric="DeliveryToS3.DataFreshness",
            dimensions={"DeliveryStreamName": delivery_stream.name},
            statistic="Maximum",
            comparison="GreaterThanThreshold",
            threshold=MAX_DELIVERY_AGE_SECONDS,
            description=(
                f"Audit records have waited more than {MAX_DELIVERY_AGE_SECONDS} seconds for delivery to S3. "
                "Read the stream's DestinationDelivery log and check the bucket and key still accept its role."
            ),
        )

    def _redriven_queue_alarm(self, key: str, queue: SqsQueue, recovery: Recovery) -> None:
        self._queue_alarm(
            key,
            queue,
            older_than=recovery.redrive_horizon_seconds,
            description=(
                f"A message has waited more than {recovery.redrive_horizon_seconds} seconds in {key.split(':')[0]}, "
                "which the recovery workflow redrives every "
                f"{recovery.interval_minutes} minutes: the redrive is failing or not running. Check the "
                "recovery workflow's executions and its schedule; python -m ops dlq list shows the queues."
            ),
        )

    def _queue_alarm(self, key: str, queue: SqsQueue, *, description: str, older_than: float | None = None) -> None:
        """Any message visible in ``queue`` (each one given up), or, with ``older_than``, its oldest message older than
        that many seconds (the queue is not drained)."""
        threshold: float
        if older_than is None:
            metric, comparison, threshold = "ApproximateNumberOfMessagesVisible", "GreaterThanOrEqualToThreshold", 1
        else:
            metric, comparison, threshold = "ApproximateAgeOfOldestMessage", "GreaterThanThreshold", older_than
        self._alarm(
            key,
            namespace="AWS/SQS",
            metric=metric,
            dimensions={"QueueName": queue.name},
            statistic="Maximum",
            comparison=comparison,
            threshold=threshold,
            description=description,
        )

    def _alarm(
        self,
        key: str,
        *,
        namespace: str,
        metric: str,
        dimensions: Mapping[str, str],
        description: str,
        statistic: str = "Sum",
        comparison: str = "GreaterThanOrEqualToThreshold",
        threshold: float = 1,
    ) -> None:
        slug = re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")
        self.alarms[key] = CloudwatchMetricAlarm(
            self,
            slug,
            alarm_name=self._platform.name("operations", slug),
            alarm_description=description,
            namespace=namespace,
            metric_name=metric,
            dimensions=dict(dimensions),
            statistic=statistic,
            period=PERIOD_SECONDS,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            threshold=threshold,
            comparison_operator=comparison,
            # These metrics are published only when something happens: silence means nothing failed.
            treat_missing_data="notBreaching",
            actions_enabled=True,
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
        )


def _check_members(id: str, setting: str, members: Any, kind: type[Construct]) -> None:
    if isinstance(members, str) or not isinstance(members, Sequence):
        raise TypeError(f"Operations {id}: {setting} must be a list of {kind.__name__}, got {type(members).__name__}")
    seen: set[str] = set()
    for member in members:
        if not isinstance(member, kind):
            raise TypeError(f"Operations {id}: {setting}: {member!r} is not a {kind.__name__}")
        if member.node.path in seen:
            raise ValueError(f"Operations {id}: {setting} lists {member.node.path} twice")
        seen.add(member.node.path)


def _path(construct: IConstruct) -> str:
    """The construct's path inside its stack, such as ``audit/rule``: readable and unique."""
    stack_path = TerraformStack.of(construct).node.path
    return construct.node.path.removeprefix(f"{stack_path}/")
