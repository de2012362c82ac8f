"""SES's resources: templates, the SESv2 configuration set, its event destinations (kept by :mod:`.publishing`) and
email identities (verified at once offline)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offline.engine.aws import arn, first, some
from offline.engine.registry import handles
from offline.engine.terraform import Resource
from offline.ses import publishing

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_ses_template")
def _ses_template(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("ses").create_template(
        Template=some(
            TemplateName=config["name"],
            SubjectPart=config.get("subject"),
            TextPart=config.get("text"),
            HtmlPart=config.get("html"),
        )
    )
    return {"id": config["name"], "arn": arn(cloud, "ses", f"template/{config['name']}")}


@handles("aws_sesv2_configuration_set")
def _sesv2_configuration_set(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    name = config["configuration_set_name"]
    delivery = first(config.get("delivery_options"))
    reputation = first(config.get("reputation_options"))
    sending = first(config.get("sending_options"))
    suppression = first(config.get("suppression_options"))
    cloud.client("sesv2").create_configuration_set(
        **some(
            ConfigurationSetName=name,
            DeliveryOptions=some(
                TlsPolicy=delivery.get("tls_policy"), SendingPoolName=delivery.get("sending_pool_name")
            )
            or None,
            ReputationOptions=some(ReputationMetricsEnabled=reputation.get("reputation_metrics_enabled")) or None,
            SendingOptions=some(SendingEnabled=sending.get("sending_enabled")) or None,
            SuppressionOptions=some(SuppressedReasons=suppression.get("suppressed_reasons")) or None,
        )
    )
    return {"id": name, "arn": arn(cloud, "ses", f"configuration-set/{name}")}


@handles("aws_sesv2_configuration_set_event_destination")
def _sesv2_configuration_set_event_destination(
    cloud: OfflineCloud, resource: Resource, config: dict[str, Any]
) -> dict[str, Any]:
    configuration_set = config["configuration_set_name"]
    name = config["event_destination_name"]
    # The configuration set must exist: moto raises SES's NotFoundException otherwise.
    cloud.client("sesv2").get_configuration_set(ConfigurationSetName=configuration_set)
    definition = first(config.get("event_destination"))
    kinds = [key for key, value in definition.items() if key.endswith("_destination") and first(value)]
    publishing.add_destination(
        cloud.account_id,
        cloud.region,
        configuration_set,
        publishing.EventDestination(
            name=name,
            enabled=bool(definition.get("enabled", False)),
            matching_event_types=tuple(definition.get("matching_event_types", ())),
            event_bus_arn=first(definition.get("event_bridge_destination")).get("event_bus_arn", ""),
        ),
        kinds=kinds,
    )
    return {"id": f"{configuration_set}|{name}"}


@handles("aws_sesv2_email_identity")
def _sesv2_email_identity(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    identity = config["email_identity"]
    cloud.client("sesv2").create_email_identity(
        **some(EmailIdentity=identity, ConfigurationSetName=config.get("configuration_set_name"))
    )
    # AWS emails a verification link; offline the identity is verified at once, so sends work.
    cloud.client("ses").verify_email_identity(EmailAddress=identity)
    kind = "EMAIL_ADDRESS" if "@" in identity else "DOMAIN"
    return {
        "id": identity,
        "arn": arn(cloud, "ses", f"identity/{identity}"),
        "identity_type": kind,
        "verified_for_sending_status": True,
    }
