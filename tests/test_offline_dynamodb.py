"""offline/dynamodb/: tables with their indexes, time to live and point-in-time recovery created from Terraform."""

from __future__ import annotations

from offline.engine.cloud import OfflineCloud
from tests.offline_stacks import small_stack

TABLE = {
    "name": "test-cases",
    "billing_mode": "PAY_PER_REQUEST",
    "hash_key": "caseId",
    "attribute": [{"name": "caseId", "type": "S"}, {"name": "status", "type": "S"}],
    "global_secondary_index": [
        {"name": "by-status", "hash_key": "status", "range_key": "caseId", "projection_type": "KEYS_ONLY"}
    ],
    "ttl": {"enabled": True, "attribute_name": "expiresAt"},
    "point_in_time_recovery": {"enabled": True},
    "server_side_encryption": {"enabled": True},
}


def test_a_table_gets_its_index_its_time_to_live_and_its_backups():
    with OfflineCloud(small_stack({"aws_dynamodb_table": {"t": TABLE}})) as running:
        dynamodb = running.client("dynamodb")
        table = dynamodb.describe_table(TableName="test-cases")["Table"]
        ttl = dynamodb.describe_time_to_live(TableName="test-cases")["TimeToLiveDescription"]
        backups = dynamodb.describe_continuous_backups(TableName="test-cases")["ContinuousBackupsDescription"]
        arn = running.resource("aws_dynamodb_table", "t")["arn"]
    [index] = table["GlobalSecondaryIndexes"]
    assert arn == table["TableArn"] and index["KeySchema"][1] == {"AttributeName": "caseId", "KeyType": "RANGE"}
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
