"""offline/apigateway/: a REST API created from its OpenAPI body, as Terraform's aws_api_gateway_rest_api does."""

from __future__ import annotations

import json

from offline.engine.cloud import OfflineCloud
from tests.offline_stacks import small_stack


def test_a_rest_api_with_mock_preflights_is_imported():
    body = {
        "openapi": "3.0.1",
        "info": {"title": "t", "description": "moto's import needs one", "version": "1"},
        "paths": {
            "/reviews": {
                "options": {
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {"application/json": '{"statusCode": 200}'},
                        "responses": {"default": {"statusCode": "200"}},
                    },
                }
            }
        },
    }
    document = small_stack({"aws_api_gateway_rest_api": {"api": {"name": "test-api", "body": json.dumps(body)}}})
    with OfflineCloud(document) as running:
        api = running.resource("aws_api_gateway_rest_api", "api")
        paths = [item["path"] for item in running.client("apigateway").get_resources(restApiId=api["id"])["items"]]
    assert sorted(paths) == ["/", "/reviews"]
