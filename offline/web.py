"""The web pages offline, on the same origin as the API: what the stack's distribution serves
(:mod:`offline.cloudfront.site`: the site bucket's objects with the response headers policy's headers, config.json
pointing at the local API and the local Cognito), and that Cognito's sign-in API (:mod:`offline.cognito.signin`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from offline.apigateway.server import Response
from offline.cloudfront.site import Site
from offline.cognito import signin

COGNITO_PATH = "/cognito/"


class WebRoutes:
    """Answers the pages, config.json and Cognito for an :class:`offline.system.OfflineSystem`'s server; the rest
    of the paths go to the API. Call :meth:`bind` with the system once it is up."""

    def __init__(self) -> None:
        self.system: Any = None
        self.site: Site | None = None

    def bind(self, system: Any) -> None:
        self.system = system
        self.site = Site.of(system.cloud)

    @property
    def site_url(self) -> str:
        return str(self.system.server.url).rsplit("/", 1)[0] + "/"

    def __call__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Response | None:
        route = urlsplit(path).path
        if self.system is None or route.startswith(f"/{self.system.api.stage}/"):
            return None
        if route == COGNITO_PATH:
            cognito = self.system.cloud.client("cognito-idp")
            return signin.answer(cognito, method, _header(headers, "X-Amz-Target"), body)
        if self.site is None:
            return None
        host = _header(headers, "Host")
        # The Host is checked before it is used: config.json names the endpoints at the caller's own origin, and a
        # foreign one would point the pages elsewhere (a cache would keep that for every reader).
        page = self.site.refusal(method, host, body, names=self._names()) or self.site.get(
            route, endpoints=self._endpoints(f"http://{host}")
        )
        return Response(page.status, page.body, page.headers)

    def _names(self) -> set[str]:
        """What the local distribution answers at: the server's address and localhost, with its port."""
        host, port = self.system.server.server.server_address[:2]
        return {f"{host}:{port}", f"localhost:{port}"}

    def _endpoints(self, origin: str) -> dict[str, str]:
        """The deployed endpoints the pages call, each with the local one that answers for it at ``origin``."""
        cloud = self.system.cloud
        stage = cloud.resource("aws_api_gateway_stage")
        return {
            stage["invoke_url"]: f"{origin}/{self.system.api.stage}",
            signin.regional_endpoint(cloud.region): f"{origin}{COGNITO_PATH}",
        }


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)
