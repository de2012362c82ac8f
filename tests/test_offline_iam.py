"""offline/iam/: roles, their inline policies and attached managed policies created from Terraform."""

from __future__ import annotations

import json

from offline.engine.cloud import OfflineCloud
from tests.offline_stacks import small_stack

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": "*"}]}


def test_a_role_gets_its_inline_policy_and_its_managed_policy():
    document = small_stack(
        {
            "aws_iam_role": {"r": {"name": "test-role", "assume_role_policy": json.dumps(TRUST)}},
            "aws_iam_role_policy": {
                "p": {"role": "${aws_iam_role.r.name}", "name": "publish", "policy": json.dumps(POLICY)}
            },
            "aws_iam_role_policy_attachment": {
                "x": {"role": "${aws_iam_role.r.name}", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
            },
        }
    )
    with OfflineCloud(document) as running:
        iam = running.client("iam")
        role = running.resource("aws_iam_role", "r")
        inline = iam.list_role_policies(RoleName="test-role")["PolicyNames"]
        attached = [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="test-role")["AttachedPolicies"]]
    assert role["arn"].endswith(":role/test-role") and role["unique_id"]
    assert (inline, attached) == (["publish"], ["ReadOnlyAccess"])


def test_a_managed_policy_aws_does_not_have_cannot_be_attached():
    import pytest
    from botocore.exceptions import ClientError

    document = small_stack(
        {
            "aws_iam_role": {"r": {"name": "test-role", "assume_role_policy": json.dumps(TRUST)}},
            "aws_iam_role_policy_attachment": {
                "x": {"role": "${aws_iam_role.r.name}", "policy_arn": "arn:aws:iam::aws:policy/NoSuchPolicyAtAll"}
            },
        }
    )
    with pytest.raises(ClientError, match="NoSuchEntity"), OfflineCloud(document):
        pass
