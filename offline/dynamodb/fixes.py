"""Where moto 5.2.5's DynamoDB stops short of AWS for this system: a conditional write is not atomic.

moto checks a write's ConditionExpression and then applies the write, with nothing keeping another thread's write
out in between; served over HTTP from many threads (the offline API and the workflows' tasks), two conditional
updates of one item can both pass. DynamoDB applies each write to an item atomically, its condition included
("conditional writes ... the write succeeds only if the condition is met",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ConditionalUpdate):
:func:`atomic_writes` makes every item write of the block one at a time, so exactly one of racing conditional writes
wins and the others fail with ConditionalCheckFailedException, as on AWS. Reads are left alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

from moto.dynamodb.models import DynamoDBBackend

_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


@contextmanager
def atomic_writes() -> Iterator[None]:
    """For the block, each DynamoDB item write (its condition check and its change) happens alone."""
    lock = threading.RLock()

    def serialized(write: Callable[..., Any]) -> Callable[..., Any]:
        def one_at_a_time(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
            with lock:
                return write(self, *args, **kwargs)

        return one_at_a_time

    with ExitStack() as stack:
        for name in _WRITES:
            original = getattr(DynamoDBBackend, name, None)
            if original is not None:
                stack.enter_context(mock.patch.object(DynamoDBBackend, name, serialized(original)))
        yield
