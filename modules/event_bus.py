"""Event bus service: the custom bus every service publishes to, its replay archive, and a schema
registry holding the JSON Schema of every event in ``contracts/events/``."""

from __future__ import annotations

import json
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_event_archive import CloudwatchEventArchive
from cdktf_cdktf_provider_aws.cloudwatch_event_bus import CloudwatchEventBus
from cdktf_cdktf_provider_aws.schemas_registry import SchemasRegistry
from cdktf_cdktf_provider_aws.schemas_schema import SchemasSchema
from constructs import Construct

from modules.common import event_catalogue, event_schema, statement
from modules.config import EventBusSettings
from modules.security import Platform

CALLBACK_TOKEN = "callbackToken"


def carries_callback_token(entry: dict[str, Any]) -> bool:
    """Whether the catalogued event's metadata holds a task token (CaseOpened, CaseEscalated): with
    states:SendTaskSuccess it resolves a case with no agent recorded, so it is kept out of the archive."""
    schema = event_schema(entry["schema"])
    metadata = schema["properties"]["detail"]["properties"]["metadata"]
    if "$ref" in metadata:
        metadata = schema["definitions"][metadata["$ref"].removeprefix("#/definitions/")]
    return CALLBACK_TOKEN in metadata.get("properties", {})


def archive_pattern() -> dict[str, list[str]]:
    """The archive's event pattern: every catalogued event but those carrying a callback token. Replaying one of
    those would hand the case desk a token whose task has long been answered or timed out; the case lives on in
    the cases table and the audit trail."""
    kept = [entry for entry in event_catalogue() if not carries_callback_token(entry)]
    return {
        "source": sorted({entry["source"] for entry in kept}),
        "detail-type": sorted(entry["detailType"] for entry in kept),
    }


class EventBus(Construct):
    """Inputs: ``platform``, ``settings`` (:class:`~modules.config.EventBusSettings`: the archive's retention).
    Defaults: an archive, encrypted with the platform key, of every catalogued event that carries no callback
    token (:func:`archive_pattern`), for replay; one registry schema per catalogued event.
    Exposes: ``bus``, ``archive``, ``registry``, ``schemas`` (by detail-type),
    ``put_events_statement()`` for the roles of publishers.
    """

    def __init__(self, scope: Construct, id: str, *, platform: Platform, settings: EventBusSettings):
        super().__init__(scope, id)
        self.bus = CloudwatchEventBus(
            self, "bus", name=platform.name("events", "bus"), description="Review system events"
        )
        self.archive = CloudwatchEventArchive(
            self,
            "archive",
            name=platform.name("events", "archive"),
            description="Every event of the review system but those carrying a callback token, for replay",
            event_source_arn=self.bus.arn,
            event_pattern=json.dumps(archive_pattern(), sort_keys=True),
            retention_days=settings.archive_retention_days,
            # The key policy admits EventBridge for the stack's buses (modules/security.py).
            kms_key_identifier=platform.key_arn,
        )
        self.registry = SchemasRegistry(
            self, "registry", name=platform.name("events", "schemas"), description="Review system event schemas"
        )
        self.schemas: dict[str, SchemasSchema] = {}
        for entry in event_catalogue():
            detail_type = entry["detailType"]
            self.schemas[detail_type] = SchemasSchema(
                self,
                f"schema-{entry['schema']}",
                # Registry schema names: source@DetailType, as EventBridge's discoverer names them.
                name=f"{entry['source']}@{detail_type}",
                registry_name=self.registry.name,
                type="JSONSchemaDraft4",
                description=f"{detail_type} from {entry['source']}; producer: {entry['producer']}",
                content=json.dumps(event_schema(entry["schema"]), sort_keys=True),
            )

    def put_events_statement(self) -> dict[str, object]:
        return statement("PublishEvents", ["events:PutEvents"], [self.bus.arn])
