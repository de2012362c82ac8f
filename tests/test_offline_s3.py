"""offline/s3/: buckets and objects from Terraform, and bucket policies evaluated with their conditions."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from offline.engine.cloud import OfflineCloud
from offline.s3.fixes import S3_REQUEST_CONTEXT, statement_applies
from tests.offline_stacks import small_stack

TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["${aws_s3_bucket.b.arn}", "${aws_s3_bucket.b.arn}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def test_a_tls_only_bucket_policy_admits_requests_over_https():
    policy = {"Version": "2012-10-17", "Statement": [TLS_ONLY]}
    document = small_stack(
        {
            "aws_s3_bucket": {"b": {"bucket": "test-bucket"}},
            "aws_s3_bucket_policy": {"p": {"bucket": "${aws_s3_bucket.b.id}", "policy": json.dumps(policy)}},
        }
    )
    with OfflineCloud(document) as running:
        running.client("s3").put_object(Bucket="test-bucket", Key="k", Body=b"x")
        assert running.objects("test-bucket") == {"k": b"x"}


def test_an_unconditional_deny_in_a_bucket_policy_still_denies():
    deny = {**TLS_ONLY, "Condition": {}}
    document = small_stack(
        {
            "aws_s3_bucket": {"b": {"bucket": "test-bucket"}},
            "aws_s3_bucket_policy": {
                "p": {"bucket": "${aws_s3_bucket.b.id}", "policy": json.dumps({"Statement": [deny]})}
            },
        }
    )
    with OfflineCloud(document) as running, pytest.raises(ClientError):
        running.client("s3").put_object(Bucket="test-bucket", Key="k", Body=b"x")


def test_an_object_is_put_with_its_content_type_and_cache_control():
    document = small_stack(
        {
            "aws_s3_bucket": {"b": {"bucket": "test-bucket"}},
            "aws_s3_object": {
                "o": {
                    "bucket": "${aws_s3_bucket.b.id}",
                    "key": "page.html",
                    "content": "<p>hi</p>",
                    "content_type": "text/html; charset=utf-8",
                    "cache_control": "public, max-age=300",
                }
            },
        }
    )
    with OfflineCloud(document) as running:
        stored = running.client("s3").get_object(Bucket="test-bucket", Key="page.html")
        etag = running.resource("aws_s3_object", "o")["etag"]
        assert (stored["Body"].read(), stored["ContentType"], stored["CacheControl"]) == (
            b"<p>hi</p>",
            "text/html; charset=utf-8",
            "public, max-age=300",
        )
    assert etag == stored["ETag"].strip('"')


def test_a_statement_applies_only_when_its_conditions_hold_over_https():
    assert not statement_applies(TLS_ONLY, S3_REQUEST_CONTEXT)
    assert statement_applies({**TLS_ONLY, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}, S3_REQUEST_CONTEXT)
    assert not statement_applies({"Condition": {"StringEquals": {"aws:SourceAccount": "1"}}}, S3_REQUEST_CONTEXT)
    assert statement_applies({"Condition": {"StringEqualsIfExists": {"aws:SourceAccount": "1"}}}, S3_REQUEST_CONTEXT)
