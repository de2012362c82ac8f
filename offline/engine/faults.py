"""Fault injection and call counting for every AWS call made inside the offline cloud (tests and benches only).

Every boto3 call made in the process while moto is active (the workflows' Tasks, EventBridge's deliveries, the API's
integrations, the harness's own reads) passes moto's ``BotocoreStubber``; :meth:`Faults.installed` wraps it:

- ``calls`` counts each call by ``(service, operation)``, named as botocore names its events (``("sesv2",
  "SendEmail")``, ``("sfn", "StartExecution")``, ``("dynamodb", "UpdateItem")``): the cost model prices them, so a
  service another branch adds (SQS, Pipes, ...) is counted without anyone listing it;
- :meth:`Faults.inject` makes the next N calls of one operation fail with an AWS error code, as the service would
  answer: the caller gets the ``ClientError`` at once, with no SDK retry, so each injected fault is exactly one
  failed attempt of the caller's own retry logic (a Step Functions Retry, EventBridge's retry policy).

Calls that never reach boto3 are not seen here: Comprehend and Translate are answered by handlers inside the Step
Functions interpreter (:mod:`offline.comprehend.language` counts and throttles those), and calls arriving over HTTP
at the AWS endpoint (:mod:`offline.engine.endpoint`) go to moto's backends without a client.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from botocore.exceptions import ClientError
from moto.core.botocore_stubber import BotocoreStubber


class Faults:
    """Exposes ``calls`` (Counter of ``(service, operation)``), ``injected`` (Counter of faults raised),
    :meth:`inject`, :meth:`pending`, :meth:`installed`."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self.injected: Counter[tuple[str, str]] = Counter()
        self._pending: dict[tuple[str, str], list[tuple[str, str, int, str | None]]] = {}
        self._lock = threading.Lock()

    def inject(
        self,
        service: str,
        operation: str,
        *,
        times: int = 1,
        code: str = "ThrottlingException",
        message: str = "Rate exceeded",
        status: int = 400,
        matching: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``service``'s ``operation`` fail with ``code``; with ``matching``, only
        calls whose request body contains that text (a resource's ARN, say)."""
        if times < 1:
            raise ValueError(f"Faults.inject: times {times} must be 1 or more")
        if not service.islower() or not operation[:1].isupper():
            raise ValueError(
                f"Faults.inject: name the call as botocore does: a lower-case service id and the operation's "
                f"PascalCase name, such as ('sesv2', 'SendEmail'); got ({service!r}, {operation!r})"
            )
        with self._lock:
            self._pending.setdefault((service, operation), []).extend([(code, message, status, matching)] * times)

    def pending(self, service: str, operation: str) -> int:
        with self._lock:
            return len(self._pending.get((service, operation), []))

    def _next(self, service: str, operation: str, body: str) -> tuple[str, str, int] | None:
        with self._lock:
            self.calls[(service, operation)] += 1
            queued = self._pending.get((service, operation), [])
            for index, (code, message, status, matching) in enumerate(queued):
                if matching is None or matching in body:
                    del queued[index]
                    self.injected[(service, operation)] += 1
                    return code, message, status
            return None

    @contextmanager
    def installed(self) -> Iterator[Faults]:
        original = BotocoreStubber.__call__
        faults = self

        def call(stubber: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
            if stubber.enabled:
                # "before-send.<service id>.<Operation>"
                _, service, operation = event_name.split(".", 2)
                body = (
                    request.body.decode("utf-8", "replace")
                    if isinstance(request.body, bytes)
                    else str(request.body or "")
                )
                fault = faults._next(service, operation, body)
                if fault is not None:
                    code, message, status = fault
                    raise ClientError(
                        {
                            "Error": {"Code": code, "Message": message},
                            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": str(uuid.uuid4())},
                        },
                        operation,
                    )
            return original(stubber, event_name, request, **kwargs)

        with mock.patch.object(BotocoreStubber, "__call__", call):
            yield self
