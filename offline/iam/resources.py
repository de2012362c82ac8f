"""IAM's resources: roles, their inline policies and attachments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    cloud.client("iam").attach_role_policy(RoleName=config["role"], PolicyArn=config["policy_arn"])
    return {"id": f"{config['role']}-{config['policy_arn'].rsplit('/', 1)[-1]}"}
