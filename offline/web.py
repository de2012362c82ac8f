"""The web pages offline, on the same origin as the API: the files of web/ with the headers CloudFront's
response headers policy sets, a config.json pointing at the local API and the local Cognito, and that
Cognito's sign-in API (InitiateAuth, RespondToAuthChallenge) answered by moto's cognito-idp."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from modules.web import content_type, security_headers, site_config, site_files
from offline.apigateway import Response

COGNITO_PATH = "/cognito/"
# The only Cognito operations the agent console calls; nothing else is exposed.
COGNITO_OPERATIONS = {
    "AWSCognitoIdentityProviderService.InitiateAuth": "initiate_auth",
    "AWSCognitoIdentityProviderService.RespondToAuthChallenge": "respond_to_auth_challenge",
}


class WebRoutes:
    """Answers the pages, config.json and Cognito for an :class:`offline.system.OfflineSystem`'s server; the rest
    of the paths go to the API. Call :meth:`bind` with the system once it is up."""

    def __init__(self) -> None:
        self.files = site_files()
        self.system: Any = None

    def bind(self, system: Any) -> None:
        self.system = system

    @property
    def site_url(self) -> str:
        return self.system.server.url.rsplit("/", 1)[0] + "/"

    def __call__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Response | None:
        route = urlsplit(path).path
        if self.system is None or route.startswith(f"/{self.system.api.stage}/"):
            return None
        origin = f"http://{_header(headers, 'Host') or '127.0.0.1'}"
        if route == COGNITO_PATH:
            return self._cognito(method, headers, body)
        if method not in ("GET", "HEAD"):
            return Response(405, json.dumps({"message": "Method Not Allowed"}), {"Content-Type": "application/json"})
        page_headers = {**security_headers(origin, origin), "Cache-Control": "no-cache"}
        if route == "/config.json":
            pool_id, client_id = self.system.user_pool()
            config = site_config(
                api_url=f"{origin}/{self.system.api.stage}",
                region=self.system.cloud.region,
                user_pool_id=pool_id,
                user_pool_client_id=client_id,
                cognito_endpoint=f"{origin}{COGNITO_PATH}",
            )
            return Response(200, json.dumps(config), {**page_headers, "Content-Type": "application/json"})
        key = "index.html" if route in ("", "/") else route.lstrip("/")
        if key not in self.files:
            return Response(404, "Not Found", {**page_headers, "Content-Type": "text/plain; charset=utf-8"})
        text = self.files[key].read_text(encoding="utf-8")
        return Response(200, text, {**page_headers, "Content-Type": content_type(key)})

    def _cognito(self, method: str, headers: dict[str, str], body: bytes) -> Response:
        json_type = {"Content-Type": "application/x-amz-json-1.1"}
        operation = COGNITO_OPERATIONS.get(_header(headers, "X-Amz-Target") or "")
        if method != "POST" or operation is None:
            error = {"__type": "UnknownOperationException", "message": "Only sign-in operations are served here"}
            return Response(400, json.dumps(error), json_type)
        try:
            answer = getattr(self.system.cloud.client("cognito-idp"), operation)(**json.loads(body or b"{}"))
        except ClientError as error:
            code, message = error.response["Error"]["Code"], error.response["Error"]["Message"]
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
            return Response(status, json.dumps({"__type": code, "message": message}), json_type)
        except (TypeError, ValueError) as error:
            return Response(400, json.dumps({"__type": "InvalidParameterException", "message": str(error)}), json_type)
        answer.pop("ResponseMetadata", None)
        return Response(200, json.dumps(answer, default=str), json_type)


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)
