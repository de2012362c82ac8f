"""EventBridge Pipes from an SQS queue to a Step Functions state machine, offline.

moto stores pipes (CreatePipe, DescribePipe, StartPipe, StopPipe, ...) and never runs them. Here each pipe has
``pollers`` threads which, while the pipe's desired state is RUNNING, do what a pipe does with an SQS source
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-sqs.html,
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html):

- gather a batch: ReceiveMessage (at most 10 per call, as SQS allows) until ``BatchSize`` messages are held or
  ``MaximumBatchingWindowInSeconds`` has passed since the first one (with a window of 0, one receive);
- hand the target the batch as a JSON array of records (``messageId``, ``receiptHandle``, ``body``, ``attributes``
  with ``ApproximateReceiveCount``, ``messageAttributes``, ``md5OfBody``, ``eventSource`` ``aws:sqs``,
  ``eventSourceARN``, ``awsRegion``);
- REQUEST_RESPONSE: start the execution and wait for its end, as StartSyncExecution does (moto lacks it), within
  Express's 300 seconds. Succeeded: every message is deleted but those the output names in
  ``batchItemFailures`` (``[{"itemIdentifier": <messageId>}]``); an itemIdentifier that names no message of the
  batch, or is empty, fails the whole batch (the Lambda event source mapping's rule, which Pipes shares). Failed,
  timed out or aborted: nothing is deleted. FIRE_AND_FORGET: the batch is deleted once the execution has started;
- a message not deleted becomes visible again when its visibility timeout ends and is delivered again; SQS itself
  (moto) moves a message received ``maxReceiveCount`` times to the dead-letter queue of its redrive policy.

Time: ``visibility_scale`` (1.0: as AWS) shortens the wait of a failed message before it is visible again, so a
test sees a redelivery in seconds instead of the queue's minutes: the message's visibility is set to the queue's
timeout times the scale (ChangeMessageVisibility) once its batch has failed. Nothing else is accelerated.

Every batch is recorded in ``batches``; every execution started is passed to ``on_execution``.
"""

from __future__ import annotations

import json
import math
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.pipes.models import pipes_backends

from offline.engine.clients import Clients
from offline.stepfunctions import executions

SQS_RECEIVE_MAX = 10
EXPRESS_SYNC_LIMIT_SECONDS = 300
IDLE_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class PipeConfig:
    name: str
    source_arn: str
    target_arn: str
    batch_size: int = 10
    batching_window_seconds: int = 0
    invocation_type: str = "REQUEST_RESPONSE"
    running: bool = True


@dataclass
class Batch:
    """One invocation of a pipe's target: what the demo and the benchmarks read."""

    pipe: str
    size: int
    execution_arn: str = ""
    status: str = "pending"
    retried: list[str] = field(default_factory=list)
    deleted: int = 0
    started: float = 0.0
    ended: float = 0.0


class OfflinePipes:
    """Runs every pipe added with :meth:`add` while :meth:`installed` (see the module docstring).

    Inputs: ``region``; ``pollers`` (concurrent batches per pipe); ``visibility_scale``; ``on_execution(arn)``.
    Exposes: ``pipes``, ``batches``, ``errors`` (faults of this machinery, which OfflineCloud.drain raises),
      :meth:`add`, :meth:`idle`, :meth:`installed`.
    """

    def __init__(
        self,
        *,
        region: str,
        pollers: int = 4,
        visibility_scale: float = 1.0,
        on_execution: Callable[[str], None] | None = None,
    ):
        if pollers < 1:
            raise ValueError(f"OfflinePipes: pollers {pollers} must be at least 1")
        if not 0 < visibility_scale <= 1:
            raise ValueError(f"OfflinePipes: visibility_scale {visibility_scale} must be in (0, 1]")
        self.region = region
        self._client = Clients(region)
        self.pollers = pollers
        self.visibility_scale = visibility_scale
        self.pipes: dict[str, PipeConfig] = {}
        self.batches: list[Batch] = []
        self.errors: list[str] = []
        self._on_execution = on_execution
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._installed = False
        self._lock = threading.Lock()
        self._in_flight = 0
        # moto's ReceiveMessage is not safe against concurrent callers on one queue: one receive at a time.
        self._receive_locks: dict[str, threading.Lock] = {}

    def add(self, pipe: PipeConfig) -> None:
        with self._lock:
            self.pipes[pipe.name] = pipe
            self._receive_locks.setdefault(pipe.source_arn, threading.Lock())
            if self._installed:
                self._start(pipe)

    def idle(self) -> bool:
        """No batch in flight and no message visible or in flight in any running pipe's source queue."""
        with self._lock:
            if self._in_flight:
                return False
            pipes = list(self.pipes.values())
        pipes = [pipe for pipe in pipes if self.running(pipe)]
        sqs = self._client("sqs")
        for pipe in pipes:
            attributes = sqs.get_queue_attributes(
                QueueUrl=self._queue_url(pipe.source_arn),
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            if int(attributes["ApproximateNumberOfMessages"]) or int(
                attributes["ApproximateNumberOfMessagesNotVisible"]
            ):
                return False
        return True

    @contextmanager
    def installed(self) -> Iterator[OfflinePipes]:
        with self._lock:
            self._installed = True
            for pipe in self.pipes.values():
                self._start(pipe)
        try:
            yield self
        finally:
            self._stop.set()
            for thread in self._threads:
                thread.join(timeout=10)

    def running(self, pipe: PipeConfig) -> bool:
        """The pipe's desired state as CreatePipe, StartPipe or StopPipe last set it (moto keeps it), or the
        config's for a pipe moto does not know. A stopped pipe receives nothing; a batch in flight ends as it
        would have (https://docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_StopPipe.html)."""
        account = pipe.source_arn.split(":")[4]
        known = pipes_backends[account][self.region].pipes.get(pipe.name)
        return pipe.running if known is None else known.desired_state == "RUNNING"

    # --- polling -------------------------------------------------------------------------------------

    def _start(self, pipe: PipeConfig) -> None:
        for index in range(self.pollers):
            thread = threading.Thread(
                target=self._poll, args=(pipe,), name=f"offline-pipe-{pipe.name}-{index}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _poll(self, pipe: PipeConfig) -> None:
        url = self._queue_url(pipe.source_arn)
        while not self._stop.is_set():
            if not self.running(pipe):
                self._stop.wait(IDLE_POLL_SECONDS)
                continue
            try:
                messages = self._gather(pipe, url)
                if not messages:
                    self._stop.wait(IDLE_POLL_SECONDS)
                    continue
                self._deliver(pipe, url, messages)
            except Exception:  # a fault of the offline machinery: record it and keep polling
                with self._lock:
                    self.errors.append(f"pipe {pipe.name}: {traceback.format_exc()}")
                self._stop.wait(IDLE_POLL_SECONDS)

    def _gather(self, pipe: PipeConfig, url: str) -> list[dict[str, Any]]:
        sqs = self._client("sqs")
        held: list[dict[str, Any]] = []
        deadline: float | None = None
        while len(held) < pipe.batch_size and not self._stop.is_set():
            with self._receive_locks[pipe.source_arn]:
                received = sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=min(SQS_RECEIVE_MAX, pipe.batch_size - len(held)),
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
                if received:
                    with self._lock:
                        # Counted in flight before the receive lock is released, so idle() never sees a gap.
                        self._in_flight += 1 if not held else 0
            held.extend(received)
            if not held:
                return []
            if deadline is None:
                deadline = time.monotonic() + pipe.batching_window_seconds
            if time.monotonic() >= deadline:
                break
            if not received:
                self._stop.wait(IDLE_POLL_SECONDS)
        return held

    def _deliver(self, pipe: PipeConfig, url: str, messages: list[dict[str, Any]]) -> None:
        batch = Batch(pipe=pipe.name, size=len(messages), started=time.monotonic())
        with self._lock:
            self.batches.append(batch)
        try:
            records = [self._record(pipe, message) for message in messages]
            retried = self._invoke(pipe, batch, records)
            by_id = {message["MessageId"]: message for message in messages}
            done = [message for message in messages if message["MessageId"] not in retried]
            self._delete(url, done)
            batch.deleted = len(done)
            batch.retried = sorted(retried)
            self._hasten(url, [by_id[message_id] for message_id in retried])
        finally:
            batch.ended = time.monotonic()
            with self._lock:
                self._in_flight -= 1

    def _record(self, pipe: PipeConfig, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: {key[0].lower() + key[1:]: value for key, value in attribute.items()}
                for name, attribute in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": pipe.source_arn,
            "awsRegion": self.region,
        }

    def _invoke(self, pipe: PipeConfig, batch: Batch, records: list[dict[str, Any]]) -> set[str]:
        """The ids of the messages to leave in the queue."""
        every = {record["messageId"] for record in records}
        sfn = self._client("stepfunctions")
        started = sfn.start_execution(
            stateMachineArn=pipe.target_arn, name=str(uuid.uuid4()), input=json.dumps(records)
        )
        batch.execution_arn = started["executionArn"]
        if self._on_execution is not None:
            self._on_execution(started["executionArn"])
        if pipe.invocation_type == "FIRE_AND_FORGET":
            batch.status = "started"
            return set()
        execution = executions.outcome(sfn, started["executionArn"], EXPRESS_SYNC_LIMIT_SECONDS)
        batch.status = execution["status"]
        if execution["status"] != "SUCCEEDED":
            return every
        return _item_failures(execution.get("output"), every)

    def _delete(self, url: str, messages: list[dict[str, Any]]) -> None:
        sqs = self._client("sqs")
        for start in range(0, len(messages), SQS_RECEIVE_MAX):
            chunk = messages[start : start + SQS_RECEIVE_MAX]
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )

    def _hasten(self, url: str, messages: list[dict[str, Any]]) -> None:
        if self.visibility_scale == 1 or not messages:
            return
        sqs = self._client("sqs")
        timeout = int(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"][
                "VisibilityTimeout"
            ]
        )
        scaled = max(0, math.ceil(timeout * self.visibility_scale))
        for message in messages:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=scaled
            )

    # --- clients -------------------------------------------------------------------------------------

    def _queue_url(self, arn: str) -> str:
        _, _, _, _, account, name = arn.split(":")
        return str(self._client("sqs").get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])


def _item_failures(output: str | None, every: set[str]) -> set[str]:
    """The messages a succeeded execution names in ``batchItemFailures``; every one if the answer is unusable."""
    try:
        answer = json.loads(output) if output else None
    except json.JSONDecodeError:
        return set()
    if not isinstance(answer, dict) or "batchItemFailures" not in answer:
        return set()
    failures = answer["batchItemFailures"]
    if not isinstance(failures, list):
        return every
    named = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in every:
            return every
        named.add(identifier)
    return named
