"""Where moto 5.2.5's DynamoDB stops short of AWS for this system.

- A conditional write is atomic in DynamoDB: "the condition is evaluated and the write is performed as one
  operation" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html),
  so of two concurrent ``PutItem`` calls with ``attribute_not_exists`` on one key exactly one succeeds. moto checks
  the condition and then writes, unlocked, so two threads (concurrent Step Functions executions, say) can both
  pass the check. :func:`atomic_writes` makes every write of the backend one step: PutItem, UpdateItem,
  DeleteItem, TransactWriteItems and BatchWriteItem run one at a time. Reads are not held.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

from moto.dynamodb.models import DynamoDBBackend

WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
# One lock for every table: a transaction may span tables. Re-entrant: a batch write calls put_item.
_WRITING = threading.RLock()


def _one_at_a_time(write: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(write)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _WRITING:
            return write(*args, **kwargs)

    return locked


@contextmanager
def atomic_writes() -> Iterator[None]:
    """While active, moto's DynamoDB writes are atomic, as DynamoDB's are."""
    with ExitStack() as stack:
        for name in WRITES:
            stack.enter_context(
                mock.patch.object(DynamoDBBackend, name, _one_at_a_time(getattr(DynamoDBBackend, name)))
            )
        yield
