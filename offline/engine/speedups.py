"""moto speedups that change no behaviour, for the load benchmarks (thousands of executions, dozens of threads).

moto 5.2.5 takes one process-wide lock (``moto.core.base_backend.backend_lock``) on every ``backends[account]``
lookup, to create the account's backends on first use; every API call and every Step Functions state makes one.
Under the GIL, dozens of threads queue on that lock (a sampled burst run had a dozen threads waiting there at any
moment). :func:`installed` looks an account up without the lock once it exists and its BackendDict is registered,
the same answer moto gives after taking the lock; a first use still takes moto's path, lock and all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.core.base_backend import BackendDict


@contextmanager
def installed() -> Iterator[None]:
    original = BackendDict.__getitem__

    def lookup(self: BackendDict[Any], account_id: str) -> Any:
        registered = BackendDict._instances  # type: ignore[misc]  # moto's class-level registry
        if dict.__contains__(self, account_id) and any(known is self for known in registered):
            return dict.__getitem__(self, account_id)
        return original(self, account_id)

    with mock.patch.object(BackendDict, "__getitem__", lookup):
        yield
