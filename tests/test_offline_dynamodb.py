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


# --- conditional writes are atomic, as DynamoDB's are ------------------------------------------------


def _race_of_conditional_puts(writers: int) -> int:
    """How many of ``writers`` concurrent PutItems with attribute_not_exists on one key succeed, with moto's
    condition check slowed so that every writer checks before any writes (the window threads can meet in)."""
    import threading
    import time
    from unittest import mock

    import boto3
    from botocore.exceptions import ClientError
    from moto.dynamodb.models.table import Table

    check = Table.get_item

    def slow_check(self, *args, **kwargs):
        found = check(self, *args, **kwargs)
        time.sleep(0.05)
        return found

    client = boto3.client("dynamodb", region_name="eu-west-1")
    client.create_table(
        TableName="race",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    won: list[int] = []
    start = threading.Barrier(writers)

    def put(writer: int) -> None:
        start.wait()
        try:
            client.put_item(
                TableName="race",
                Item={"k": {"S": "one"}, "writer": {"N": str(writer)}},
                ConditionExpression="attribute_not_exists(k)",
            )
            won.append(writer)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"

    with mock.patch.object(Table, "get_item", slow_check):
        threads = [threading.Thread(target=put, args=(n,)) for n in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return len(won)


def test_moto_alone_lets_two_concurrent_conditional_puts_both_win():
    from moto import mock_aws

    with mock_aws():
        assert _race_of_conditional_puts(4) > 1


def test_with_atomic_writes_exactly_one_concurrent_conditional_put_wins():
    from moto import mock_aws

    from offline.dynamodb.fixes import atomic_writes

    with mock_aws(), atomic_writes():
        assert _race_of_conditional_puts(4) == 1


def test_of_conditional_writes_racing_on_one_item_exactly_one_wins():
    import time
    from concurrent.futures import ThreadPoolExecutor
    from unittest import mock

    import boto3
    import moto.dynamodb.models as models
    from botocore.exceptions import ClientError
    from moto import mock_aws

    from offline.dynamodb.fixes import atomic_writes

    validator = models.UpdateExpressionValidator

    def slowly(*args, **kwargs):
        # Widens the gap between moto's condition check and its write, so that a race is all but certain.
        time.sleep(0.02)
        return validator(*args, **kwargs)

    with mock_aws(), mock.patch.object(models, "UpdateExpressionValidator", slowly), atomic_writes():
        dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
        dynamodb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.put_item(TableName="t", Item={"k": {"S": "case"}, "token": {"S": "t-1"}})

        def claim(i: int) -> str:
            try:
                dynamodb.update_item(
                    TableName="t",
                    Key={"k": {"S": "case"}},
                    UpdateExpression="SET winner = :me REMOVE #token",
                    ConditionExpression="#token = :token",
                    ExpressionAttributeNames={"#token": "token"},
                    ExpressionAttributeValues={":me": {"S": str(i)}, ":token": {"S": "t-1"}},
                )
                return "won"
            except ClientError as error:
                return error.response["Error"]["Code"]

        for _ in range(5):
            dynamodb.put_item(TableName="t", Item={"k": {"S": "case"}, "token": {"S": "t-1"}})
            with ThreadPoolExecutor(max_workers=16) as pool:
                outcomes = sorted(pool.map(claim, range(16)))
            assert outcomes == ["ConditionalCheckFailedException"] * 15 + ["won"]
