"""Thank-you service: every analysed review that does not open a case gets exactly one thank-you
email, guarded by a DynamoDB idempotency table, and a ThankYouSent event."""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_event_bus import CloudwatchEventBus
from constructs import Construct

from modules.common import statement, table_key_statement
from modules.email import Email
from modules.rule import EventRule
from modules.security import Platform
from modules.storage import table
from modules.workflow import Workflow


def thank_you_pattern(negative_case_threshold: float) -> dict[str, Any]:
    """Every ReviewAnalysed that the customer-service rule does not take: the two patterns are complements."""
    return {
        "source": ["reviews.analysis"],
        "detail-type": ["ReviewAnalysed"],
        "detail": {
            "data": {
                "$or": [
                    {"sentiment": ["POSITIVE", "NEUTRAL", "MIXED"]},
                    {
                        "sentiment": ["NEGATIVE"],
                        "sentimentScore": {"negative": [{"numeric": ["<", negative_case_threshold]}]},
                    },
                ]
            }
        },
    }


class ThankYou(Construct):
    """Inputs: ``platform``, ``bus``, ``email``, ``negative_case_threshold`` in (0, 1], ``idempotency_ttl_hours``.
    Defaults: EXPRESS workflow ``asl/send-thank-you.asl.json``; on-demand idempotency table keyed by the
      review id (= its idempotency key) with TTL, point-in-time recovery and the platform key.
    Exposes: ``workflow``, ``rule``, ``idempotency_table``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform: Platform,
        bus: CloudwatchEventBus,
        email: Email,
        negative_case_threshold: float,
        idempotency_ttl_hours: int,
    ):
        super().__init__(scope, id)
        if not 0 < negative_case_threshold <= 1:
            raise ValueError(f"ThankYou: negative_case_threshold {negative_case_threshold} must be in (0, 1]")
        if idempotency_ttl_hours < 1:
            raise ValueError(f"ThankYou: idempotency_ttl_hours {idempotency_ttl_hours} must be at least 1")
        self.idempotency_table = table(
            self,
            "idempotency",
            platform=platform,
            name=platform.name("thankyou", "idempotency"),
            hash_key="idempotencyKey",
            ttl_attribute="expiresAt",
        )
        self.workflow = Workflow(
            self,
            "workflow",
            platform=platform,
            service="thankyou",
            purpose="send-thank-you",
            asl="send-thank-you",
            workflow_type="EXPRESS",
            substitutions={
                "EventBusName": bus.name,
                "IdempotencyTableName": self.idempotency_table.name,
                "IdempotencyTtlSeconds": idempotency_ttl_hours * 3600,
                "SenderEmail": email.sender_email,
                "ConfigurationSetName": email.configuration_set.configuration_set_name,
                "ThankYouTemplateName": email.template_names["thank-you"],
            },
            statements=[
                statement(
                    "ClaimAndReleaseIdempotencyKeys",
                    ["dynamodb:DeleteItem", "dynamodb:PutItem"],
                    [self.idempotency_table.arn],
                ),
                table_key_statement(platform.key_arn, platform.region),
                email.send_statement(["thank-you"]),
                statement("PublishEvents", ["events:PutEvents"], [bus.arn]),
            ],
        )
        self.rule = EventRule(
            self,
            "on-review-analysed",
            platform=platform,
            service="thankyou",
            purpose="on-review-analysed",
            description="Thank the reviewer of every analysed review that does not open a case",
            bus_name=bus.name,
            pattern=thank_you_pattern(negative_case_threshold),
            target_kind="states",
            target_arn=self.workflow.state_machine.arn,
        )
