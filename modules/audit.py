"""Audit service: every event on the bus, kept as newline-delimited JSON in S3 and queryable with
Athena, with no crawler and no Lambda.

EventBridge rule (every event of this account) -> Data Firehose (dynamic partitioning by source and
arrival date) -> S3 ``events/source=<source>/date=<yyyy-MM-dd>/``. A Glue table with partition
projection over that prefix and an Athena workgroup make the trail a SQL table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cdktf_cdktf_provider_aws.athena_workgroup import (
    AthenaWorkgroup,
    AthenaWorkgroupConfiguration,
    AthenaWorkgroupConfigurationResultConfiguration,
    AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_stream import CloudwatchLogStream
from cdktf_cdktf_provider_aws.glue_catalog_database import GlueCatalogDatabase
from cdktf_cdktf_provider_aws.glue_catalog_table import (
    GlueCatalogTable,
    GlueCatalogTablePartitionKeys,
    GlueCatalogTableStorageDescriptor,
    GlueCatalogTableStorageDescriptorColumns,
    GlueCatalogTableStorageDescriptorSerDeInfo,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.kinesis_firehose_delivery_stream import (
    KinesisFirehoseDeliveryStream,
    KinesisFirehoseDeliveryStreamExtendedS3Configuration,
    KinesisFirehoseDeliveryStreamExtendedS3ConfigurationCloudwatchLoggingOptions,
    KinesisFirehoseDeliveryStreamExtendedS3ConfigurationDynamicPartitioningConfiguration,
    KinesisFirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfiguration,
    KinesisFirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessors,
    KinesisFirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorsParameters,
    KinesisFirehoseDeliveryStreamServerSideEncryption,
)
from constructs import Construct

from modules import checks
from modules.common import EVENT_SCHEMA_DIR, load_json, policy_document, statement
from modules.config import AuditSettings
from modules.event_bus import EventBus
from modules.routing import rule_pattern
from modules.rule import EventRule
from modules.security import Platform
from modules.storage import access_log_bucket, lifecycle_rule, log_group, secure_bucket

SERVICE = "audit"
# The rule that takes every event of this account (the catalogue's ``this-account`` consumer).
RULE = "all-events"
# Where things live in the audit bucket. The Glue table reads only EVENTS_PREFIX.
EVENTS_PREFIX = "events/"
ERRORS_PREFIX = "errors/"
QUERY_RESULTS_PREFIX = "athena/"
ACCESS_LOGS_PREFIX = "access/"
# Firehose's own arrival time names the date partition, so every object lands in a partition the
# projection below enumerates; an event's own ``time`` (which a producer may set to any date) stays a column.
_DAY = "!{timestamp:yyyy}-!{timestamp:MM}-!{timestamp:dd}"
FIREHOSE_PREFIX = f"{EVENTS_PREFIX}source=!{{partitionKeyFromQuery:source}}/date={_DAY}/"
FIREHOSE_ERROR_PREFIX = f"{ERRORS_PREFIX}!{{firehose:error-output-type}}/date={_DAY}/"
PARTITION_QUERY = "{source: .source}"
# Dynamic partitioning needs a buffer of at least 64 MiB; the interval bounds the delay of a quiet trail.
# https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning.html
BUFFER_SIZE_MB = 64
BUFFER_INTERVAL_SECONDS = 300
# Partition projection enumerates dates from here to NOW: no day of the trail can predate the system.
PROJECTION_START_DATE = "2026-01-01"
QUERY_RESULTS_EXPIRE_DAYS = 30

# The EventBridge envelope as table columns. ``source`` is not among them: Athena rejects a column
# named like a partition key, and the ``source`` partition holds exactly the envelope's source.
# ``detail`` stays JSON text (its shape differs per detail-type): query it with json_extract_scalar.
ENVELOPE_COLUMNS: Mapping[str, str] = {
    "version": "string",
    "id": "string",
    "detail_type": "string",
    "account": "string",
    "time": "string",
    "region": "string",
    "resources": "array<string>",
    "detail": "string",
    "replay_name": "string",
}
# JSON keys that are not valid column names, mapped by the OpenX SerDe.
COLUMN_MAPPINGS: Mapping[str, str] = {"detail_type": "detail-type", "replay_name": "replay-name"}
PARTITION_KEYS = ("source", "date")


class Audit(Construct):
    """The audit trail of every event on ``bus``.

    Inputs:
      platform: shared account, region, naming and key.
      bus: the event bus to record.
      sources: every event source on the bus (the catalogue's); the table's ``source`` partitions.
        An event from an unlisted source is still stored, but Athena sees it only once it is listed.
      settings: :class:`~modules.config.AuditSettings`: days before an object moves to S3 Glacier Instant
        Retrieval (still queryable), and days it is kept.
    Defaults: rule with DLQ and retries (EventRule); Firehose encrypted with the platform key, GZIP,
      64 MiB / 5 min buffers, error records under ``errors/``, delivery logs to a KMS-encrypted group;
      bucket versioned, SSE-KMS with a bucket key, all public access blocked, ACLs disabled, TLS only,
      access logs to a separate log bucket; query results expire after 30 days, noncurrent
      versions after 30, incomplete uploads after 7.
    Exposes: ``bucket``, ``log_bucket``, ``delivery_stream``, ``rule`` (the EventRule), ``database``,
      ``table``, ``workgroup``, ``log_group``, ``log_stream``, ``role``, ``sources``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform: Platform,
        bus: EventBus,
        sources: Sequence[str],
        settings: AuditSettings,
    ):
        super().__init__(scope, id)
        if not isinstance(bus, EventBus):
            raise TypeError(f"Audit {id}: bus must be an EventBus, got {type(bus).__name__}")
        sources = checks.argument(f"Audit {id}", "sources", checks.event_sources, sources)
        archive_after_days, expire_after_days = settings.audit_archive_after_days, settings.audit_expire_after_days
        self.sources = sorted(set(sources))
        name = platform.name(SERVICE, "events")
        # Bucket names are global: the account and region keep two deployments apart.
        suffix = f"{platform.account_id}-{platform.region}"

        trail = secure_bucket(
            self,
            "bucket",
            name=f"{name}-{suffix}",
            kms_key_arn=platform.key_arn,
            lifecycle=[
                lifecycle_rule("trail", archive_after_days=archive_after_days, expire_after_days=expire_after_days),
                # Query results are scratch: they go long before the trail they were computed from.
                lifecycle_rule(
                    "query-results",
                    prefix=QUERY_RESULTS_PREFIX,
                    expire_after_days=QUERY_RESULTS_EXPIRE_DAYS,
                    noncurrent_days=None,
                    abort_multipart_days=None,
                ),
            ],
        )
        self.bucket = trail.bucket
        self.bucket_policy = trail.policy
        logs = access_log_bucket(
            self,
            "log-bucket",
            name=f"{platform.name(SERVICE, 'logs')}-{suffix}",
            logs_of=self.bucket,
            prefix=ACCESS_LOGS_PREFIX,
            sid="S3LogsAccessToTheAuditBucket",
            account_id=platform.account_id,
            logging_id="bucket-logging",
            lifecycle=[
                lifecycle_rule(
                    "access-logs", archive_after_days=archive_after_days, expire_after_days=expire_after_days
                )
            ],
        )
        self.log_bucket = logs.bucket

        self.log_group = log_group(self, "logs", platform=platform, name=f"/aws/kinesisfirehose/{name}")
        self.log_stream = CloudwatchLogStream(
            self, "log-stream", name="DestinationDelivery", log_group_name=self.log_group.name
        )

        self.role = IamRole(
            self,
            "role",
            name=f"{name}-firehose",
            # Firehose documents its trust with the account as external ID.
            # https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#firehose-assume-role
            assume_role_policy=policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "firehose.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"sts:ExternalId": platform.account_id}},
                    }
                ]
            ),
        )
        bucket_arn = self.bucket.arn
        policy = IamRolePolicy(
            self,
            "policy",
            name="deliver",
            role=self.role.id,
            # https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3
            policy=policy_document(
                [
                    statement(
                        "FindTheBucket",
                        ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                        [bucket_arn],
                    ),
                    statement(
                        "WriteEventsAndErrors",
                        ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                        [f"{bucket_arn}/{EVENTS_PREFIX}*", f"{bucket_arn}/{ERRORS_PREFIX}*"],
                    ),
                    # With a bucket key, S3 asks KMS with the bucket ARN as encryption context.
                    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
                    statement(
                        "EncryptObjectsThroughS3",
                        ["kms:Decrypt", "kms:GenerateDataKey"],
                        [platform.key_arn],
                        Condition={
                            "StringEquals": {"kms:ViaService": f"s3.{platform.region}.amazonaws.com"},
                            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
                        },
                    ),
                    statement("LogDeliveryErrors", ["logs:PutLogEvents"], [self.log_stream.arn]),
                ]
            ),
        )

        self.delivery_stream = KinesisFirehoseDeliveryStream(
            self,
            "stream",
            name=name,
            destination="extended_s3",
            server_side_encryption=KinesisFirehoseDeliveryStreamServerSideEncryption(
                enabled=True, key_type="CUSTOMER_MANAGED_CMK", key_arn=platform.key_arn
            ),
            extended_s3_configuration=KinesisFirehoseDeliveryStreamExtendedS3Configuration(
                bucket_arn=bucket_arn,
                role_arn=self.role.arn,
                prefix=FIREHOSE_PREFIX,
                error_output_prefix=FIREHOSE_ERROR_PREFIX,
                buffering_size=BUFFER_SIZE_MB,
                buffering_interval=BUFFER_INTERVAL_SECONDS,
                # Athena reads .gz objects transparently; Firehose adds the extension.
                compression_format="GZIP",
                kms_key_arn=platform.key_arn,
                dynamic_partitioning_configuration=(
                    KinesisFirehoseDeliveryStreamExtendedS3ConfigurationDynamicPartitioningConfiguration(
                        enabled=True, retry_duration=300
                    )
                ),
                processing_configuration=KinesisFirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfiguration(
                    enabled=True,
                    processors=[
                        _processor(
                            "MetadataExtraction",
                            {"MetadataExtractionQuery": PARTITION_QUERY, "JsonParsingEngine": "JQ-1.6"},
                        ),
                        # EventBridge sends events without separators; the SerDe reads one JSON object a line.
                        _processor("AppendDelimiterToRecord", {}),
                    ],
                ),
                cloudwatch_logging_options=KinesisFirehoseDeliveryStreamExtendedS3ConfigurationCloudwatchLoggingOptions(
                    enabled=True, log_group_name=self.log_group.name, log_stream_name=self.log_stream.name
                ),
            ),
            # Firehose checks the role's access when the stream is created.
            depends_on=[policy],
        )

        # Events sent to this bus from other accounts are theirs to audit, not ours.
        self.rule = EventRule(
            self,
            "rule",
            platform=platform,
            service=SERVICE,
            purpose=RULE,
            description="Every event of this account on the bus, to the audit trail",
            bus=bus.bus,
            pattern=rule_pattern(SERVICE, RULE, negative_case_threshold=None, account_id=platform.account_id),
            target=self.delivery_stream,
            input_transformer=load_json(EVENT_SCHEMA_DIR / "audit-record.json"),
        )

        # Glue and Athena names take underscores: a hyphen needs quoting in every query.
        self.database = GlueCatalogDatabase(
            self,
            "database",
            name=platform.name(SERVICE, "trail").replace("-", "_"),
            description="Audit trail of the review system's events",
        )
        location = f"s3://{self.bucket.bucket}/{EVENTS_PREFIX}"
        self.table = GlueCatalogTable(
            self,
            "table",
            database_name=self.database.name,
            name="events",
            description="Every event on the bus, one row per event, partitioned by source and arrival date (UTC)",
            table_type="EXTERNAL_TABLE",
            parameters={
                "EXTERNAL": "TRUE",
                "classification": "json",
                "compressionType": "gzip",
                # Partition projection: Athena computes partitions from these, so no crawler and no
                # MSCK REPAIR. https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html
                "projection.enabled": "true",
                "projection.source.type": "enum",
                "projection.source.values": ",".join(self.sources),
                "projection.date.type": "date",
                "projection.date.format": "yyyy-MM-dd",
                "projection.date.range": f"{PROJECTION_START_DATE},NOW",
                "projection.date.interval": "1",
                "projection.date.interval.unit": "DAYS",
                # $$ is Terraform's escape for a literal "${": Athena fills ${source} and ${date}.
                "storage.location.template": f"{location}source=$${{source}}/date=$${{date}}/",
            },
            partition_keys=[GlueCatalogTablePartitionKeys(name=key, type="string") for key in PARTITION_KEYS],
            storage_descriptor=GlueCatalogTableStorageDescriptor(
                location=location,
                input_format="org.apache.hadoop.mapred.TextInputFormat",
                output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                compressed=True,
                ser_de_info=GlueCatalogTableStorageDescriptorSerDeInfo(
                    name="eventbridge-event",
                    serialization_library="org.openx.data.jsonserde.JsonSerDe",
                    parameters={f"mapping.{column}": key for column, key in COLUMN_MAPPINGS.items()},
                ),
                columns=[
                    GlueCatalogTableStorageDescriptorColumns(name=column, type=kind)
                    for column, kind in ENVELOPE_COLUMNS.items()
                ],
            ),
        )
        self.workgroup = AthenaWorkgroup(
            self,
            "workgroup",
            name=platform.name(SERVICE, "queries"),
            description="Queries over the audit trail; results encrypted in the audit bucket",
            configuration=AthenaWorkgroupConfiguration(
                # Clients cannot override the result location or turn encryption off.
                enforce_workgroup_configuration=True,
                publish_cloudwatch_metrics_enabled=True,
                result_configuration=AthenaWorkgroupConfigurationResultConfiguration(
                    output_location=f"s3://{self.bucket.bucket}/{QUERY_RESULTS_PREFIX}",
                    expected_bucket_owner=platform.account_id,
                    encryption_configuration=AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration(
                        encryption_option="SSE_KMS", kms_key_arn=platform.key_arn
                    ),
                ),
            ),
        )


def _processor(
    kind: str, parameters: Mapping[str, str]
) -> KinesisFirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessors:
    return KinesisFirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessors(
        type=kind,
        parameters=[
            KinesisFirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorsParameters(
                parameter_name=key, parameter_value=value
            )
            for key, value in parameters.items()
        ],
    )
