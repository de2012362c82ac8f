"""offline/kms/: customer keys and their aliases created from Terraform."""

from __future__ import annotations

from offline.engine.cloud import OfflineCloud
from tests.offline_stacks import small_stack


def test_a_key_is_created_with_rotation_and_its_alias_names_it():
    document = small_stack(
        {
            "aws_kms_key": {"k": {"description": "test key", "enable_key_rotation": True}},
            "aws_kms_alias": {"a": {"name": "alias/test", "target_key_id": "${aws_kms_key.k.key_id}"}},
        }
    )
    with OfflineCloud(document) as running:
        key = running.resource("aws_kms_key", "k")
        alias = running.resource("aws_kms_alias", "a")
        rotation = running.client("kms").get_key_rotation_status(KeyId=key["key_id"])["KeyRotationEnabled"]
    assert rotation and alias["target_key_arn"] == key["arn"] and alias["arn"].endswith(":alias/test")
