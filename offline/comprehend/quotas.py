"""Comprehend's request-rate quotas, offline: one token bucket per operation, refilled at the quota's rate.

AWS throttles each real-time operation per account and region at a rate in requests per second (Service Quotas;
"Guidelines and quotas" of the Comprehend developer guide). Over it, the call fails with ThrottlingException, a code
botocore's comprehend model does not list for these operations, so the SDK (and Step Functions, as
``Comprehend.ComprehendException``) sees the base exception.
https://docs.aws.amazon.com/comprehend/latest/dg/guidelines-and-limits.html

:data:`DEFAULT_RATES` are the default quotas as the developer guide's throttling table gave them (20 requests per
second for the single-document calls, 10 for the batch calls of up to 25 documents). They could not be read from
an account's Service Quotas console here: check them there (they are adjustable), and pass the account's own to
:class:`Quotas`. A bucket holds one second of requests, so a burst of one second's quota passes at once, as an
idle account's first second does; AWS does not document its burst allowance.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

DEFAULT_RATES: Mapping[str, float] = {
    "DetectSentiment": 20.0,
    "DetectDominantLanguage": 20.0,
    "BatchDetectSentiment": 10.0,
    "BatchDetectDominantLanguage": 10.0,
}


class TokenBucket:
    """``rate`` tokens per second, holding at most ``capacity`` (``rate`` by default); :meth:`take` is atomic."""

    def __init__(self, rate: float, capacity: float | None = None, *, clock: Callable[[], float] = time.monotonic):
        if rate <= 0:
            raise ValueError(f"TokenBucket: rate {rate} must be above 0")
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else rate)
        if self.capacity < 1:
            raise ValueError(f"TokenBucket: capacity {self.capacity} must hold at least one request")
        self._clock = clock
        self._tokens = self.capacity
        self._at = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """One request: True if a token was there (and is now used), False if the request is throttled."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


class Quotas:
    """One bucket per operation named in ``rates`` (requests per second); an operation not named is not limited.

    Exposes: ``rates``, :meth:`admit` (False: throttle this call).
    """

    def __init__(self, rates: Mapping[str, float] = DEFAULT_RATES, *, clock: Callable[[], float] = time.monotonic):
        for operation, rate in rates.items():
            if rate <= 0:
                raise ValueError(f"Quotas: {operation} rate {rate} must be above 0")
        self.rates = dict(rates)
        self._buckets = {operation: TokenBucket(rate, clock=clock) for operation, rate in self.rates.items()}

    def admit(self, operation: str) -> bool:
        bucket = self._buckets.get(operation)
        return bucket is None or bucket.take()
