"""The whole review system offline: a synthesized stack on moto (offline.engine.cloud) with its REST API served
over HTTP on localhost (offline.apigateway.server), agents in the stack's Cognito user pool, and a client that
talks to the API as a browser or a script would."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from offline.apigateway.server import ApiServer, RestApi
from offline.comprehend.language import LanguageServices
from offline.engine.cloud import OfflineCloud
from offline.engine.faults import Faults
from offline.wafv2.acl import WebAcl


@dataclass
class HttpAnswer:
    status: int
    body: Any
    headers: dict[str, str]


class OfflineSystem:
    """A stack's cloud and its API server, entered together.

    Inputs: ``stack`` (path of a cdk.tf.json, or the parsed JSON), ``port`` (0: any free port),
    ``language`` (offline Comprehend/Translate; a fresh one by default), ``retry_waits`` (record Step
    Functions retry waits instead of sleeping them), ``extra_routes`` (for serving pages beside the API),
    ``faults`` (:class:`~offline.engine.faults.Faults`: call counts and injected AWS errors).
    ``pipe_pollers`` and ``visibility_scale`` (see :class:`~offline.engine.cloud.OfflineCloud`).
    Exposes: ``cloud``, ``api`` (the :class:`RestApi`), ``server``, ``api_url``, :meth:`create_agent`,
    :meth:`sign_in`, :meth:`request`, :meth:`submit_review`.
    """

    def __init__(
        self,
        stack: str | Path | Mapping[str, Any],
        *,
        port: int = 0,
        language: LanguageServices | None = None,
        retry_waits: list[float] | None = None,
        extra_routes: Any = None,
        faults: Faults | None = None,
        pipe_pollers: int = 4,
        visibility_scale: float = 1.0,
    ):
        self.cloud = OfflineCloud(
            stack,
            language=language,
            retry_waits=retry_waits,
            faults=faults,
            pipe_pollers=pipe_pollers,
            visibility_scale=visibility_scale,
        )
        self._port = port
        self._extra_routes = extra_routes
        self.api: RestApi
        self.server: ApiServer

    def __enter__(self) -> OfflineSystem:
        self.cloud.__enter__()
        try:
            rest_api = self.cloud.resource("aws_api_gateway_rest_api")
            stage = self.cloud.resource("aws_api_gateway_stage")
            pools = {pool["arn"]: pool["id"] for pool in self.cloud.resources("aws_cognito_user_pool").values()}
            self.api = RestApi(
                json.loads(rest_api["body"]),
                stage=stage["stage_name"],
                stage_variables=stage.get("variables") or {},
                user_pools=pools,
                region=self.cloud.region,
                on_execution=self.cloud.track_execution,
                web_acl=self._web_acl(stage["arn"]),
            )
            self.server = ApiServer(self.api, port=self._port, extra=self._extra_routes).__enter__()
        except BaseException:
            self.cloud.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            self.server.__exit__(kind, error, trace)
        finally:
            self.cloud.__exit__(kind, error, trace)

    def _web_acl(self, stage_arn: str) -> WebAcl | None:
        """The web ACL associated with the stage, if any."""
        acls = {acl["arn"]: acl for acl in self.cloud.resources("aws_wafv2_web_acl").values()}
        for association in self.cloud.resources("aws_wafv2_web_acl_association").values():
            if association["resource_arn"] == stage_arn:
                return WebAcl(acls[association["web_acl_arn"]])
        return None

    @property
    def api_url(self) -> str:
        return self.server.url

    # --- agents --------------------------------------------------------------------------------------

    def user_pool(self) -> tuple[str, str]:
        """(user pool id, console client id) of the agents' pool."""
        pool = self.cloud.resource("aws_cognito_user_pool")
        client = self.cloud.resource("aws_cognito_user_pool_client")
        return pool["id"], client["id"]

    def create_agent(self, email: str = "agent@example.com", password: str | None = None) -> tuple[str, str]:
        """An agent who can sign in at once (no forced password change); returns (username, password)."""
        password = password or f"Agent-{secrets.token_urlsafe(9)}1!"
        pool_id, _ = self.user_pool()
        idp = self.cloud.client("cognito-idp")
        idp.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )
        idp.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
        return email, password

    def sign_in(self, username: str, password: str) -> str:
        """The ID token the agent console gets from Cognito's USER_PASSWORD_AUTH flow."""
        _, client_id = self.user_pool()
        answer = self.cloud.client("cognito-idp").initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return str(answer["AuthenticationResult"]["IdToken"])

    # --- HTTP ----------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        raw: bytes | None = None,
    ) -> HttpAnswer:
        """One real HTTP request to the served API (``path`` below the stage, e.g. ``/reviews``)."""
        data = raw if raw is not None else (json.dumps(body).encode("utf-8") if body is not None else None)
        request = urllib.request.Request(self.api_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, payload, answer_headers = response.status, response.read(), dict(response.headers.items())
        except urllib.error.HTTPError as error:
            status, payload, answer_headers = error.code, error.read(), dict(error.headers.items())
        text = payload.decode("utf-8")
        try:
            parsed: Any = json.loads(text) if text else None
        except json.JSONDecodeError:
            parsed = text
        return HttpAnswer(status, parsed, answer_headers)

    def submit_review(self, review: Mapping[str, Any], idempotency_key: str | None = None) -> HttpAnswer:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self.request("POST", "/reviews", dict(review), headers)
