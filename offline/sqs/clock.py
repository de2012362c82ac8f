"""SQS's clock, offline, and a way to move it: delays, visibility timeouts and retention are measured on it.

A retry deferred with DelaySeconds or a message hidden by a visibility timeout comes back minutes later on AWS; a
test or the fault bench cannot wait that long. :func:`installed` points moto's SQS at a clock that is the real
time plus an offset, and :meth:`SqsClock.advance` adds to the offset, so every delayed or hidden message becomes
due exactly as it would have after that much time. Nothing else's clock moves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from unittest import mock

import moto.sqs.models as sqs_models
from moto.core import utils


class SqsClock:
    """Exposes ``offset`` (seconds added to the real time) and :meth:`advance`."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._lock = threading.Lock()

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"SqsClock.advance: seconds {seconds} must be 0 or more: time does not run backwards")
        with self._lock:
            self.offset += seconds

    def now(self) -> float:
        return time.time() + self.offset

    def now_millis(self) -> float:
        return self.now() * 1000

    def _unix_time(self, dt: datetime | None = None) -> float:
        return utils.unix_time(dt) if dt is not None else self.now()

    def _unix_time_millis(self, dt: datetime | None = None) -> float:
        return utils.unix_time_millis(dt) if dt is not None else self.now_millis()

    @contextmanager
    def installed(self) -> Iterator[SqsClock]:
        with (
            mock.patch.object(sqs_models, "unix_time", self._unix_time),
            mock.patch.object(sqs_models, "unix_time_millis", self._unix_time_millis),
        ):
            yield self
