"""Email service: the SES sender identity, a configuration set and the templates in ``contracts/email/``, and
the emails SES accepted but did not deliver.

The thank-you, case-desk and customer-service workflows send through it; each gets an IAM statement
naming only the identity, the configuration set and the templates it uses.

SendEmail answers with a MessageId even for an email SES will not send: a template whose data lacks a
variable fails to render afterwards, and a bounce, complaint or reject comes later still
(https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html, SendEmailResponse). The
configuration set publishes those events to the account's default event bus; a rule there keeps them
in a queue an operator can read, and operations alarms on every match.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cdktf_cdktf_provider_aws.ses_template import SesTemplate
from cdktf_cdktf_provider_aws.sesv2_configuration_set import (
    Sesv2ConfigurationSet,
    Sesv2ConfigurationSetDeliveryOptions,
    Sesv2ConfigurationSetReputationOptions,
    Sesv2ConfigurationSetSendingOptions,
    Sesv2ConfigurationSetSuppressionOptions,
)
from cdktf_cdktf_provider_aws.sesv2_configuration_set_event_destination import (
    Sesv2ConfigurationSetEventDestination,
    Sesv2ConfigurationSetEventDestinationEventDestination,
    Sesv2ConfigurationSetEventDestinationEventDestinationEventBridgeDestination,
)
from cdktf_cdktf_provider_aws.sesv2_email_identity import Sesv2EmailIdentity
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from constructs import Construct

from modules.common import EMAIL_DIR, load_json, statement
from modules.config import EmailSettings
from modules.rule import DefaultEventBus, EventRule
from modules.security import Platform

# The SES event types that mean an accepted email did not reach its recipient, and the detail-type each has
# on the default bus. DELIVERY_DELAY is left out: SES keeps retrying, and a delay that ends in failure
# arrives as a BOUNCE. https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_EventDestination.html,
# https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-ses.html
FAILURE_DETAIL_TYPES: dict[str, str] = {
    "RENDERING_FAILURE": "Email Rendering Failed",
    "BOUNCE": "Email Bounced",
    "COMPLAINT": "Email Complaint Received",
    "REJECT": "Email Rejected",
}
FAILURES_RETENTION_SECONDS = 14 * 24 * 3600


def email_templates() -> dict[str, dict[str, Any]]:
    """Every template of ``contracts/email/``, by file stem."""
    return {path.stem: load_json(path) for path in sorted(EMAIL_DIR.glob("*.json"))}


class Email(Construct):
    """Inputs: ``platform``, ``settings`` (:class:`~modules.config.EmailSettings`: the From address, and whether
      this stack creates its SES identity).
    Defaults: the sender identity is created (SES then emails a verification link to it); TLS
      required for delivery; bounces and complaints suppressed; reputation metrics on; rendering
      failures, bounces, complaints and rejects published to the default event bus, where a rule
      keeps them 14 days in an SQS queue encrypted with the platform key and raises an alarm.
    Exposes: ``configuration_set``, ``identity`` (None when not managed), ``templates`` (by stem),
      ``template_names`` (by stem), ``failure_destination`` (the configuration set's event destination),
      ``failures`` (the queue), ``failures_rule`` (the EventRule on the default bus), ``send_statement(stems)``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform: Platform,
        settings: EmailSettings,
    ):
        super().__init__(scope, id)
        self.platform = platform
        self.sender_email = settings.sender_email
        self.configuration_set = Sesv2ConfigurationSet(
            self,
            "configuration-set",
            configuration_set_name=platform.name("email", "messages"),
            delivery_options=Sesv2ConfigurationSetDeliveryOptions(tls_policy="REQUIRE"),
            reputation_options=Sesv2ConfigurationSetReputationOptions(reputation_metrics_enabled=True),
            sending_options=Sesv2ConfigurationSetSendingOptions(sending_enabled=True),
            suppression_options=Sesv2ConfigurationSetSuppressionOptions(suppressed_reasons=["BOUNCE", "COMPLAINT"]),
        )
        self.identity = (
            Sesv2EmailIdentity(
                self,
                "sender",
                email_identity=self.sender_email,
                configuration_set_name=self.configuration_set.configuration_set_name,
            )
            if settings.manage_sender_identity
            else None
        )
        self.templates: dict[str, SesTemplate] = {}
        self.template_names: dict[str, str] = {}
        for stem, template in email_templates().items():
            name = platform.name("email", stem)
            self.templates[stem] = SesTemplate(
                self,
                f"template-{stem}",
                name=name,
                subject=template["subject"],
                html=template["html"],
                text=template["text"],
            )
            self.template_names[stem] = name

        # SES publishes to the default bus only, with no role of ours: the permission is SES's own.
        # https://docs.aws.amazon.com/ses/latest/dg/monitoring-eventbridge.html
        default_bus = DefaultEventBus.of(platform)
        self.failure_destination = Sesv2ConfigurationSetEventDestination(
            self,
            "failure-destination",
            configuration_set_name=self.configuration_set.configuration_set_name,
            event_destination_name="undelivered-to-eventbridge",
            event_destination=Sesv2ConfigurationSetEventDestinationEventDestination(
                enabled=True,
                matching_event_types=list(FAILURE_DETAIL_TYPES),
                event_bridge_destination=Sesv2ConfigurationSetEventDestinationEventDestinationEventBridgeDestination(
                    event_bus_arn=default_bus.arn
                ),
            ),
        )
        # EventBridge's docs do not say MatchedEvents is published for a rule without a target; a queue also
        # keeps every failed email's event for the operator to read.
        self.failures = SqsQueue(
            self,
            "failures",
            name=platform.name("email", "failures"),
            kms_master_key_id=platform.key_arn,
            message_retention_seconds=FAILURES_RETENTION_SECONDS,
        )
        # The rule is on the default bus, which carries AWS's own events, not the system's: the event catalogue
        # (contracts/events/catalogue.json, modules/routing.py) describes the system's bus only, so it is not there.
        # Every configuration set of the account and region publishes to that bus: match this one's alone.
        self.failures_rule = EventRule(
            self,
            "on-failure",
            platform=platform,
            service="email",
            purpose="on-failure",
            description="Emails SES accepted through this configuration set and did not deliver",
            bus=default_bus,
            pattern={
                "source": ["aws.ses"],
                "detail-type": list(FAILURE_DETAIL_TYPES.values()),
                "detail": {
                    "mail": {"tags": {"ses:configuration-set": [self.configuration_set.configuration_set_name]}}
                },
            },
            target=self.failures,
            match_alarm=(
                "SES accepted an email (SendEmail returned a MessageId) and did not deliver it: a template failed "
                f"to render, or the email bounced, drew a complaint or was rejected. Read the events in SQS queue "
                f"{platform.name('email', 'failures')}: detail.eventType says which, detail.failure.errorMessage "
                "(a template variable the data lacks), detail.bounce or detail.complaint says why. Fix the "
                "workflow's TemplateData or the address, then send the email again."
            ),
        )

    def send_statement(self, stems: Sequence[str]) -> dict[str, Any]:
        """ses:SendEmail through this configuration set, from the sender identity, with these templates.
        https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonses.html"""
        unknown = sorted(set(stems) - set(self.template_names))
        if unknown:
            raise ValueError(f"Email.send_statement: unknown templates {unknown}; known: {sorted(self.template_names)}")
        # An identity managed elsewhere has no resource here: only then is its ARN spelled out.
        identity = (
            self.identity.arn
            if self.identity is not None
            else self.platform.arn("ses", f"identity/{self.sender_email}")
        )
        return statement(
            "SendTemplatedEmail",
            ["ses:SendEmail"],
            [identity, self.configuration_set.arn, *(self.templates[stem].arn for stem in stems)],
            Condition={"StringEquals": {"ses:FromAddress": self.sender_email}},
        )
