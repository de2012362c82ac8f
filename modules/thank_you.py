"""Thank-you service: every analysed review that does not open a case gets exactly one thank-you
email, guarded by a DynamoDB idempotency table, and a ThankYouSent event."""

from __future__ import annotations

from constructs import Construct

from modules.common import statement, table_key_statement
from modules.config import RoutingSettings, ThankYouSettings
from modules.email import Email
from modules.event_bus import EventBus
from modules.event_workflow import EventTriggeredWorkflow
from modules.recovery import RetryQueue
from modules.rule import private_queue, queue_key_statement
from modules.security import Platform
from modules.storage import table

SERVICE = "thankyou"
# The source of the events this service publishes (asl/send-thank-you.asl.json, the catalogue).
EVENT_SOURCE = f"reviews.{SERVICE}"
# A deferred email waits this long in the retry queue before the recovery workflow may deliver it again (SQS's
# largest DelaySeconds is 900). https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
RETRY_DELAY_SECONDS = 300
RETRY_RETENTION_SECONDS = 14 * 24 * 3600


class ThankYou(Construct):
    """Inputs: ``platform``, ``bus``, ``email``, ``routing`` (which analysed reviews are cases),
      ``settings`` (:class:`~modules.config.ThankYouSettings`: how long a review's claim is kept).
    Defaults: EXPRESS workflow ``asl/send-thank-you.asl.json`` started by the rule ``on-review-analysed`` (the
      catalogue's ``not-a-case`` consumer of ReviewAnalysed); on-demand idempotency table keyed by the review id
      (= its idempotency key) with TTL, point-in-time recovery and the platform key; a retry queue
      ``{prefix}-thankyou-retry`` (platform key, TLS only, 14 days) that an email SES refused for a transient
      reason is deferred to, ``RETRY_DELAY_SECONDS`` later, for the recovery workflow (modules/recovery.py).
    Exposes: ``consumer`` (the :class:`EventTriggeredWorkflow`), ``workflow``, ``rule``, ``idempotency_table``,
      ``retry`` (the :class:`~modules.recovery.RetryQueue`).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform: Platform,
        bus: EventBus,
        email: Email,
        routing: RoutingSettings,
        settings: ThankYouSettings,
    ):
        super().__init__(scope, id)
        self.idempotency_table = table(
            self,
            "idempotency",
            platform=platform,
            name=platform.name(SERVICE, "idempotency"),
            hash_key="idempotencyKey",
            ttl_attribute="expiresAt",
        )
        retry_queue = private_queue(
            self,
            "retry",
            platform=platform,
            name=platform.name(SERVICE, "retry"),
            retention_seconds=RETRY_RETENTION_SECONDS,
            # The recovery's redrive delivers deferred emails again.
            readers=platform.dead_letter_reader_arns,
        )
        self.consumer = EventTriggeredWorkflow(
            self,
            platform=platform,
            bus=bus,
            service=SERVICE,
            rule="on-review-analysed",
            workflow_id="workflow",
            asl="send-thank-you",
            workflow_type="EXPRESS",
            substitutions={
                "EventBusName": bus.bus.name,
                "IdempotencyTableName": self.idempotency_table.name,
                # A DynamoDB Number travels as a string.
                "IdempotencyTtlSeconds": str(settings.idempotency_ttl_hours * 3600),
                "SenderEmail": email.sender_email,
                "ConfigurationSetName": email.configuration_set.configuration_set_name,
                "ThankYouTemplateName": email.template_names["thank-you"],
                "RetryQueueUrl": retry_queue.url,
                "RetryDelaySeconds": RETRY_DELAY_SECONDS,
            },
            statements=[
                statement(
                    "ClaimAndReleaseIdempotencyKeys",
                    ["dynamodb:DeleteItem", "dynamodb:UpdateItem"],
                    [self.idempotency_table.arn],
                ),
                table_key_statement(platform.key_arn, platform.region),
                email.send_statement(["thank-you"]),
                bus.put_events_statement(),
                statement("DeferTransientFailures", ["sqs:SendMessage"], [retry_queue.arn]),
                queue_key_statement(platform.key_arn, platform.region),
            ],
            description="Thank the reviewer of every analysed review that does not open a case",
            routing=routing,
        )
        self.workflow = self.consumer.workflow
        self.rule = self.consumer.event_rule
        self.retry = RetryQueue(queue=retry_queue, target=self.workflow.state_machine)
