"""Email service: the SES sender identity, a configuration set and the templates in ``contracts/email/``.

The thank-you, case-desk and customer-service workflows send through it; each gets an IAM statement
naming only the identity, the configuration set and the templates it uses.
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
from cdktf_cdktf_provider_aws.sesv2_email_identity import Sesv2EmailIdentity
from constructs import Construct

from modules.common import EMAIL_DIR, load_json, statement
from modules.config import EmailSettings
from modules.security import Platform


def email_templates() -> dict[str, dict[str, Any]]:
    """Every template of ``contracts/email/``, by file stem."""
    return {path.stem: load_json(path) for path in sorted(EMAIL_DIR.glob("*.json"))}


class Email(Construct):
    """Inputs: ``platform``, ``settings`` (:class:`~modules.config.EmailSettings`: the From address),
      ``manage_sender_identity``.
    Defaults: the sender identity is created (SES then emails a verification link to it); TLS
      required for delivery; bounces and complaints suppressed; reputation metrics on.
    Exposes: ``configuration_set``, ``identity`` (None when not managed), ``templates`` (by stem),
      ``template_names`` (by stem), ``send_statement(stems)``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform: Platform,
        settings: EmailSettings,
        manage_sender_identity: bool = True,
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
            if manage_sender_identity
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
