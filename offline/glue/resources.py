"""Glue's resources: Data Catalog databases and tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offline.engine.aws import arn, first, some
from offline.engine.registry import handles
from offline.engine.terraform import Resource

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_glue_catalog_database")
def _glue_database(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("glue").create_database(DatabaseInput=some(Name=config["name"], Description=config.get("description")))
    return {
        "id": f"{cloud.account_id}:{config['name']}",
        "arn": arn(cloud, "glue", f"database/{config['name']}"),
        "catalog_id": cloud.account_id,
    }


@handles("aws_glue_catalog_table", inert="exists; nothing reads it offline")
def _glue_table(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    storage = first(config.get("storage_descriptor"))
    serde = first(storage.get("ser_de_info"))
    cloud.client("glue").create_table(
        DatabaseName=config["database_name"],
        TableInput=some(
            Name=config["name"],
            Description=config.get("description"),
            TableType=config.get("table_type"),
            Parameters=config.get("parameters"),
            PartitionKeys=[some(Name=k["name"], Type=k.get("type")) for k in config.get("partition_keys", [])] or None,
            StorageDescriptor=some(
                Columns=[some(Name=c["name"], Type=c.get("type")) for c in storage.get("columns", [])] or None,
                Location=storage.get("location"),
                InputFormat=storage.get("input_format"),
                OutputFormat=storage.get("output_format"),
                Compressed=storage.get("compressed"),
                SerdeInfo=some(
                    Name=serde.get("name"),
                    SerializationLibrary=serde.get("serialization_library"),
                    Parameters=serde.get("parameters"),
                )
                or None,
            )
            or None,
        ),
    )
    return {
        "id": f"{cloud.account_id}:{config['database_name']}:{config['name']}",
        "arn": arn(cloud, "glue", f"table/{config['database_name']}/{config['name']}"),
    }
