"""WAFv2's resources: web ACLs, their association with a stage, their logging."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import botocore.session

from offline.engine.registry import handles
from offline.engine.terraform import Resource, TerraformError

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_wafv2_web_acl")
def _web_acl(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    arguments = _shaped("wafv2", "CreateWebACL", {key: value for key, value in config.items() if key != "tags"})
    summary = cloud.client("wafv2").create_web_acl(**arguments)["Summary"]
    return {"arn": summary["ARN"], "id": summary["Id"], "lock_token": summary["LockToken"]}


@handles("aws_wafv2_web_acl_association")
def _web_acl_association(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("wafv2").associate_web_acl(WebACLArn=config["web_acl_arn"], ResourceArn=config["resource_arn"])
    return {"id": f"{config['web_acl_arn']},{config['resource_arn']}"}


@handles("aws_wafv2_web_acl_logging_configuration")
def _web_acl_logging(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    configuration = _shaped("wafv2", "PutLoggingConfiguration", {"logging_configuration": config})
    cloud.client("wafv2").put_logging_configuration(**configuration)
    return {"id": config["resource_arn"]}


_botocore = botocore.session.get_session()


def _shaped(service: str, operation: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """Terraform's snake_case blocks as the API's parameters, guided by the operation's input shape: names match
    without underscores and case (``cloudwatch_metrics_enabled`` is ``CloudWatchMetricsEnabled``), a block name may
    be the singular of a list member (``rule`` is ``Rules``), and a one-item list of blocks becomes the structure
    the API wants. A name the shape does not know is an error naming it, so nothing is dropped silently."""
    shape = _botocore.get_service_model(service).operation_model(operation).input_shape
    return dict(_to_shape(shape, config, operation))


def _to_shape(shape: Any, value: Any, where: str) -> Any:
    if shape.type_name == "structure":
        value = value[0] if isinstance(value, list) and len(value) == 1 else value
        members = {name.lower(): name for name in shape.members}
        shaped = {}
        for key, item in (value or {}).items():
            plain = key.replace("_", "").lower()
            name = members.get(plain) or members.get(f"{plain}s")
            if name is None:
                raise TerraformError(f"{where}: {key} has no counterpart in the API's {shape.name}")
            shaped[name] = _to_shape(shape.members[name], item, f"{where}.{key}")
        return shaped
    if shape.type_name == "map":
        # Terraform names a map's keys as blocks (request_body { api_gateway {...} }); the API as enum values.
        value = value[0] if isinstance(value, list) and len(value) == 1 else value
        return {key.upper(): _to_shape(shape.value, item, f"{where}.{key}") for key, item in (value or {}).items()}
    if shape.type_name == "list":
        items = value if isinstance(value, list) else [value]
        return [_to_shape(shape.member, item, f"{where}[]") for item in items]
    return value
