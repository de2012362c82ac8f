"""The clients ``ops`` uses, and the names of an environment's resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3


@dataclass
class Environment:
    """One environment, reached with the caller's credentials (and ``AWS_ENDPOINT_URL`` when set)."""

    prefix: str
    region: str | None = None
    endpoint_url: str | None = None
    _session: Any = None
    _clients: dict[str, Any] = field(default_factory=dict)
    _identity: dict[str, str] | None = None

    def client(self, service: str) -> Any:
        if service not in self._clients:
            if self._session is None:
                self._session = boto3.Session(region_name=self.region)
            self._clients[service] = self._session.client(service, endpoint_url=self.endpoint_url)
        return self._clients[service]

    @property
    def account_id(self) -> str:
        if self._identity is None:
            self._identity = self.client("sts").get_caller_identity()
        return str(self._identity["Account"])

    @property
    def region_name(self) -> str:
        return str(self.client("sts").meta.region_name)

    def name(self, service: str, purpose: str) -> str:
        return f"{self.prefix}-{service}-{purpose}"

    @property
    def bus_name(self) -> str:
        return self.name("events", "bus")

    @property
    def archive_name(self) -> str:
        return self.name("events", "archive")

    @property
    def audit_bucket(self) -> str:
        # modules/audit.py: account and region make the bucket name globally unique.
        return f"{self.name('audit', 'events')}-{self.account_id}-{self.region_name}"
