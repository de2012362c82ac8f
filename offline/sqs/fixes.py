"""SQS queues whose messages survive concurrent callers, as SQS's do (moto 5.2.5 is not safe under threads).

moto's ``Queue.delete_message`` rebuilds the queue's message list without a lock, while ``add_message`` appends to
it under the queue's lock and ``receive_message`` moves messages to the dead-letter queue by removing them from it.
Two callers at once lose one's change: a message deleted by one pipe poller comes back when another's delete
rewrites the list (and is delivered again once its visibility timeout ends, its batch analysed twice), and a
message EventBridge sends while a delete rewrites the list is lost. A burst run saw both patterns: a succeeded
batch's messages delivered again 212 s later with ApproximateReceiveCount 2. :func:`atomic_queues` runs every
operation that changes a queue's messages under that queue's own lock, so each is atomic, as in SQS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

from moto.sqs.models import SQSBackend

# The SQSBackend operations that read and change a queue's messages, each taking the queue's name first.
CHANGES = ("receive_message", "delete_message", "change_message_visibility", "purge_queue")


def _under_the_queues_lock(operation: Callable[..., Any]) -> Callable[..., Any]:
    def locked(self: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        # The queue's Condition holds a reentrant lock, and a long poll's wait releases it while it waits.
        with self.get_queue(queue_name)._messages_lock:
            return operation(self, queue_name, *args, **kwargs)

    return locked


@contextmanager
def atomic_queues() -> Iterator[None]:
    """While active, moto's SQS changes each queue's messages one operation at a time."""
    with ExitStack() as stack:
        for name in CHANGES:
            stack.enter_context(mock.patch.object(SQSBackend, name, _under_the_queues_lock(getattr(SQSBackend, name))))
        yield
