"""EventBridge Schemas' resources. moto has no ``schemas`` service: registries and schemas are kept by the offline
cloud itself (:mod:`offline.schemas.validation`), and every event put on a bus is checked against them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from offline.engine.aws import arn
from offline.engine.registry import handles
from offline.engine.terraform import Resource, TerraformError

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_schemas_registry")
def _schemas_registry(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    return {"arn": arn(cloud, "schemas", f"registry/{config['name']}"), "id": config["name"]}


@handles("aws_schemas_schema")
def _schemas_schema(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    if config["type"] != "JSONSchemaDraft4":
        raise TerraformError(f"{resource}: schema type {config['type']} is not validated offline (JSONSchemaDraft4 is)")
    cloud.schema_registry.register(config["name"], json.loads(config["content"]))
    registry = config["registry_name"]
    return {
        "arn": arn(cloud, "schemas", f"schema/{registry}/{config['name']}"),
        "id": f"{config['name']}/{registry}",
        "version": "1",
        "version_created_date": datetime.now(UTC).isoformat(),
    }
