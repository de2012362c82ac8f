"""API Gateway's resources: the REST API (imported from its OpenAPI body), deployments, stages and their settings.
The API is served over HTTP by :mod:`offline.apigateway.server`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from offline.engine.aws import arn, first, some
from offline.engine.registry import handles
from offline.engine.terraform import Resource

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_api_gateway_rest_api")
def _rest_api(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    apigateway = cloud.client("apigateway")
    endpoint = first(config.get("endpoint_configuration"))
    if config.get("body"):
        api = apigateway.import_rest_api(body=config["body"].encode())
        patches = [{"op": "replace", "path": "/name", "value": config["name"]}]
        if config.get("description"):
            patches.append({"op": "replace", "path": "/description", "value": config["description"]})
        apigateway.update_rest_api(restApiId=api["id"], patchOperations=patches)
    else:
        api = apigateway.create_rest_api(
            **some(
                name=config["name"],
                description=config.get("description"),
                endpointConfiguration={"types": endpoint["types"]} if endpoint else None,
            )
        )
    root = next(item["id"] for item in apigateway.get_resources(restApiId=api["id"])["items"] if item["path"] == "/")
    return {
        "id": api["id"],
        "root_resource_id": root,
        "arn": f"arn:aws:apigateway:{cloud.region}::/restapis/{api['id']}",
        "execution_arn": arn(cloud, "execute-api", api["id"]),
        "created_date": datetime.now(UTC).isoformat(),
    }


@handles("aws_api_gateway_deployment")
def _deployment(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    deployment = cloud.client("apigateway").create_deployment(
        **some(restApiId=config["rest_api_id"], description=config.get("description"))
    )
    return {
        "id": deployment["id"],
        "created_date": datetime.now(UTC).isoformat(),
        "execution_arn": arn(cloud, "execute-api", f"{config['rest_api_id']}/"),
    }


@handles("aws_api_gateway_stage")
def _stage(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    apigateway = cloud.client("apigateway")
    api, stage = config["rest_api_id"], config["stage_name"]
    apigateway.create_stage(
        **some(
            restApiId=api,
            stageName=stage,
            deploymentId=config["deployment_id"],
            description=config.get("description"),
            variables=config.get("variables"),
            tracingEnabled=config.get("xray_tracing_enabled"),
            cacheClusterEnabled=config.get("cache_cluster_enabled"),
        )
    )
    access = first(config.get("access_log_settings"))
    if access:
        apigateway.update_stage(
            restApiId=api,
            stageName=stage,
            patchOperations=[
                {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": access["destination_arn"]},
                {"op": "replace", "path": "/accessLogSettings/format", "value": access["format"]},
            ],
        )
    return {
        "id": f"ags-{api}-{stage}",
        "arn": f"arn:aws:apigateway:{cloud.region}::/restapis/{api}/stages/{stage}",
        "invoke_url": f"https://{api}.execute-api.{cloud.region}.amazonaws.com/{stage}",
        "execution_arn": arn(cloud, "execute-api", f"{api}/{stage}"),
    }


@handles("aws_api_gateway_account", inert="stored; API Gateway writes no logs offline")
def _apigateway_account(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    if config.get("cloudwatch_role_arn"):
        cloud.client("apigateway").update_account(
            patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": config["cloudwatch_role_arn"]}]
        )
    return {"id": "api-gateway-account"}


_METHOD_SETTINGS = {
    "metrics_enabled": "metrics/enabled",
    "logging_level": "logging/loglevel",
    "data_trace_enabled": "logging/dataTrace",
    "throttling_burst_limit": "throttling/burstLimit",
    "throttling_rate_limit": "throttling/rateLimit",
    "caching_enabled": "caching/enabled",
    "cache_ttl_in_seconds": "caching/ttlInSeconds",
    "cache_data_encrypted": "caching/dataEncrypted",
    "require_authorization_for_cache_control": "caching/requireAuthorizationForCacheControl",
    "unauthorized_cache_control_header_strategy": "caching/unauthorizedCacheControlHeaderStrategy",
}


@handles("aws_api_gateway_method_settings", inert="stored on the stage; throttling and logging are not applied offline")
def _method_settings(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    settings = first(config["settings"])
    path = config["method_path"]
    patches = [
        {
            "op": "replace",
            "path": f"/{path}/{target}",
            "value": str(settings[key]).lower() if isinstance(settings[key], bool) else str(settings[key]),
        }
        for key, target in _METHOD_SETTINGS.items()
        if settings.get(key) is not None
    ]
    cloud.client("apigateway").update_stage(
        restApiId=config["rest_api_id"], stageName=config["stage_name"], patchOperations=patches
    )
    return {"id": f"{config['rest_api_id']}-{config['stage_name']}-{path}"}
