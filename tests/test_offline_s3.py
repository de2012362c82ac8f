"""offline/s3/: buckets and objects from Terraform, and bucket policies evaluated with their conditions."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from offline.engine.cloud import OfflineCloud
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
