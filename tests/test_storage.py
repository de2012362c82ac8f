"""modules/storage.py alone: keys, log groups, tables, lifecycle rules and buckets, each built in a bare stack and
read back from that small stack's synthesized JSON."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTableGlobalSecondaryIndex
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import S3BucketLifecycleConfiguration
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA

from modules.common import deny_insecure_transport
from modules.storage import (
    ABORT_MULTIPART_AFTER_DAYS,
    NONCURRENT_VERSIONS_EXPIRE_DAYS,
    SecureBucket,
    access_log_bucket,
    access_log_statement,
    customer_key,
    lifecycle_rule,
    log_group,
    secure_bucket,
    table,
)
from tests.tf import bare_stack, decoded, only, ref, sample_platform, synth

PLATFORM = sample_platform()
KEY_ARN = PLATFORM.key_arn
ACCOUNT = PLATFORM.account_id


@pytest.fixture
def stack() -> TerraformStack:
    return bare_stack()


def _bucket(stack: TerraformStack, **overrides: Any) -> SecureBucket:
    settings: dict[str, Any] = {"name": "reviews-test-data", "kms_key_arn": KEY_ARN, "lifecycle": [], **overrides}
    return secure_bucket(stack, "data", **settings)


def _policy_statements(stack: TerraformStack, name: str) -> list[dict[str, Any]]:
    _, policy = only(synth(stack), "aws_s3_bucket_policy", name)
    statements: list[dict[str, Any]] = decoded(policy, "policy")["Statement"]
    return statements


# ---------------------------------------------------------------------------------------------- customer_key

USE_KEY = {"Sid": "ServiceUsesKey", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}}


def test_a_customer_key_rotates_yearly_and_has_a_thirty_day_deletion_window(stack: TerraformStack) -> None:
    customer_key(stack, "key", description="data", account_id=ACCOUNT, partition="aws")
    _, key = only(synth(stack), "aws_kms_key", "key")
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    assert key["description"] == "data"


def test_a_customer_key_policy_lets_the_account_administer_it_through_iam_first(stack: TerraformStack) -> None:
    customer_key(stack, "key", description="data", account_id=ACCOUNT, partition="aws-cn", statements=[USE_KEY])
    _, key = only(synth(stack), "aws_kms_key", "key")
    root, *rest = decoded(key, "policy")["Statement"]
    assert root == {
        "Sid": "AccountAdministersKeyThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws-cn:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    assert rest == [USE_KEY]


def test_a_customer_key_keeps_the_given_statements_in_order_after_the_root_statement(stack: TerraformStack) -> None:
    second = {**USE_KEY, "Sid": "Second"}
    customer_key(stack, "key", description="d", account_id=ACCOUNT, partition="aws", statements=[USE_KEY, second])
    _, key = only(synth(stack), "aws_kms_key", "key")
    assert [s["Sid"] for s in decoded(key, "policy")["Statement"]] == [
        "AccountAdministersKeyThroughIam",
        "ServiceUsesKey",
        "Second",
    ]


# ------------------------------------------------------------------------------------------------ log_group


def test_a_log_group_is_encrypted_with_the_platform_key_and_kept_for_the_platform_retention(
    stack: TerraformStack,
) -> None:
    log_group(stack, "logs", platform=PLATFORM, name="/reviews/test")
    _, group = only(synth(stack), "aws_cloudwatch_log_group", "logs")
    assert group == {"name": "/reviews/test", "retention_in_days": 30, "kms_key_id": KEY_ARN}


# ---------------------------------------------------------------------------------------------------- table


def test_a_table_is_on_demand_encrypted_with_the_platform_key_recoverable_and_protected(stack: TerraformStack) -> None:
    table(stack, "reviews", platform=PLATFORM, name="reviews-test-reviews", hash_key="reviewId")
    _, body = only(synth(stack), "aws_dynamodb_table", "reviews")
    assert body["name"] == "reviews-test-reviews"
    assert body["billing_mode"] == "PAY_PER_REQUEST"
    assert body["server_side_encryption"] == {"enabled": True, "kms_key_arn": KEY_ARN}
    assert body["point_in_time_recovery"] == {"enabled": True}
    assert body["deletion_protection_enabled"] is True


def test_a_table_without_ttl_or_indexes_leaves_both_out(stack: TerraformStack) -> None:
    table(stack, "reviews", platform=PLATFORM, name="t", hash_key="reviewId")
    _, body = only(synth(stack), "aws_dynamodb_table", "reviews")
    assert "ttl" not in body
    assert "global_secondary_index" not in body
    assert body["attribute"] == [{"name": "reviewId", "type": "S"}]


def test_a_table_declares_its_hash_key_then_the_index_keys_as_strings(stack: TerraformStack) -> None:
    index = DynamodbTableGlobalSecondaryIndex(name="by-status", hash_key="status", projection_type="ALL")
    table(
        stack,
        "cases",
        platform=PLATFORM,
        name="t",
        hash_key="caseId",
        key_attributes=["status"],
        indexes=[index],
    )
    _, body = only(synth(stack), "aws_dynamodb_table", "cases")
    assert body["hash_key"] == "caseId"
    assert body["attribute"] == [{"name": "caseId", "type": "S"}, {"name": "status", "type": "S"}]
    assert body["global_secondary_index"] == [{"name": "by-status", "hash_key": "status", "projection_type": "ALL"}]


def test_a_table_with_a_ttl_attribute_expires_items_by_it(stack: TerraformStack) -> None:
    table(stack, "idempotency", platform=PLATFORM, name="t", hash_key="key", ttl_attribute="expiresAt")
    _, body = only(synth(stack), "aws_dynamodb_table", "idempotency")
    assert body["ttl"] == {"attribute_name": "expiresAt", "enabled": True}


# ------------------------------------------------------------------------------------------- lifecycle_rule


def _rule(stack: TerraformStack, **settings: Any) -> dict[str, Any]:
    """One rule as Terraform receives it, through a lifecycle configuration of a bucket named by string."""
    S3BucketLifecycleConfiguration(stack, "lifecycle", bucket="b", rule=[lifecycle_rule("tidy", **settings)])
    _, configuration = only(synth(stack), "aws_s3_bucket_lifecycle_configuration", "lifecycle")
    [rule] = configuration["rule"]
    return dict(rule)


def test_a_default_lifecycle_rule_expires_old_versions_and_abandoned_uploads_only(stack: TerraformStack) -> None:
    assert _rule(stack) == {
        "id": "tidy",
        "status": "Enabled",
        "filter": [{"prefix": ""}],
        "noncurrent_version_expiration": [{"noncurrent_days": NONCURRENT_VERSIONS_EXPIRE_DAYS}],
        "abort_incomplete_multipart_upload": [{"days_after_initiation": ABORT_MULTIPART_AFTER_DAYS}],
    }
    assert (NONCURRENT_VERSIONS_EXPIRE_DAYS, ABORT_MULTIPART_AFTER_DAYS) == (30, 7)


def test_a_lifecycle_rule_omits_every_part_given_as_none(stack: TerraformStack) -> None:
    assert _rule(stack, prefix="logs/", noncurrent_days=None, abort_multipart_days=None) == {
        "id": "tidy",
        "status": "Enabled",
        "filter": [{"prefix": "logs/"}],
    }


def test_a_lifecycle_rule_archives_to_glacier_instant_retrieval(stack: TerraformStack) -> None:
    assert _rule(stack, archive_after_days=90)["transition"] == [{"days": 90, "storage_class": "GLACIER_IR"}]


def test_a_lifecycle_rule_expires_current_objects_after_the_given_days(stack: TerraformStack) -> None:
    assert _rule(stack, expire_after_days=365)["expiration"] == [{"days": 365}]


def test_a_lifecycle_rule_can_remove_delete_markers_left_alone(stack: TerraformStack) -> None:
    assert _rule(stack, expire_delete_markers=True)["expiration"] == [{"expired_object_delete_marker": True}]


def test_a_lifecycle_rule_expiring_after_days_does_not_also_name_delete_markers(stack: TerraformStack) -> None:
    # S3 refuses an expiration holding both Days and ExpiredObjectDeleteMarker.
    assert _rule(stack, expire_after_days=365, expire_delete_markers=True)["expiration"] == [{"days": 365}]


def test_a_lifecycle_rule_can_keep_some_noncurrent_versions(stack: TerraformStack) -> None:
    assert _rule(stack, noncurrent_days=1, newer_noncurrent_versions=3)["noncurrent_version_expiration"] == [
        {"noncurrent_days": 1, "newer_noncurrent_versions": 3}
    ]


# -------------------------------------------------------------------------------------------- secure_bucket


def test_a_secure_bucket_returns_the_bucket_policy_versioning_and_lifecycle_it_made(stack: TerraformStack) -> None:
    made = _bucket(stack)
    assert isinstance(made.bucket, S3Bucket)
    assert isinstance(made.policy, S3BucketPolicy)
    assert isinstance(made.versioning, S3BucketVersioningA)
    assert isinstance(made.lifecycle, S3BucketLifecycleConfiguration)
    assert [stack.get_logical_id(part) for part in (made.bucket, made.policy, made.versioning, made.lifecycle)] == [
        "data",
        "data-policy",
        "data-versioning",
        "data-lifecycle",
    ]


def test_a_secure_bucket_has_the_given_name_and_versioning_on(stack: TerraformStack) -> None:
    _bucket(stack)
    synthesized = synth(stack)
    assert only(synthesized, "aws_s3_bucket", "data")[1] == {"bucket": "reviews-test-data"}
    _, versioning = only(synthesized, "aws_s3_bucket_versioning", "data")
    assert versioning["bucket"] == ref("aws_s3_bucket", "data", "id")
    assert versioning["versioning_configuration"] == {"status": "Enabled"}


def test_a_secure_bucket_with_a_key_encrypts_with_sse_kms_and_a_bucket_key(stack: TerraformStack) -> None:
    _bucket(stack)
    _, encryption = only(synth(stack), "aws_s3_bucket_server_side_encryption_configuration", "data")
    assert encryption["rule"] == [
        {
            "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": KEY_ARN},
            "bucket_key_enabled": True,
        }
    ]


def test_a_secure_bucket_without_a_key_encrypts_with_sse_s3(stack: TerraformStack) -> None:
    _bucket(stack, kms_key_arn=None)
    _, encryption = only(synth(stack), "aws_s3_bucket_server_side_encryption_configuration", "data")
    assert encryption["rule"] == [
        {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}, "bucket_key_enabled": False}
    ]


def test_a_secure_bucket_blocks_every_kind_of_public_access(stack: TerraformStack) -> None:
    _bucket(stack)
    _, block = only(synth(stack), "aws_s3_bucket_public_access_block", "data")
    assert block == {
        "bucket": ref("aws_s3_bucket", "data", "id"),
        "block_public_acls": True,
        "block_public_policy": True,
        "ignore_public_acls": True,
        "restrict_public_buckets": True,
    }


def test_a_secure_bucket_enforces_bucket_owner_ownership_so_acls_are_off(stack: TerraformStack) -> None:
    _bucket(stack)
    _, ownership = only(synth(stack), "aws_s3_bucket_ownership_controls", "data")
    assert ownership["rule"] == {"object_ownership": "BucketOwnerEnforced"}


def test_a_secure_bucket_lifecycle_holds_the_given_rules_and_waits_for_versioning(stack: TerraformStack) -> None:
    _bucket(stack, lifecycle=[lifecycle_rule("first"), lifecycle_rule("second", prefix="x/")])
    _, configuration = only(synth(stack), "aws_s3_bucket_lifecycle_configuration", "data")
    assert [rule["id"] for rule in configuration["rule"]] == ["first", "second"]
    assert configuration["depends_on"] == ["aws_s3_bucket_versioning.data-versioning"]


def test_a_secure_bucket_policy_without_statements_is_only_the_tls_only_deny(stack: TerraformStack) -> None:
    _bucket(stack)
    arn = ref("aws_s3_bucket", "data", "arn")
    assert _policy_statements(stack, "data") == [deny_insecure_transport("s3:*", [arn, f"{arn}/*"])]


def test_a_secure_bucket_policy_puts_the_given_statements_on_its_arn_before_the_tls_only_deny(
    stack: TerraformStack,
) -> None:
    def statements(bucket_arn: str) -> list[dict[str, Any]]:
        return [{"Sid": "One", "Resource": bucket_arn}, {"Sid": "Two", "Resource": f"{bucket_arn}/x/*"}]

    _bucket(stack, statements=statements)
    arn = ref("aws_s3_bucket", "data", "arn")
    one, two, last = _policy_statements(stack, "data")
    assert (one, two) == ({"Sid": "One", "Resource": arn}, {"Sid": "Two", "Resource": f"{arn}/x/*"})
    assert last == deny_insecure_transport("s3:*", [arn, f"{arn}/*"])


# ------------------------------------------------------------------------------ access_log_bucket and statement


def _log_bucket(stack: TerraformStack, **overrides: Any) -> tuple[S3Bucket, SecureBucket]:
    source = S3Bucket(stack, "site", bucket="reviews-test-site")
    settings: dict[str, Any] = {
        "name": "reviews-test-site-logs",
        "logs_of": source,
        "prefix": "s3/",
        "sid": "S3ServerAccessLogs",
        "account_id": ACCOUNT,
        "logging_id": "site-logging",
        "lifecycle": [lifecycle_rule("expire-logs", expire_after_days=90)],
        **overrides,
    }
    return source, access_log_bucket(stack, "logs", **settings)


def test_an_access_log_bucket_is_encrypted_with_sse_s3_as_s3_log_delivery_requires(stack: TerraformStack) -> None:
    _log_bucket(stack)
    _, encryption = only(synth(stack), "aws_s3_bucket_server_side_encryption_configuration", "logs")
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}


def test_an_access_log_bucket_admits_s3_logging_for_exactly_its_source_prefix_and_account(
    stack: TerraformStack,
) -> None:
    _log_bucket(stack)
    admit, deny = _policy_statements(stack, "logs-policy")
    log_arn = ref("aws_s3_bucket", "logs", "arn")
    assert admit == {
        "Sid": "S3ServerAccessLogs",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{log_arn}/s3/*",
        "Condition": {
            "ArnLike": {"aws:SourceArn": ref("aws_s3_bucket", "site", "arn")},
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
        },
    }
    assert deny["Sid"] == "DenyInsecureTransport"


def test_an_access_log_bucket_adds_other_log_writers_between_s3_logging_and_the_tls_only_deny(
    stack: TerraformStack,
) -> None:
    _log_bucket(stack, statements=lambda arn: [{"Sid": "CloudFrontLogs", "Resource": f"{arn}/cloudfront/*"}])
    assert [s["Sid"] for s in _policy_statements(stack, "logs-policy")] == [
        "S3ServerAccessLogs",
        "CloudFrontLogs",
        "DenyInsecureTransport",
    ]


def test_an_access_log_bucket_sends_the_source_logs_only_once_its_policy_admits_them(stack: TerraformStack) -> None:
    _log_bucket(stack)
    _, logging = only(synth(stack), "aws_s3_bucket_logging", "site-logging")
    assert logging == {
        "bucket": ref("aws_s3_bucket", "site", "id"),
        "target_bucket": ref("aws_s3_bucket", "logs", "id"),
        "target_prefix": "s3/",
        "depends_on": ["aws_s3_bucket_policy.logs-policy"],
    }


def test_an_access_log_bucket_keeps_the_given_lifecycle(stack: TerraformStack) -> None:
    _log_bucket(stack)
    _, configuration = only(synth(stack), "aws_s3_bucket_lifecycle_configuration", "logs")
    assert [(rule["id"], rule["expiration"]) for rule in configuration["rule"]] == [("expire-logs", [{"days": 90}])]


def test_the_access_log_statement_names_the_prefix_under_the_log_bucket() -> None:
    made = access_log_statement(
        "Logs", log_bucket_arn="arn:aws:s3:::logs", prefix="a/", source_bucket_arn="arn:aws:s3:::src", account_id="1"
    )
    assert made["Resource"] == "arn:aws:s3:::logs/a/*"
    assert made["Condition"] == {
        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::src"},
        "StringEquals": {"aws:SourceAccount": "1"},
    }
