"""moto SQS speedups that change no answer, for queues holding thousands of messages (a burst's backlog).

moto 5.2.5 does work in proportion to a queue's whole backlog on every call that touches one message, so a queue
of 5,000 made each receive slower than the executions it fed (a sampled 5,000-review burst spent a third of the
process there):

- ``receive_message`` checks each message it returns against the retention period by calling
  ``get_queue_attributes``, which computes every attribute, the three approximate counts among them, each a pass
  over the backlog; :func:`installed` reads the queue's retention period directly.
- ``Queue.messages`` (the visible, undelayed messages) read the clock twice per message; it reads it once per call.
  A message whose timeout ends within that one pass is seen as it was when the pass began, as a call a moment
  earlier would have seen it: SQS promises no finer ordering.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from unittest import mock

import moto.sqs.models as sqs_models
from moto.sqs.models import Message, Queue, SQSBackend


def _retained(self: SQSBackend, queue_name: str, message: Message) -> bool:
    retention_seconds = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
    return bool(retention_seconds + message.sent_timestamp / 1000 > sqs_models.unix_time())  # type: ignore[operator]


def _visible_messages(self: Queue) -> list[Message]:
    # Read through the module, so that a patched clock (offline.sqs.clock) is the one read.
    now = sqs_models.unix_time_millis()
    return [message for message in self._messages if now > message.visible_at and not now < message.delayed_until]


@contextmanager
def installed() -> Iterator[None]:
    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(SQSBackend, "is_message_valid_based_on_retention_period", _retained))
        stack.enter_context(mock.patch.object(Queue, "messages", property(_visible_messages)))
        yield
