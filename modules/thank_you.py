"""Thank-you service: every analysed review that does not open a case gets exactly one thank-you
email, guarded by a DynamoDB idempotency table, and a ThankYouSent event."""

from __future__ import annotations

from constructs import Construct

from modules.common import statement, table_key_statement
from modules.config import RoutingSettings, ThankYouSettings
from modules.email import Email
from modules.event_bus import EventBus
from modules.event_workflow import EventTriggeredWorkflow
from modules.security import Platform
from modules.storage import table

SERVICE = "thankyou"
# The source of the events this service publishes (asl/send-thank-you.asl.json, the catalogue).
EVENT_SOURCE = f"reviews.{SERVICE}"


class ThankYou(Construct):
    """Inputs: ``platform``, ``bus``, ``email``, ``routing`` (which analysed reviews are cases),
      ``settings`` (:class:`~modules.config.ThankYouSettings`: how long a review's claim is kept).
    Defaults: EXPRESS workflow ``asl/send-thank-you.asl.json`` started by the rule ``on-review-analysed`` (the
      catalogue's ``not-a-case`` consumer of ReviewAnalysed); on-demand idempotency table keyed by the review id
      (= its idempotency key) with TTL, point-in-time recovery and the platform key.
    Exposes: ``consumer`` (the :class:`EventTriggeredWorkflow`), ``workflow``, ``rule``, ``idempotency_table``.
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
            ],
            description="Thank the reviewer of every analysed review that does not open a case",
            routing=routing,
        )
        self.workflow = self.consumer.workflow
        self.rule = self.consumer.event_rule
