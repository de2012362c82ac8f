"""S3's resources: buckets, their settings and policy, and objects (from inline content or a file asset)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from offline.engine.aws import first, some
from offline.engine.registry import handles
from offline.engine.terraform import Resource, TerraformError

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_s3_bucket")
def _bucket(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    name = config["bucket"]
    location = (
        {} if cloud.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": cloud.region}}
    )
    cloud.client("s3").create_bucket(Bucket=name, **location)
    return {
        "id": name,
        "arn": f"arn:aws:s3:::{name}",
        "bucket_domain_name": f"{name}.s3.amazonaws.com",
        "bucket_regional_domain_name": f"{name}.s3.{cloud.region}.amazonaws.com",
        "region": cloud.region,
    }


@handles("aws_s3_bucket_versioning")
def _bucket_versioning(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    status = first(config["versioning_configuration"])["status"]
    cloud.client("s3").put_bucket_versioning(Bucket=config["bucket"], VersioningConfiguration={"Status": status})
    return {"id": config["bucket"]}


@handles("aws_s3_bucket_server_side_encryption_configuration")
def _bucket_encryption(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    rules = []
    for rule in config["rule"]:
        default = first(rule.get("apply_server_side_encryption_by_default"))
        rules.append(
            some(
                ApplyServerSideEncryptionByDefault=some(
                    SSEAlgorithm=default["sse_algorithm"], KMSMasterKeyID=default.get("kms_master_key_id")
                ),
                BucketKeyEnabled=rule.get("bucket_key_enabled"),
            )
        )
    cloud.client("s3").put_bucket_encryption(
        Bucket=config["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
    )
    return {"id": config["bucket"]}


@handles("aws_s3_bucket_public_access_block")
def _public_access_block(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    settings = {
        "BlockPublicAcls": "block_public_acls",
        "BlockPublicPolicy": "block_public_policy",
        "IgnorePublicAcls": "ignore_public_acls",
        "RestrictPublicBuckets": "restrict_public_buckets",
    }
    cloud.client("s3").put_public_access_block(
        Bucket=config["bucket"],
        PublicAccessBlockConfiguration={name: bool(config.get(key, False)) for name, key in settings.items()},
    )
    return {"id": config["bucket"]}


@handles("aws_s3_bucket_ownership_controls")
def _ownership_controls(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    ownership = first(config["rule"])["object_ownership"]
    cloud.client("s3").put_bucket_ownership_controls(
        Bucket=config["bucket"], OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]}
    )
    return {"id": config["bucket"]}


@handles(
    "aws_s3_bucket_policy", inert="moto checks it for object requests only, over HTTPS, without checking principals"
)
def _bucket_policy(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("s3").put_bucket_policy(Bucket=config["bucket"], Policy=config["policy"])
    return {"id": config["bucket"]}


@handles("aws_s3_bucket_logging", inert="stored; S3 writes no access logs offline")
def _bucket_logging(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("s3").put_bucket_logging(
        Bucket=config["bucket"],
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": config["target_bucket"], "TargetPrefix": config.get("target_prefix", "")}
        },
    )
    return {"id": config["bucket"]}


@handles("aws_s3_bucket_lifecycle_configuration", inert="stored; objects never transition or expire offline")
def _bucket_lifecycle(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("s3").put_bucket_lifecycle_configuration(
        Bucket=config["bucket"], LifecycleConfiguration={"Rules": [_lifecycle_rule(rule) for rule in config["rule"]]}
    )
    return {"id": config["bucket"]}


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    expiration = first(rule.get("expiration"))
    noncurrent = first(rule.get("noncurrent_version_expiration"))
    abort = first(rule.get("abort_incomplete_multipart_upload"))
    return some(
        ID=rule.get("id"),
        Status=rule["status"],
        Filter=some(Prefix=first(rule.get("filter")).get("prefix")),
        Transitions=[some(Days=t.get("days"), StorageClass=t["storage_class"]) for t in rule.get("transition", [])]
        or None,
        Expiration=some(Days=expiration.get("days")) or None,
        NoncurrentVersionExpiration=some(NoncurrentDays=noncurrent.get("noncurrent_days")) or None,
        AbortIncompleteMultipartUpload=some(DaysAfterInitiation=abort.get("days_after_initiation")) or None,
    )


@handles("aws_s3_object")
def _object(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    if "content" in config:
        body = str(config["content"]).encode("utf-8")
    else:
        if cloud.stack.directory is None:
            raise TerraformError(f"{resource}: its source is a file asset; load the stack from its cdk.tf.json path")
        body = (cloud.stack.directory / config["source"]).read_bytes()
    extra = {
        name: config[key]
        for key, name in (("content_type", "ContentType"), ("cache_control", "CacheControl"))
        if config.get(key)
    }
    answer = cloud.client("s3").put_object(Bucket=config["bucket"], Key=config["key"], Body=body, **extra)
    return {"id": config["key"], "etag": answer["ETag"].strip('"'), "version_id": answer.get("VersionId", "")}
