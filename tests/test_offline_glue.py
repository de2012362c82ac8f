"""offline/glue/: Data Catalog databases and tables created from Terraform."""

from __future__ import annotations

from offline.engine.cloud import OfflineCloud
from tests.offline_stacks import small_stack


def test_a_table_is_catalogued_with_its_columns_partitions_and_location():
    document = small_stack(
        {
            "aws_glue_catalog_database": {"d": {"name": "test_audit"}},
            "aws_glue_catalog_table": {
                "t": {
                    "name": "events",
                    "database_name": "${aws_glue_catalog_database.d.name}",
                    "table_type": "EXTERNAL_TABLE",
                    "partition_keys": [{"name": "source", "type": "string"}],
                    "storage_descriptor": {
                        "location": "s3://test-audit/events/",
                        "columns": [{"name": "id", "type": "string"}],
                        "ser_de_info": {"serialization_library": "org.openx.data.jsonserde.JsonSerDe"},
                    },
                }
            },
        }
    )
    with OfflineCloud(document) as running:
        table = running.client("glue").get_table(DatabaseName="test_audit", Name="events")["Table"]
        arn = running.resource("aws_glue_catalog_table", "t")["arn"]
    assert arn.endswith(":table/test_audit/events") and table["PartitionKeys"] == [{"Name": "source", "Type": "string"}]
    assert table["StorageDescriptor"]["Location"] == "s3://test-audit/events/"
