"""boto3 clients of the offline region, made once per service and shared by every thread of a component."""

from __future__ import annotations

import threading
from typing import Any

import boto3


class Clients:
    """``clients("sqs")``: the one client of that service (boto3 clients are thread-safe once made; making them is
    not, and making one per call copied botocore's event hooks each time: a sampled burst spent a sixth of the
    process there)."""

    def __init__(self, region: str, session: boto3.session.Session | None = None):
        self.region = region
        self._session = session
        self._made: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str) -> Any:
        with self._lock:
            if service not in self._made:
                make = self._session.client if self._session is not None else boto3.client
                self._made[service] = make(service, region_name=self.region)
            return self._made[service]
