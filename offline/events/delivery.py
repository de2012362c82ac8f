"""EventBridge delivery to Step Functions and Firehose targets, offline.

moto matches rules and delivers to SQS, log groups, buses and archives, and raises NotImplementedError for a
``states`` or ``firehose`` target. :meth:`OfflineEventBridge.installed` wraps moto's ``Rule.send_to_targets``: for
every rule whose pattern (moto's ``EventPattern``) matches, each Step Functions or Firehose target gets a delivery
job; every other target is left to moto. A worker thread runs the jobs in order, as EventBridge delivers
asynchronously after PutEvents has answered:

- input: the whole event, or the target's ``Input``, ``InputPath`` or ``InputTransformer``, made by
  :mod:`aws_behaviour.eventbridge_input` (the model ``python -m ops`` redrives with too); an input EventBridge could
  not make (a JSON template that gives invalid JSON for the event) is delivered nowhere: the delivery is ``dropped``
  with the reason in ``error_message`` (whether AWS counts it as a failed invocation or dead-letters it is not
  documented);
- ``states`` -> StartExecution (a fresh name per delivery); ``firehose`` -> PutRecord of the input text;
- failures are retried as the target's ``RetryPolicy`` says (defaults 185 attempts, 24 hours). The waits between
  attempts are modelled, not slept: 1 s doubling up to 5 minutes (EventBridge documents "exponential back off and
  jitter" without numbers), added to the event's age, and recorded in ``retry_waits``. A missing target or missing
  permission is not retried, as documented. When retries run out the event goes to the target's dead-letter queue
  with the attributes EventBridge adds (RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS and, when
  retries ran out, EXHAUSTED_RETRY_CONDITION), or is dropped when it has none. ERROR_CODE is EventBridge's
  category of the target's error (THROTTLING, RESOURCE_NOT_FOUND, NO_PERMISSIONS, INVALID_PARAMETER, or
  SDK_CLIENT_ERROR for anything else), ERROR_MESSAGE the target's own message.
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html

Every event put on a bus is kept in ``events`` (the envelope targets receive) and handed to ``on_event``; every
delivery is logged in ``deliveries``; every execution a delivery started is in ``executions``.
"""

from __future__ import annotations

import copy
import json
import queue
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from botocore.exceptions import ClientError
from moto.events.models import EventsBackend, Rule

from aws_behaviour.eventbridge_input import Undeliverable, target_input
from offline.engine.clients import Clients
from offline.events import replay

DEFAULT_MAX_RETRY_ATTEMPTS = 185
DEFAULT_MAX_EVENT_AGE_SECONDS = 86_400
FIRST_RETRY_WAIT_SECONDS = 1.0
MAX_RETRY_WAIT_SECONDS = 300.0
OFFLINE_TARGETS = ("states", "firehose")
# Errors EventBridge sends straight to the dead-letter queue: retrying cannot help.
NOT_RETRIED = ("RESOURCE_NOT_FOUND", "NO_PERMISSIONS")
_ERROR_CODES = (
    (re.compile(r"DoesNotExist|NotFound"), "RESOURCE_NOT_FOUND"),
    (re.compile(r"AccessDenied|NotAuthorized|Unauthorized"), "NO_PERMISSIONS"),
    (re.compile(r"Throttl|TooManyRequests|LimitExceeded|SlowDown"), "THROTTLING"),
    (re.compile(r"Invalid|Validation"), "INVALID_PARAMETER"),
)


@dataclass
class Delivery:
    """One event delivered (or not) to one target: the demo's timeline reads these."""

    event_id: str
    detail_type: str
    rule: str
    rule_arn: str
    target_id: str
    target_arn: str
    attempts: int = 0
    outcome: str = "pending"  # delivered | dead-lettered | dropped
    result: str | None = None  # the execution ARN or the Firehose record id
    error_code: str | None = None
    error_message: str | None = None
    at: str = ""


@dataclass
class _Job:
    event: dict[str, Any]
    rule_arn: str
    rule_name: str
    target: dict[str, Any]
    received: float


class _Failure(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class OfflineEventBridge:
    """Delivery of matched events to Step Functions and Firehose targets (see the module docstring).

    Inputs: ``region``; ``on_event(envelope)``, called for every event put on any bus.
    Exposes: ``events``, ``deliveries``, ``executions``, ``retry_waits``, ``errors`` (faults of this machinery
      itself, which :meth:`OfflineCloud.drain` raises); :meth:`fail_target` (fault injection),
      :meth:`idle`, :meth:`wait_idle`, :meth:`installed`.
    """

    def __init__(self, *, region: str, on_event: Callable[[dict[str, Any]], None] | None = None):
        self.region = region
        self._client = Clients(region)
        self.events: list[dict[str, Any]] = []
        self.deliveries: list[Delivery] = []
        self.executions: list[str] = []
        self.retry_waits: list[float] = []
        self.errors: list[str] = []
        self._on_event = on_event
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._busy = 0
        self._changed = threading.Condition()
        self._faults: dict[str, list[tuple[str, str]]] = {}

    def fail_target(
        self, target_arn: str, times: int = 1, code: str = "ThrottlingException", message: str = "Rate exceeded"
    ) -> None:
        """Make the next ``times`` delivery attempts to ``target_arn`` fail with the AWS error ``code``."""
        with self._changed:
            self._faults.setdefault(target_arn, []).extend([(code, message)] * times)

    def idle(self) -> bool:
        with self._changed:
            return self._busy == 0

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no delivery is queued or running; False if ``timeout`` seconds pass first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._busy == 0, timeout=timeout)

    @contextmanager
    def installed(self) -> Iterator[OfflineEventBridge]:
        bridge = self
        original_send = Rule.send_to_targets
        original_put = EventsBackend.put_events

        def send_to_targets(rule: Rule, event: dict[str, Any], transform_input: bool = True) -> None:
            bridge._route(rule, event, original_send, transform_input)

        def put_events(backend: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
            entries = original_put(backend, events)
            for entry, result in zip(events, entries, strict=True):
                if "EventId" in result:
                    bridge._published(_envelope_of_entry(entry, result["EventId"], backend))
            return entries

        worker = threading.Thread(target=self._work, name="offline-eventbridge", daemon=True)
        with ExitStack() as stack:
            stack.enter_context(mock.patch.object(Rule, "send_to_targets", send_to_targets))
            stack.enter_context(mock.patch.object(EventsBackend, "put_events", put_events))
            stack.enter_context(replay.installed())
            worker.start()
            try:
                yield self
            finally:
                self._jobs.put(None)
                worker.join(timeout=10)

    # --- routing -------------------------------------------------------------------------------------

    def _route(self, rule: Rule, event: dict[str, Any], original: Callable[..., None], transform: bool) -> None:
        if not rule.state.startswith("ENABLED"):
            return
        # moto annotates matches_event with its EventMessageType TypedDict; the envelope it is given is that shape.
        if not rule.event_pattern.matches_event(event):  # type: ignore[arg-type]
            return
        ours = [target for target in rule.targets if _service(target["Arn"]) in OFFLINE_TARGETS]
        others = [target for target in rule.targets if target not in ours]
        if others:
            moto_rule = copy.copy(rule)
            moto_rule.targets = others
            original(moto_rule, event, transform)
        envelope = _envelope(event)
        for target in ours:
            self._enqueue(_Job(envelope, rule.arn, rule.name, dict(target), time.monotonic()))

    def _published(self, envelope: dict[str, Any]) -> None:
        with self._changed:
            self.events.append(envelope)
        if self._on_event is not None:
            self._on_event(envelope)

    def _enqueue(self, job: _Job) -> None:
        with self._changed:
            self._busy += 1
        self._jobs.put(job)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                self._deliver(job)
            except Exception as error:  # a fault of the offline machinery, not of the target: keep delivering
                with self._changed:
                    self.errors.append(f"{job.rule_name} -> {job.target['Arn']}: {traceback.format_exc()}")
                    self.deliveries[-1].outcome = f"error: {error!r}"
            finally:
                with self._changed:
                    self._busy -= 1
                    self._changed.notify_all()

    # --- delivery ------------------------------------------------------------------------------------

    def _deliver(self, job: _Job) -> None:
        target = job.target
        delivery = Delivery(
            event_id=job.event["id"],
            detail_type=job.event.get("detail-type", ""),
            rule=job.rule_name,
            rule_arn=job.rule_arn,
            target_id=target["Id"],
            target_arn=target["Arn"],
            at=_now(),
        )
        with self._changed:
            self.deliveries.append(delivery)
        policy = target.get("RetryPolicy", {})
        max_retries = int(policy.get("MaximumRetryAttempts", DEFAULT_MAX_RETRY_ATTEMPTS))
        max_age = float(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_SECONDS))
        try:
            payload = target_input(target, job.event, rule_arn=job.rule_arn)
        except Undeliverable as refused:
            delivery.outcome, delivery.error_message = "dropped", str(refused)
            return
        modelled_wait = 0.0
        while True:
            delivery.attempts += 1
            try:
                delivery.result = self._invoke(target, payload)
                delivery.outcome = "delivered"
                return
            except _Failure as failure:
                delivery.error_code, delivery.error_message = failure.code, failure.message
                exhausted = self._exhausted(failure, delivery.attempts, max_retries, job, modelled_wait, max_age)
                if exhausted is not None:
                    self._dead_letter(job, delivery, exhausted)
                    return
                wait = min(FIRST_RETRY_WAIT_SECONDS * 2 ** (delivery.attempts - 1), MAX_RETRY_WAIT_SECONDS)
                modelled_wait += wait
                with self._changed:
                    self.retry_waits.append(wait)

    @staticmethod
    def _exhausted(
        failure: _Failure, attempts: int, max_retries: int, job: _Job, waited: float, max_age: float
    ) -> str | None:
        """Why no further attempt is made ("" when the error is never retried), or None to retry."""
        if failure.code in NOT_RETRIED:
            return ""
        if attempts > max_retries:
            return "MaximumRetryAttempts"
        next_wait = min(FIRST_RETRY_WAIT_SECONDS * 2 ** (attempts - 1), MAX_RETRY_WAIT_SECONDS)
        if time.monotonic() - job.received + waited + next_wait > max_age:
            return "MaximumEventAgeInSeconds"
        return None

    def _invoke(self, target: Mapping[str, Any], payload: str) -> str:
        arn = target["Arn"]
        with self._changed:
            faults = self._faults.get(arn)
            fault = faults.pop(0) if faults else None
        try:
            if fault is not None:
                raise ClientError({"Error": {"Code": fault[0], "Message": fault[1]}}, "Invoke")
            if _service(arn) == "states":
                return self._start_execution(arn, payload)
            return self._put_record(arn, payload)
        except ClientError as error:
            raise _Failure(_error_code(error), error.response["Error"].get("Message", "")) from error

    def _start_execution(self, arn: str, payload: str) -> str:
        execution = self._client("stepfunctions").start_execution(
            stateMachineArn=arn, name=str(uuid.uuid4()), input=payload
        )
        with self._changed:
            self.executions.append(execution["executionArn"])
        return str(execution["executionArn"])

    def _put_record(self, arn: str, payload: str) -> str:
        stream = arn.split(":deliverystream/")[-1]
        return str(
            self._client("firehose").put_record(DeliveryStreamName=stream, Record={"Data": payload.encode()})[
                "RecordId"
            ]
        )

    def _dead_letter(self, job: _Job, delivery: Delivery, condition: str) -> None:
        queue_arn = job.target.get("DeadLetterConfig", {}).get("Arn")
        if not queue_arn:
            delivery.outcome = "dropped"
            return
        attributes = {
            "RULE_ARN": job.rule_arn,
            "TARGET_ARN": job.target["Arn"],
            "ERROR_CODE": delivery.error_code or "",
            "ERROR_MESSAGE": delivery.error_message or "",
            "EXHAUSTED_RETRY_CONDITION": condition,
            "RETRY_ATTEMPTS": str(delivery.attempts - 1),
        }
        sqs = self._client("sqs")
        account, name = queue_arn.split(":")[4], queue_arn.split(":")[5]
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps(job.event),
            MessageAttributes={
                key: {"DataType": "String", "StringValue": value} for key, value in attributes.items() if value
            },
        )
        delivery.outcome = "dead-lettered"


# --- events and inputs -------------------------------------------------------------------------------


def _service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) > 2 else ""


def _error_code(error: ClientError) -> str:
    code = error.response["Error"].get("Code", "")
    for pattern, mapped in _ERROR_CODES:
        if pattern.search(code):
            return mapped
    return "SDK_CLIENT_ERROR"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(value: Any) -> str:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _envelope(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event as targets receive it: moto's message without its own ``ingestion-time``, time in ISO 8601."""
    envelope = {key: value for key, value in copy.deepcopy(dict(event)).items() if key != "ingestion-time"}
    envelope["time"] = _iso(envelope.get("time"))
    return envelope


def _envelope_of_entry(entry: Mapping[str, Any], event_id: str, backend: EventsBackend) -> dict[str, Any]:
    return {
        "version": "0",
        "id": event_id,
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": backend.account_id,
        "time": _iso(entry.get("Time", time.time())),
        "region": backend.region_name,
        "resources": list(entry.get("Resources", [])),
        "detail": json.loads(entry["Detail"]),
    }
