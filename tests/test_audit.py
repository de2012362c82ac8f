"""Audit: every event on the bus -> Firehose -> S3 (partitioned NDJSON) -> Glue table -> Athena."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from modules.common import event_catalogue
from tests.events import matches, sample
from tests.tf import bare_stack, decoded, only, ref, references, resources, sample_platform

ACCOUNT_REFERENCE = "${data.aws_caller_identity.account.account_id}"
SAMPLE_ACCOUNT = "123456789012"


def _audit_rule(dev: dict[str, Any]) -> dict[str, Any]:
    return only(dev, "aws_cloudwatch_event_rule", "audit_rule")[1]


def _stream(dev: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return only(dev, "aws_kinesis_firehose_delivery_stream", "audit_stream")


def _bucket(dev: dict[str, Any]) -> str:
    return only(dev, "aws_s3_bucket", "audit_bucket_")[0]


def _log_bucket(dev: dict[str, Any]) -> str:
    return only(dev, "aws_s3_bucket", "audit_log-bucket_")[0]


def _of_bucket(dev: dict[str, Any], kind: str, bucket: str) -> dict[str, Any]:
    """The one ``kind`` resource (versioning, policy, ...) configuring ``bucket``."""
    matches = [body for body in resources(dev, kind).values() if body["bucket"] == ref("aws_s3_bucket", bucket, "id")]
    assert len(matches) == 1, f"expected one {kind} for {bucket}, found {len(matches)}"
    return matches[0]


def _pattern_for_sample_account(dev: dict[str, Any]) -> EventPattern:
    text = _audit_rule(dev)["event_pattern"]
    assert json.loads(text)["account"] == [ACCOUNT_REFERENCE]
    return EventPattern.load(text.replace(ACCOUNT_REFERENCE, SAMPLE_ACCOUNT))


def _processors(dev: dict[str, Any]) -> dict[str, dict[str, str]]:
    config = _stream(dev)[1]["extended_s3_configuration"]["processing_configuration"]
    assert config["enabled"] is True
    return {
        processor["type"]: {p["parameter_name"]: p["parameter_value"] for p in processor["parameters"]}
        for processor in config["processors"]
    }


def _firehose_policy(dev: dict[str, Any]) -> dict[str, Any]:
    role = only(dev, "aws_iam_role", "audit_role_")[0]
    (policy,) = [
        p for p in resources(dev, "aws_iam_role_policy").values() if p["role"] == ref("aws_iam_role", role, "id")
    ]
    return decoded(policy, "policy")


@pytest.mark.parametrize("entry", event_catalogue(), ids=lambda entry: entry["detailType"])
def test_the_audit_rule_matches_every_catalogued_event_type(dev: dict[str, Any], entry: dict[str, Any]) -> None:
    assert matches(_pattern_for_sample_account(dev), sample(entry, account=SAMPLE_ACCOUNT))


def test_the_audit_rule_ignores_events_sent_from_other_accounts(dev: dict[str, Any]) -> None:
    event = sample(event_catalogue()[0], account="210987654321")
    assert not matches(_pattern_for_sample_account(dev), event)


def test_the_audit_rule_delivers_to_the_stream_with_a_dead_letter_queue(dev: dict[str, Any]) -> None:
    stream = _stream(dev)[0]
    (target,) = [t for t in resources(dev, "aws_cloudwatch_event_target").values() if "audit" in t["rule"]]
    assert target["arn"] == ref("aws_kinesis_firehose_delivery_stream", stream, "arn")
    assert references(target["dead_letter_config"]["arn"])[0][0] == "aws_sqs_queue"


def test_firehose_splits_records_with_a_newline_and_partitions_by_source(dev: dict[str, Any]) -> None:
    processors = _processors(dev)
    assert "AppendDelimiterToRecord" in processors
    assert processors["MetadataExtraction"] == {
        "MetadataExtractionQuery": "{source: .source}",
        "JsonParsingEngine": "JQ-1.6",
    }
    assert _stream(dev)[1]["extended_s3_configuration"]["dynamic_partitioning_configuration"]["enabled"] is True


def test_firehose_writes_events_by_source_and_date_and_errors_apart(dev: dict[str, Any]) -> None:
    s3 = _stream(dev)[1]["extended_s3_configuration"]
    day = "!{timestamp:yyyy}-!{timestamp:MM}-!{timestamp:dd}"
    assert s3["prefix"] == f"events/source=!{{partitionKeyFromQuery:source}}/date={day}/"
    assert s3["error_output_prefix"] == f"errors/!{{firehose:error-output-type}}/date={day}/"


def test_firehose_buffers_at_least_the_64_mib_dynamic_partitioning_needs(dev: dict[str, Any]) -> None:
    assert _stream(dev)[1]["extended_s3_configuration"]["buffering_size"] >= 64


def test_firehose_encrypts_with_the_platform_key_and_logs_to_an_encrypted_group(dev: dict[str, Any]) -> None:
    key = ref("aws_kms_key", only(dev, "aws_kms_key", "security")[0], "arn")
    body = _stream(dev)[1]
    assert body["server_side_encryption"] == {"enabled": True, "key_type": "CUSTOMER_MANAGED_CMK", "key_arn": key}
    assert body["extended_s3_configuration"]["kms_key_arn"] == key
    logging = body["extended_s3_configuration"]["cloudwatch_logging_options"]
    group_name, group = only(dev, "aws_cloudwatch_log_group", "audit_logs")
    assert logging["enabled"] is True
    assert logging["log_group_name"] == ref("aws_cloudwatch_log_group", group_name, "name")
    assert group["kms_key_id"] == key
    assert group["retention_in_days"] > 0


def test_the_audit_bucket_is_versioned_kms_encrypted_private_and_tls_only(dev: dict[str, Any]) -> None:
    bucket = _bucket(dev)
    key = ref("aws_kms_key", only(dev, "aws_kms_key", "security")[0], "arn")
    versioning = _of_bucket(dev, "aws_s3_bucket_versioning", bucket)
    assert versioning["versioning_configuration"]["status"] == "Enabled"
    (rule,) = _of_bucket(dev, "aws_s3_bucket_server_side_encryption_configuration", bucket)["rule"]
    assert rule["apply_server_side_encryption_by_default"] == {"sse_algorithm": "aws:kms", "kms_master_key_id": key}
    assert rule["bucket_key_enabled"] is True
    block = _of_bucket(dev, "aws_s3_bucket_public_access_block", bucket)
    for setting in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert block[setting] is True, setting
    ownership = _of_bucket(dev, "aws_s3_bucket_ownership_controls", bucket)
    assert ownership["rule"]["object_ownership"] == "BucketOwnerEnforced"
    statements = decoded(_of_bucket(dev, "aws_s3_bucket_policy", bucket), "policy")["Statement"]
    assert {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [ref("aws_s3_bucket", bucket, "arn"), ref("aws_s3_bucket", bucket, "arn") + "/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    } in statements


def test_the_audit_trail_is_archived_then_expired_as_configured(dev: dict[str, Any], dev_config: Any) -> None:
    config = dev_config
    rules = {
        rule["id"]: rule for rule in _of_bucket(dev, "aws_s3_bucket_lifecycle_configuration", _bucket(dev))["rule"]
    }
    trail = rules["trail"]
    assert trail["filter"] == [{"prefix": ""}]
    assert trail["transition"] == [{"days": config.audit.audit_archive_after_days, "storage_class": "GLACIER_IR"}]
    assert trail["expiration"] == [{"days": config.audit.audit_expire_after_days}]
    assert trail["noncurrent_version_expiration"][0]["noncurrent_days"] > 0
    assert trail["abort_incomplete_multipart_upload"][0]["days_after_initiation"] > 0
    assert rules["query-results"]["filter"] == [{"prefix": "athena/"}]


def test_the_audit_bucket_logs_access_to_the_log_bucket(dev: dict[str, Any]) -> None:
    bucket, log_bucket = _bucket(dev), _log_bucket(dev)
    logging = _of_bucket(dev, "aws_s3_bucket_logging", bucket)
    assert logging["target_bucket"] == ref("aws_s3_bucket", log_bucket, "id")
    statements = decoded(_of_bucket(dev, "aws_s3_bucket_policy", log_bucket), "policy")["Statement"]
    (grant,) = [s for s in statements if s["Effect"] == "Allow"]
    assert grant["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert grant["Resource"] == ref("aws_s3_bucket", log_bucket, "arn") + "/" + logging["target_prefix"] + "*"
    assert grant["Condition"]["ArnLike"]["aws:SourceArn"] == ref("aws_s3_bucket", bucket, "arn")


def test_the_log_bucket_is_versioned_sse_s3_private_and_expires_logs(dev: dict[str, Any]) -> None:
    log_bucket = _log_bucket(dev)
    (rule,) = _of_bucket(dev, "aws_s3_bucket_server_side_encryption_configuration", log_bucket)["rule"]
    # S3 server access logs can only be delivered to an SSE-S3 bucket.
    assert rule["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}
    assert _of_bucket(dev, "aws_s3_bucket_versioning", log_bucket)["versioning_configuration"]["status"] == "Enabled"
    block = _of_bucket(dev, "aws_s3_bucket_public_access_block", log_bucket)
    assert all(
        block[s] for s in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    (lifecycle,) = _of_bucket(dev, "aws_s3_bucket_lifecycle_configuration", log_bucket)["rule"]
    assert lifecycle["expiration"][0]["days"] > lifecycle["transition"][0]["days"]


def test_the_glue_table_projects_every_catalogued_source(dev: dict[str, Any]) -> None:
    parameters = only(dev, "aws_glue_catalog_table", "audit_table")[1]["parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.source.type"] == "enum"
    projected = set(parameters["projection.source.values"].split(","))
    assert {entry["source"] for entry in event_catalogue()} <= projected
    assert parameters["projection.date.type"] == "date"
    assert parameters["projection.date.format"] == "yyyy-MM-dd"
    assert parameters["projection.date.range"].endswith(",NOW")


def test_the_glue_table_reads_where_firehose_writes(dev: dict[str, Any]) -> None:
    table = only(dev, "aws_glue_catalog_table", "audit_table")[1]
    bucket_name = ref("aws_s3_bucket", _bucket(dev), "bucket")
    assert table["storage_descriptor"]["location"] == f"s3://{bucket_name}/events/"
    # "$${" is Terraform's escape: Athena receives ${source} and ${date}.
    assert (
        table["parameters"]["storage.location.template"]
        == f"s3://{bucket_name}/events/source=$${{source}}/date=$${{date}}/"
    )
    assert [key["name"] for key in table["partition_keys"]] == ["source", "date"]


def test_the_glue_table_has_the_event_envelope_as_json_columns(dev: dict[str, Any]) -> None:
    descriptor = only(dev, "aws_glue_catalog_table", "audit_table")[1]["storage_descriptor"]
    serde = descriptor["ser_de_info"]
    assert serde["serialization_library"] == "org.openx.data.jsonserde.JsonSerDe"
    assert serde["parameters"]["mapping.detail_type"] == "detail-type"
    columns = {column["name"]: column["type"] for column in descriptor["columns"]}
    assert {"version", "id", "detail_type", "account", "time", "region", "resources", "detail"} <= set(columns)
    assert columns["resources"] == "array<string>"
    # A column named like a partition key makes Athena reject the table.
    assert not set(columns) & {"source", "date"}


def test_the_athena_workgroup_enforces_encrypted_results_in_the_audit_bucket(dev: dict[str, Any]) -> None:
    key = ref("aws_kms_key", only(dev, "aws_kms_key", "security")[0], "arn")
    configuration = only(dev, "aws_athena_workgroup", "audit")[1]["configuration"]
    assert configuration["enforce_workgroup_configuration"] is True
    assert configuration["publish_cloudwatch_metrics_enabled"] is True
    results = configuration["result_configuration"]
    assert results["output_location"] == f"s3://{ref('aws_s3_bucket', _bucket(dev), 'bucket')}/athena/"
    assert results["encryption_configuration"] == {"encryption_option": "SSE_KMS", "kms_key_arn": key}


def test_the_firehose_role_is_assumable_only_by_firehose_for_this_account(dev: dict[str, Any]) -> None:
    (statement,) = decoded(only(dev, "aws_iam_role", "audit_role_")[1], "assume_role_policy")["Statement"]
    assert statement["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": ACCOUNT_REFERENCE}}


def test_the_firehose_role_names_only_the_bucket_the_key_and_its_log_stream(dev: dict[str, Any]) -> None:
    allowed = {
        ("aws_s3_bucket", _bucket(dev), "arn"),
        ("aws_kms_key", only(dev, "aws_kms_key", "security")[0], "arn"),
        ("aws_cloudwatch_log_stream", only(dev, "aws_cloudwatch_log_stream", "audit")[0], "arn"),
    }
    statements = _firehose_policy(dev)["Statement"]
    named = list(itertools.chain.from_iterable(s["Resource"] for s in statements))
    assert "*" not in named
    for resource in named:
        assert {*references(resource)} <= allowed and references(resource), resource


def test_the_firehose_role_uses_the_key_only_through_s3_for_the_audit_bucket(
    dev: dict[str, Any], dev_config: Any
) -> None:
    (kms,) = [s for s in _firehose_policy(dev)["Statement"] if any(a.startswith("kms:") for a in s["Action"])]
    assert kms["Condition"]["StringEquals"]["kms:ViaService"] == f"s3.{dev_config.region}.amazonaws.com"
    bucket_arn = ref("aws_s3_bucket", _bucket(dev), "arn")
    assert kms["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == [bucket_arn, f"{bucket_arn}/*"]


# Input validation: each bad input fails at construction, naming the input. No synthesis needed.


@pytest.fixture
def bare() -> Any:
    """A fresh stack with a platform and a bus, for constructing Audit alone."""
    from modules.config import EventBusSettings
    from modules.event_bus import EventBus

    stack, platform = bare_stack(), sample_platform(SAMPLE_ACCOUNT)
    bus = EventBus(stack, "events", platform=platform, settings=EventBusSettings())
    return stack, platform, bus


VALID = {"sources": ["reviews.frontend"], "audit_archive_after_days": 90, "audit_expire_after_days": 365}


def _build(bare: Any, **overrides: Any) -> Any:
    from modules.audit import Audit
    from modules.config import AuditSettings

    stack, platform, bus = bare
    values = {**VALID, **overrides}
    sources = values.pop("sources")
    return Audit(stack, "audit", platform=platform, bus=bus, sources=sources, settings=AuditSettings(**values))


def test_a_valid_audit_constructs_without_synthesis(bare: Any) -> None:
    assert _build(bare).sources == ["reviews.frontend"]


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("sources", []),
        ("sources", "reviews.frontend"),
        ("sources", ["reviews frontend"]),
        ("sources", ["a,b"]),
        ("audit_archive_after_days", 0),
        ("audit_archive_after_days", 30.5),
        ("audit_expire_after_days", 90),
        ("audit_expire_after_days", True),
    ],
)
def test_an_invalid_audit_input_is_rejected_by_name(bare: Any, setting: str, value: Any) -> None:
    with pytest.raises(ValueError, match=setting):
        _build(bare, **{setting: value})


def test_an_audit_bus_that_is_not_an_event_bus_is_rejected_by_name(bare: Any) -> None:
    with pytest.raises(TypeError, match="bus"):
        _build(bare, bus="reviews-dev-events-bus")


def test_the_audit_target_keeps_every_event_but_its_callback_token(dev):
    from aws_behaviour.eventbridge_input import transform
    from tests.events import TOKEN, case_opened

    _, target = only(dev, "aws_cloudwatch_event_target", "audit")
    [transformer] = (
        target["input_transformer"] if isinstance(target["input_transformer"], list) else [target["input_transformer"]]
    )
    # Case events no longer carry the token; one published before it moved into the cases table may still be
    # replayed from the archive, and no metadata but the idempotency key is ever kept.
    event = case_opened()
    event["detail"]["metadata"]["callbackToken"] = TOKEN
    record = json.loads(
        transform(
            {"InputPathsMap": transformer["input_paths"], "InputTemplate": transformer["input_template"]},
            event,
            rule_arn="arn:aws:events:eu-west-1:123456789012:rule/r",
        )
    )
    assert "callbackToken" in event["detail"]["metadata"]
    assert record == {
        **event,
        "detail": {
            "metadata": {"idempotency-key": event["detail"]["metadata"]["idempotency-key"]},
            "data": event["detail"]["data"],
        },
    }
