"""Firehose's resources: delivery streams to S3. What moto does not do with them (processing, dynamic partitioning,
error output, compression) is :mod:`offline.firehose.delivery`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from offline.engine.aws import first, some
from offline.engine.registry import handles
from offline.engine.terraform import Resource
from offline.firehose.delivery import FirehoseError, OfflineFirehose

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


_EXTENDED_S3 = {
    "bucket_arn",
    "role_arn",
    "prefix",
    "error_output_prefix",
    "buffering_size",
    "buffering_interval",
    "compression_format",
    "kms_key_arn",
    "dynamic_partitioning_configuration",
    "processing_configuration",
    "cloudwatch_logging_options",
}


@handles("aws_kinesis_firehose_delivery_stream")
def _delivery_stream(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    if config["destination"] != "extended_s3":
        raise FirehoseError(f"{resource}: destination {config['destination']} is not modelled offline (extended_s3 is)")
    s3 = first(config["extended_s3_configuration"])
    unknown = sorted(set(s3) - _EXTENDED_S3)
    if unknown:
        raise FirehoseError(f"{resource}: extended_s3_configuration {unknown} not modelled offline")
    destination = _extended_s3(s3)
    OfflineFirehose.check(config["name"], destination)
    encryption = first(config.get("server_side_encryption"))
    firehose = cloud.client("firehose")
    arn = firehose.create_delivery_stream(
        **some(
            DeliveryStreamName=config["name"],
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration=destination,
            DeliveryStreamEncryptionConfigurationInput=some(
                KeyType=encryption.get("key_type"), KeyARN=encryption.get("key_arn")
            )
            if encryption.get("enabled")
            else None,
        )
    )["DeliveryStreamARN"]
    description = firehose.describe_delivery_stream(DeliveryStreamName=config["name"])["DeliveryStreamDescription"]
    return {"arn": arn, "id": arn, "version_id": description["VersionId"]}


def _extended_s3(s3: Mapping[str, Any]) -> dict[str, Any]:
    processing = first(s3.get("processing_configuration"))
    partitioning = first(s3.get("dynamic_partitioning_configuration"))
    logging = first(s3.get("cloudwatch_logging_options"))
    return some(
        RoleARN=s3["role_arn"],
        BucketARN=s3["bucket_arn"],
        Prefix=s3.get("prefix"),
        ErrorOutputPrefix=s3.get("error_output_prefix"),
        BufferingHints=some(SizeInMBs=s3.get("buffering_size"), IntervalInSeconds=s3.get("buffering_interval")) or None,
        CompressionFormat=s3.get("compression_format"),
        EncryptionConfiguration={"KMSEncryptionConfig": {"AWSKMSKeyARN": s3["kms_key_arn"]}}
        if s3.get("kms_key_arn")
        else None,
        CloudWatchLoggingOptions=some(
            Enabled=logging.get("enabled"),
            LogGroupName=logging.get("log_group_name"),
            LogStreamName=logging.get("log_stream_name"),
        )
        or None,
        ProcessingConfiguration={
            "Enabled": bool(processing.get("enabled")),
            "Processors": [
                {
                    "Type": processor["type"],
                    "Parameters": [
                        {"ParameterName": p["parameter_name"], "ParameterValue": p["parameter_value"]}
                        for p in processor.get("parameters", [])
                    ],
                }
                for processor in processing.get("processors", [])
            ],
        }
        if processing
        else None,
        DynamicPartitioningConfiguration=some(
            Enabled=partitioning.get("enabled"),
            RetryOptions={"DurationInSeconds": partitioning["retry_duration"]}
            if partitioning.get("retry_duration")
            else None,
        )
        or None,
    )
