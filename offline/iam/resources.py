"""IAM's resources: roles, their inline policies and attachments."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import TYPE_CHECKING, Any

from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, iam_backends

from offline.engine.aws import some
from offline.engine.registry import handles
from offline.engine.terraform import Resource

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_iam_role")
def _iam_role(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    role = cloud.client("iam").create_role(
        **some(
            RoleName=config["name"],
            AssumeRolePolicyDocument=config["assume_role_policy"],
            Description=config.get("description"),
            MaxSessionDuration=config.get("max_session_duration"),
            Path=config.get("path"),
        )
    )["Role"]
    return {
        "arn": role["Arn"],
        "id": role["RoleName"],
        "unique_id": role["RoleId"],
        "create_date": role["CreateDate"].isoformat(),
    }


@handles("aws_iam_role_policy", inert="stored; moto evaluates no IAM policy for service integrations")
def _iam_role_policy(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("iam").put_role_policy(
        RoleName=config["role"], PolicyName=config["name"], PolicyDocument=config["policy"]
    )
    return {"id": f"{config['role']}:{config['name']}"}


@handles("aws_iam_role_policy_attachment", inert="stored; moto evaluates no IAM policy for service integrations")
def _iam_role_policy_attachment(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    _provide_aws_managed_policy(cloud, config["policy_arn"])
    cloud.client("iam").attach_role_policy(RoleName=config["role"], PolicyArn=config["policy_arn"])
    return {"id": f"{config['role']}-{config['policy_arn'].rsplit('/', 1)[-1]}"}


_AWS_MANAGED = re.compile(r"^arn:aws:iam::aws:policy/(?:.*/)?(?P<name>[^/]+)$")


@cache
def _aws_managed_policies() -> dict[str, Any]:
    """AWS's managed policies as moto ships them, read once per process."""
    return dict(json.loads(aws_managed_policies_data))


def _provide_aws_managed_policy(cloud: OfflineCloud, arn: str) -> None:
    """Give the account the one AWS managed policy it attaches, as AWS has every one: moto would otherwise load all
    of them into every IAM backend on every bring-up (most of a second each). A name AWS does not have stays
    missing, so the attachment fails with NoSuchEntity as on AWS."""
    found = _AWS_MANAGED.match(arn)
    if found is None or found["name"] not in _aws_managed_policies():
        return
    backend = iam_backends[cloud.account_id]["global"]
    if arn not in backend.managed_policies:
        policy = AWSManagedPolicy.from_data(
            found["name"], cloud.account_id, "us-east-1", _aws_managed_policies()[found["name"]]
        )
        backend.managed_policies[policy.arn] = policy
