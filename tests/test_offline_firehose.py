"""offline/firehose/: Firehose's processors, dynamic partitioning, error output and compression on moto's S3."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from offline.engine.cloud import OfflineCloud
from offline.firehose.delivery import FirehoseError, OfflineFirehose
from tests.offline_stacks import small_stack

REGION = "eu-west-1"
BUCKET = "audit-bucket"
ARRIVAL = datetime(2026, 11, 27, 9, 30, 15, tzinfo=UTC)
PARTITIONED = {
    "Prefix": "events/source=!{partitionKeyFromQuery:source}/date=!{timestamp:yyyy}-!{timestamp:MM}-!{timestamp:dd}/",
    "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/date=!{timestamp:yyyy}-!{timestamp:MM}-!{timestamp:dd}/",
    "DynamicPartitioningConfiguration": {"Enabled": True},
    "ProcessingConfiguration": {
        "Enabled": True,
        "Processors": [
            {
                "Type": "MetadataExtraction",
                "Parameters": [
                    {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{source: .source}"},
                    {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
                ],
            },
            {"Type": "AppendDelimiterToRecord", "Parameters": []},
        ],
    },
}


class Stream:
    """One moto delivery stream whose S3 deliveries the offline Firehose handles."""

    def __init__(self, firehose: OfflineFirehose, name: str, destination: dict[str, Any]):
        self.firehose, self.name = firehose, name
        self.client = boto3.client("firehose", region_name=REGION)
        self.client.create_delivery_stream(
            DeliveryStreamName=name,
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/firehose",
                "BucketARN": f"arn:aws:s3:::{BUCKET}",
                **destination,
            },
        )

    def put(self, *records: Any) -> None:
        for record in records:
            data = record if isinstance(record, bytes) else json.dumps(record).encode()
            self.client.put_record(DeliveryStreamName=self.name, Record={"Data": data})

    def objects(self) -> dict[str, bytes]:
        s3 = boto3.client("s3", region_name=REGION)
        keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        return {key: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys}


@pytest.fixture
def firehose() -> Iterator[OfflineFirehose]:
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        offline = OfflineFirehose(region=REGION, clock=lambda: ARRIVAL)
        with offline.installed():
            yield offline


def event(source: str = "reviews.frontend", **extra: Any) -> dict[str, Any]:
    return {"source": source, "detail-type": "ReviewSubmitted", "detail": {"n": 1}, **extra}


def test_records_wait_in_the_buffer_until_a_flush(firehose):
    stream = Stream(firehose, "s", PARTITIONED)
    stream.put(event())
    assert (stream.objects(), firehose.pending()) == ({}, 1)


def test_append_delimiter_writes_one_record_a_line(firehose):
    stream = Stream(firehose, "s", PARTITIONED)
    stream.put(event(id="1"), event(id="2"))
    firehose.flush()
    [body] = stream.objects().values()
    assert [json.loads(line)["id"] for line in body.decode().splitlines()] == ["1", "2"]


def test_without_append_delimiter_records_are_concatenated(firehose):
    stream = Stream(firehose, "s", {"Prefix": "raw/"})
    stream.put(b"ab", b"cd")
    firehose.flush()
    [body] = stream.objects().values()
    assert body == b"abcd"


def test_a_record_lands_under_its_partition_key_and_arrival_date(firehose):
    stream = Stream(firehose, "audit", PARTITIONED)
    stream.put(event("reviews.analysis"))
    firehose.flush()
    [key] = stream.objects()
    assert key.startswith("events/source=reviews.analysis/date=2026-11-27/audit-1-2026-11-27-09-30-15-")


def test_a_flush_writes_one_object_per_partition(firehose):
    stream = Stream(firehose, "s", PARTITIONED)
    stream.put(event("a"), event("b"), event("a"))
    firehose.flush()
    lines = {key.split("/")[1]: len(body.splitlines()) for key, body in stream.objects().items()}
    assert lines == {"source=a": 2, "source=b": 1}


def test_each_flush_writes_new_objects(firehose):
    stream = Stream(firehose, "s", PARTITIONED)
    stream.put(event())
    firehose.flush()
    stream.put(event())
    firehose.flush()
    assert len(stream.objects()) == 2


def test_a_record_without_its_partition_key_goes_to_the_error_prefix(firehose):
    stream = Stream(firehose, "s", PARTITIONED)
    stream.put({"detail-type": "NoSource"})
    firehose.flush()
    [key] = stream.objects()
    assert key.startswith("errors/partitioning-failed/date=2026-11-27/")


def test_a_failed_record_keeps_its_raw_data_and_error_code(firehose):
    stream = Stream(firehose, "s", PARTITIONED)
    stream.put(b"not json")
    firehose.flush()
    [body] = stream.objects().values()
    document = json.loads(body)
    assert document["errorCode"] == "DynamicPartitioning.MetadataExtractionFailed"
    assert base64.b64decode(document["rawData"]) == b"not json"


def test_gzip_compresses_objects_and_names_them_gz(firehose):
    stream = Stream(firehose, "s", {**PARTITIONED, "CompressionFormat": "GZIP"})
    stream.put(event())
    firehose.flush()
    [(key, body)] = stream.objects().items()
    assert key.endswith(".gz") and json.loads(gzip.decompress(body))["source"] == "reviews.frontend"


def test_a_prefix_without_expressions_gets_the_default_hour_folders(firehose):
    stream = Stream(firehose, "s", {"Prefix": "raw/"})
    stream.put(b"x")
    firehose.flush()
    [key] = stream.objects()
    assert key.startswith("raw/2026/11/27/09/s-1-")


def test_every_object_written_is_logged(firehose):
    stream = Stream(firehose, "s", PARTITIONED)
    stream.put(event(), {"no": "source"})
    firehose.flush()
    assert sorted((o.records, o.error_output_type or "") for o in firehose.delivered) == [
        (1, ""),
        (1, "partitioning-failed"),
    ]


def test_a_full_buffer_is_flushed_without_waiting(firehose):
    stream = Stream(firehose, "s", {"Prefix": "raw/", "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}})
    stream.put(b"x" * (1024 * 1024))
    assert len(stream.objects()) == 1


def test_a_processor_not_modelled_offline_is_an_error_naming_it():
    lambda_processing = {"ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "Lambda"}]}}
    with pytest.raises(FirehoseError, match="Lambda"):
        OfflineFirehose.check("s", {"BucketARN": f"arn:aws:s3:::{BUCKET}", **lambda_processing})


def test_a_jq_query_of_another_form_is_an_error_naming_it():
    processing = json.loads(json.dumps(PARTITIONED))
    processing["ProcessingConfiguration"]["Processors"][0]["Parameters"][0]["ParameterValue"] = ".source | ascii"
    with pytest.raises(FirehoseError, match="ascii"):
        OfflineFirehose.check("s", {"BucketARN": f"arn:aws:s3:::{BUCKET}", **processing})


def test_a_partition_key_no_query_yields_is_an_error_naming_it():
    destination = {**PARTITIONED, "Prefix": "events/!{partitionKeyFromQuery:tenant}/"}
    with pytest.raises(FirehoseError, match="tenant"):
        OfflineFirehose.check("s", {"BucketARN": f"arn:aws:s3:::{BUCKET}", **destination})


# --- the delivery stream resource ------------------------------------------------------------------


def stream_stack(**extended_s3: Any) -> dict[str, Any]:
    return small_stack(
        {
            "aws_s3_bucket": {"b": {"bucket": "test-audit"}},
            "aws_kinesis_firehose_delivery_stream": {
                "s": {
                    "name": "test-stream",
                    "destination": "extended_s3",
                    "extended_s3_configuration": {
                        "bucket_arn": "${aws_s3_bucket.b.arn}",
                        "role_arn": "arn:aws:iam::123456789012:role/firehose",
                        "prefix": "events/",
                        "buffering_interval": 60,
                        "compression_format": "GZIP",
                        **extended_s3,
                    },
                }
            },
        }
    )


def test_a_stream_from_terraform_delivers_to_its_bucket():
    with OfflineCloud(stream_stack()) as running:
        stream = running.resource("aws_kinesis_firehose_delivery_stream", "s")
        running.client("firehose").put_record(DeliveryStreamName="test-stream", Record={"Data": b'{"a": 1}\n'})
        running.flush_firehose()
        [(key, body)] = running.objects("test-audit", "events/").items()
    assert stream["arn"].endswith(":deliverystream/test-stream") and stream["version_id"]
    assert key.endswith(".gz") and json.loads(body) == {"a": 1}


def test_a_setting_not_modelled_offline_is_an_error_naming_it():
    with pytest.raises(FirehoseError, match="s3_backup_mode"), OfflineCloud(stream_stack(s3_backup_mode="Enabled")):
        pass
