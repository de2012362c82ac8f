"""Building blocks for data at rest, so every key, log group, table and bucket gets the same secure defaults:
rotated customer keys administered through IAM, the platform's retention, point-in-time recovery, deletion
protection, versioned private TLS-only buckets with tidy lifecycles and access logs. Each returns what it made."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTableGlobalSecondaryIndex,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
    DynamodbTableTtl,
)
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
    S3BucketLifecycleConfigurationRuleTransition,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA, S3BucketVersioningVersioningConfiguration
from constructs import Construct

from modules.common import deny_insecure_transport, policy_document

if TYPE_CHECKING:
    from modules.security import Platform

# Old versions and abandoned multipart uploads cost money and serve nobody after this long.
NONCURRENT_VERSIONS_EXPIRE_DAYS = 30
ABORT_MULTIPART_AFTER_DAYS = 7
KEY_DELETION_WINDOW_DAYS = 30


def customer_key(
    scope: Construct,
    id: str,
    *,
    description: str,
    account_id: str,
    partition: str,
    statements: Sequence[Mapping[str, Any]] = (),
) -> KmsKey:
    """A symmetric customer-managed key rotated yearly, with a 30-day deletion window. Its policy lets the account
    administer it through IAM, so a role uses it only when its own policy names exactly what it may do;
    ``statements`` admit the service principals that use it."""
    return KmsKey(
        scope,
        id,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
        policy=policy_document(
            [
                {
                    "Sid": "AccountAdministersKeyThroughIam",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                *statements,
            ]
        ),
    )


def log_group(scope: Construct, id: str, *, platform: Platform, name: str) -> CloudwatchLogGroup:
    """A log group encrypted with the platform key, kept for the platform's retention."""
    return CloudwatchLogGroup(
        scope, id, name=name, retention_in_days=platform.log_retention_days, kms_key_id=platform.key_arn
    )


def table(
    scope: Construct,
    id: str,
    *,
    platform: Platform,
    name: str,
    hash_key: str,
    key_attributes: Sequence[str] = (),
    ttl_attribute: str | None = None,
    indexes: Sequence[DynamodbTableGlobalSecondaryIndex] = (),
) -> DynamodbTable:
    """An on-demand table keyed by the string ``hash_key``; ``key_attributes`` are the (string) keys of
    ``indexes``. Encrypted with the platform key, point-in-time recovery on, protected from deletion."""
    return DynamodbTable(
        scope,
        id,
        name=name,
        billing_mode="PAY_PER_REQUEST",
        hash_key=hash_key,
        attribute=[DynamodbTableAttribute(name=key, type="S") for key in (hash_key, *key_attributes)],
        global_secondary_index=list(indexes) or None,
        ttl=DynamodbTableTtl(attribute_name=ttl_attribute, enabled=True) if ttl_attribute else None,
        point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
        server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=platform.key_arn),
        deletion_protection_enabled=True,
    )


@dataclass(frozen=True)
class SecureBucket:
    """What :func:`secure_bucket` made: dependants wire to these, never to a rebuilt construct id."""

    bucket: S3Bucket
    policy: S3BucketPolicy
    versioning: S3BucketVersioningA
    lifecycle: S3BucketLifecycleConfiguration


def lifecycle_rule(
    rule_id: str,
    *,
    prefix: str = "",
    archive_after_days: int | None = None,
    expire_after_days: int | None = None,
    expire_delete_markers: bool = False,
    noncurrent_days: int | None = NONCURRENT_VERSIONS_EXPIRE_DAYS,
    newer_noncurrent_versions: int | None = None,
    abort_multipart_days: int | None = ABORT_MULTIPART_AFTER_DAYS,
) -> S3BucketLifecycleConfigurationRule:
    """One enabled lifecycle rule for the objects under ``prefix``: to Glacier Instant Retrieval (which Athena still
    reads) after ``archive_after_days``, gone after ``expire_after_days``; replaced versions expire after
    ``noncurrent_days`` (keeping ``newer_noncurrent_versions``) and abandoned uploads after ``abort_multipart_days``.
    None leaves that part out; ``expire_delete_markers`` removes delete markers with no version left behind."""
    expiration = None
    if expire_after_days is not None:
        expiration = [S3BucketLifecycleConfigurationRuleExpiration(days=expire_after_days)]
    elif expire_delete_markers:
        expiration = [S3BucketLifecycleConfigurationRuleExpiration(expired_object_delete_marker=True)]
    return S3BucketLifecycleConfigurationRule(
        id=rule_id,
        status="Enabled",
        filter=[S3BucketLifecycleConfigurationRuleFilter(prefix=prefix)],
        transition=(
            [S3BucketLifecycleConfigurationRuleTransition(days=archive_after_days, storage_class="GLACIER_IR")]
            if archive_after_days is not None
            else None
        ),
        expiration=expiration,
        noncurrent_version_expiration=(
            [
                S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                    noncurrent_days=noncurrent_days, newer_noncurrent_versions=newer_noncurrent_versions
                )
            ]
            if noncurrent_days is not None
            else None
        ),
        abort_incomplete_multipart_upload=(
            [
                S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                    days_after_initiation=abort_multipart_days
                )
            ]
            if abort_multipart_days is not None
            else None
        ),
    )


def secure_bucket(
    scope: Construct,
    id: str,
    *,
    name: str,
    kms_key_arn: str | None,
    lifecycle: Sequence[S3BucketLifecycleConfigurationRule],
    statements: Callable[[str], Sequence[Mapping[str, Any]]] = lambda bucket_arn: [],
) -> SecureBucket:
    """A versioned bucket with default encryption (SSE-KMS with a bucket key, or SSE-S3 when
    ``kms_key_arn`` is None), no public access, no ACLs, TLS only, and ``lifecycle``.
    ``statements(bucket_arn)`` returns the policy statements beyond the TLS-only deny. The checkov checks a
    bucket does not meet are listed with their reasons in checkov-skips.json (checkov's terraform_json runner
    ignores skip comments inside the JSON)."""
    bucket = S3Bucket(scope, id, bucket=name)
    versioning = S3BucketVersioningA(
        scope,
        f"{id}-versioning",
        bucket=bucket.id,
        versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
    )
    S3BucketServerSideEncryptionConfigurationA(
        scope,
        f"{id}-encryption",
        bucket=bucket.id,
        rule=[
            S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default=(
                    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
                    )
                    if kms_key_arn is not None
                    else S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="AES256"
                    )
                ),
                # One data key per bucket instead of per object: fewer KMS calls, lower cost.
                bucket_key_enabled=kms_key_arn is not None,
            )
        ],
    )
    S3BucketPublicAccessBlock(
        scope,
        f"{id}-public-access-block",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    S3BucketOwnershipControls(
        scope,
        f"{id}-ownership",
        bucket=bucket.id,
        rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
    )
    policy = S3BucketPolicy(
        scope,
        f"{id}-policy",
        bucket=bucket.id,
        policy=policy_document(
            [
                *statements(bucket.arn),
                deny_insecure_transport("s3:*", [bucket.arn, f"{bucket.arn}/*"]),
            ]
        ),
    )
    lifecycle_configuration = S3BucketLifecycleConfiguration(
        scope,
        f"{id}-lifecycle",
        bucket=bucket.id,
        rule=list(lifecycle),
        # Lifecycle rules on noncurrent versions need versioning in place first.
        depends_on=[versioning],
    )
    return SecureBucket(bucket=bucket, policy=policy, versioning=versioning, lifecycle=lifecycle_configuration)


def access_log_bucket(
    scope: Construct,
    id: str,
    *,
    name: str,
    logs_of: S3Bucket,
    prefix: str,
    sid: str,
    account_id: str,
    logging_id: str,
    lifecycle: Sequence[S3BucketLifecycleConfigurationRule],
    statements: Callable[[str], Sequence[Mapping[str, Any]]] = lambda bucket_arn: [],
) -> SecureBucket:
    """A :func:`secure_bucket` receiving ``logs_of``'s server access logs under ``prefix``, and the logging setting
    that sends them (construct ``logging_id``). Its encryption is SSE-S3: S3 delivers server access logs only to such
    a bucket (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
    ``statements(bucket_arn)`` admits other log writers (CloudFront, say); ``sid`` names the S3 logging statement."""
    log_bucket = secure_bucket(
        scope,
        id,
        name=name,
        kms_key_arn=None,
        lifecycle=lifecycle,
        statements=lambda arn: [
            access_log_statement(
                sid, log_bucket_arn=arn, prefix=prefix, source_bucket_arn=logs_of.arn, account_id=account_id
            ),
            *statements(arn),
        ],
    )
    # S3 refuses the setting until the log bucket's policy admits logging.s3.amazonaws.com.
    S3BucketLoggingA(
        scope,
        logging_id,
        bucket=logs_of.id,
        target_bucket=log_bucket.bucket.id,
        target_prefix=prefix,
        depends_on=[log_bucket.policy],
    )
    return log_bucket


def access_log_statement(
    sid: str, *, log_bucket_arn: str, prefix: str, source_bucket_arn: str, account_id: str
) -> dict[str, Any]:
    """The log bucket's policy statement letting S3 deliver ``source_bucket``'s server access logs under ``prefix``.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html#grant-log-delivery-permissions-general"""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{log_bucket_arn}/{prefix}*",
        "Condition": {
            "ArnLike": {"aws:SourceArn": source_bucket_arn},
            "StringEquals": {"aws:SourceAccount": account_id},
        },
    }
