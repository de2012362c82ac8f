"""A synthesized stack, brought up in process on moto: no AWS account, no Terraform.

:class:`OfflineCloud` reads a stack's ``cdk.tf.json`` (:mod:`offline.engine.terraform`) and, inside ``mock_aws``
with every service's gap-fillers entered, creates every resource in dependency order with the handler its service
package registered for its Terraform type (:mod:`offline.engine.registry`), recording the attributes Terraform
would expose (``arn``, ``id``, ``name``, ``url``, ...) on top of the resource's resolved arguments, so later
references resolve. A type with no handler raises :class:`UnsupportedResource` before anything is created.

What runs, beyond moto, each in its service's package:

- EventBridge delivery to Step Functions and Firehose targets, with retries and dead-letter queues
  (:mod:`offline.events.delivery`);
- Firehose processing, dynamic partitioning, error output and compression (:mod:`offline.firehose.delivery`);
- EventBridge Pipes from SQS queues to Step Functions, batches and partial batch failures (:mod:`offline.pipes.delivery`);
- Comprehend and Translate (:mod:`offline.comprehend.language`);
- the schema registry, which validates every event put on a bus (:mod:`offline.schemas.validation`);
- Step Functions' aws-sdk integrations as AWS runs them (:mod:`offline.stepfunctions.fixes`), SESv2 templated email
  (:mod:`offline.ses.templates`), MOCK integrations imported (:mod:`offline.apigateway.fixes`), bucket policy
  conditions (:mod:`offline.s3.fixes`), atomic conditional writes (:mod:`offline.dynamodb.fixes`) and SQS queues
  safe under concurrent callers (:mod:`offline.sqs.fixes`);
- speedups that change no answer, for thousands of messages and executions: moto's backend lookup without its
  process-wide lock (:mod:`offline.engine.speedups`), queue reads that do not walk the backlog
  (:mod:`offline.sqs.speedups`), executions found by index (:mod:`offline.stepfunctions.speedups`) and target
  input paths parsed once (:mod:`offline.events.speedups`).

Resources whose behaviour does not run offline (alarms never evaluate, email subscriptions never confirm, IAM and
KMS are not enforced, ...) are created in moto all the same; :data:`INERT` says what each of those types does not do.

:meth:`OfflineCloud.drain` is the quiescence point: it returns once no delivery is pending and no execution a
delivery started is running, reporting the executions that wait on a task token.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from botocore.exceptions import ClientError
from moto import mock_aws

# Importing a service's resources module registers its handlers.
from offline.apigateway import fixes as apigateway_fixes
from offline.apigateway import resources as _apigateway  # noqa: F401
from offline.athena import resources as _athena  # noqa: F401
from offline.cloudfront import resources as _cloudfront  # noqa: F401
from offline.cloudwatch import resources as _cloudwatch  # noqa: F401
from offline.cognito import resources as _cognito  # noqa: F401
from offline.comprehend.language import LanguageServices
from offline.comprehend.quotas import DEFAULT_RATES, Quotas
from offline.dynamodb import fixes as dynamodb_fixes
from offline.dynamodb import resources as _dynamodb  # noqa: F401
from offline.engine import data_sources as _data_sources  # noqa: F401
from offline.engine import speedups
from offline.engine.aws import error_message
from offline.engine.clients import Clients
from offline.engine.faults import Faults
from offline.engine.registry import CONFIGURATION_ONLY, HANDLERS, INERT, UnsupportedResource, check_supported
from offline.engine.terraform import Address, Resource, Stack, resolve
from offline.events import resources as _events  # noqa: F401
from offline.events import speedups as events_speedups
from offline.events.delivery import OfflineEventBridge
from offline.firehose import resources as _firehose  # noqa: F401
from offline.firehose.delivery import DeliveredObject, OfflineFirehose
from offline.glue import resources as _glue  # noqa: F401
from offline.iam import resources as _iam  # noqa: F401
from offline.kms import resources as _kms  # noqa: F401
from offline.logs import resources as _logs  # noqa: F401
from offline.pipes import resources as _pipes  # noqa: F401
from offline.pipes.delivery import OfflinePipes
from offline.s3 import fixes as s3_fixes
from offline.s3 import resources as _s3  # noqa: F401
from offline.scheduler import firing as scheduler_firing
from offline.scheduler import resources as _scheduler  # noqa: F401
from offline.schemas import resources as _schemas  # noqa: F401
from offline.schemas.validation import SchemaRegistry
from offline.ses import resources as _ses  # noqa: F401
from offline.ses import templates as ses_templates
from offline.sns import resources as _sns  # noqa: F401
from offline.sqs import fixes as sqs_fixes
from offline.sqs import resources as _sqs  # noqa: F401
from offline.sqs import speedups as sqs_speedups
from offline.sqs.clock import SqsClock
from offline.stepfunctions import executions
from offline.stepfunctions import fixes as stepfunctions_fixes
from offline.stepfunctions import resources as _stepfunctions  # noqa: F401
from offline.wafv2 import resources as _wafv2  # noqa: F401

__all__ = ["CONFIGURATION_ONLY", "HANDLERS", "INERT", "OfflineCloud", "Quiescence", "UnsupportedResource"]


@dataclass(frozen=True)
class Quiescence:
    """What :meth:`OfflineCloud.drain` found once nothing was moving: executions waiting on a task token."""

    waiting: tuple[str, ...]


class OfflineCloud:
    """A stack running on moto (see the module docstring).

    Inputs:
      stack: a :class:`~offline.engine.terraform.Stack`, a parsed ``cdk.tf.json`` or its path.
      language: the offline Comprehend/Translate (default: a fresh
        :class:`~offline.comprehend.language.LanguageServices` with Comprehend's default quotas).
      handlers: extra ``(service, action)`` handlers for aws-sdk tasks, over the language ones.
      retry_waits: passed to :func:`offline.stepfunctions.fixes.installed`: Step Functions Retry waits are recorded
        there, not slept.
      firehose_clock: the Firehose arrival clock (UTC now by default).
      faults: the :class:`~offline.engine.faults.Faults` that count every boto3 call and inject AWS errors
        (a fresh one by default: counting only).
      pipe_pollers, visibility_scale: passed to :class:`~offline.pipes.delivery.OfflinePipes` (concurrent batches
        per pipe; how much sooner than the queue's visibility timeout a failed message is delivered again).
    Exposes (once entered): ``region``, ``account_id``, ``attributes`` ((type, name) -> attributes),
      ``configuration_only``, ``schemas`` (by ``source@DetailType``), ``schema_violations``, ``ordering_races``,
      ``outputs``, ``language``, ``eventbridge`` (``events``, ``deliveries``, ``executions``), ``firehose``
      (``delivered``); methods :meth:`client`, :meth:`resource`, :meth:`resources`, :meth:`put_event`,
      :meth:`drain`, :meth:`track_execution`, :meth:`waiting`, :meth:`flush_firehose`, :meth:`emails`,
      :meth:`objects`, :meth:`json_lines`; ``faults``, ``sqs_clock`` with :meth:`advance` (SQS's delays and
      visibility timeouts pass at once) and :meth:`fire_schedule` (an EventBridge Scheduler schedule fires now).
    """

    _active = False

    def __init__(
        self,
        stack: Stack | Mapping[str, Any] | str | Path,
        *,
        language: LanguageServices | None = None,
        handlers: Mapping[tuple[str, str], stepfunctions_fixes.Handler] | None = None,
        retry_waits: list[float] | None = None,
        firehose_clock: Callable[[], datetime] | None = None,
        faults: Faults | None = None,
        pipe_pollers: int = 4,
        visibility_scale: float = 1.0,
    ):
        self.stack = _as_stack(stack)
        check_supported(self.stack)
        self.region = self.stack.region
        # Comprehend at its default quotas unless the caller brings its own services.
        self.language = language or LanguageServices(quotas=Quotas(DEFAULT_RATES))
        self._handlers = {**self.language.handlers(), **(handlers or {})}
        self._retry_waits = retry_waits
        self.schema_registry = SchemaRegistry()
        self.schemas = self.schema_registry.schemas
        self.schema_violations = self.schema_registry.violations
        self.eventbridge = OfflineEventBridge(region=self.region, on_event=self.schema_registry.validate)
        self.faults = faults or Faults()
        self.sqs_clock = SqsClock()
        self.firehose = OfflineFirehose(region=self.region, **({"clock": firehose_clock} if firehose_clock else {}))
        self.pipes = OfflinePipes(
            region=self.region,
            pollers=pipe_pollers,
            visibility_scale=visibility_scale,
            on_execution=self.track_execution,
        )
        self.account_id = ""
        self.attributes: dict[Address, dict[str, Any]] = {}
        self.configuration_only: set[Address] = set()
        self.ordering_races: list[str] = []
        self.outputs: dict[str, Any] = {}
        self._clients = Clients(self.region)
        # Executions seen ended: an ended execution never runs again, so drain() stops reading them (a burst tracks
        # thousands, and reading each every 20 ms took an eighth of the process).
        self._ended: set[str] = set()
        self._exit = ExitStack()

    # --- lifecycle -----------------------------------------------------------------------------------

    def __enter__(self) -> OfflineCloud:
        if OfflineCloud._active:
            # moto's backends are per process and a nested mock_aws shares them: two clouds would mix resources.
            raise RuntimeError("another OfflineCloud is running in this process; leave it first")
        with ExitStack() as stack:
            # moto types config as its DefaultConfig TypedDict, whose keys it declares total; a partial dict is what
            # it reads at run time.
            stack.enter_context(mock_aws(config=self._moto_config()))  # type: ignore[call-overload]
            stack.enter_context(self.faults.installed())
            stack.enter_context(self.sqs_clock.installed())
            stack.enter_context(stepfunctions_fixes.installed(self._handlers, retry_waits=self._retry_waits))
            stack.enter_context(ses_templates.installed())
            stack.enter_context(dynamodb_fixes.atomic_writes())
            stack.enter_context(apigateway_fixes.mock_integrations_importable())
            stack.enter_context(s3_fixes.bucket_policy_conditions())
            stack.enter_context(speedups.installed())
            stack.enter_context(sqs_speedups.installed())
            stack.enter_context(events_speedups.installed())
            stack.enter_context(sqs_fixes.atomic_queues())
            stack.enter_context(self.firehose.installed())
            # Closed in reverse: deliveries stop first, then running executions, before moto goes away.
            stack.callback(lambda: executions.stop_all(self.account_id, self.region))
            stack.enter_context(self.eventbridge.installed())
            stack.enter_context(self.pipes.installed())
            self.account_id = self.client("sts").get_caller_identity()["Account"]
            self._create_all()
            self._exit = stack.pop_all()
        OfflineCloud._active = True
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        OfflineCloud._active = False
        self._exit.close()

    def _moto_config(self) -> dict[str, Any]:
        # AWS's managed policies are given one by one as the stack attaches them (offline.iam.resources).
        return {"stepfunctions": {"execute_state_machine": True}, "iam": {"load_aws_managed_policies": False}}

    def _create_all(self) -> None:
        for wave in self.stack.waves():
            # Terraform may create a wave's members in any order; one rejected for lack of a sibling is retried
            # once the wave is done, and the race is recorded so that a missing depends_on is visible.
            rejected: list[tuple[Resource, ClientError]] = []
            for resource in wave:
                try:
                    self._create(resource)
                except ClientError as error:
                    rejected.append((resource, error))
            for resource, first in rejected:
                self._create(resource)
                self.ordering_races.append(
                    f"{error_message(first)} -- it succeeded once the rest of its wave existed: it needs a depends_on "
                    "on the resource it waits for, or terraform apply may fail the same way"
                )
        self.outputs = {
            name: resolve(value, self.attributes, where=f"output.{name}") for name, value in self.stack.outputs.items()
        }

    def _create(self, resource: Resource) -> None:
        config = resolve(resource.config, self.attributes, where=str(resource))
        if resource.type in CONFIGURATION_ONLY:
            self.configuration_only.add(resource.address)
            computed: dict[str, Any] = {"id": config.get("name", resource.name)}
        else:
            try:
                computed = HANDLERS[resource.type](self, resource, config)
            except ClientError as error:
                raise ClientError(
                    {
                        **error.response,
                        "Error": {**error.response["Error"], "Message": f"{resource}: {error_message(error)}"},
                    },
                    error.operation_name,
                ) from error
        self.attributes[resource.address] = {**config, **computed}

    # --- access --------------------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client of the offline region (cached per service)."""
        return self._clients(service)

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        """Every resource of a Terraform type: logical name -> attributes."""
        return {name: attributes for (t, name), attributes in self.attributes.items() if t == kind}

    def resource(self, kind: str, contains: str = "") -> dict[str, Any]:
        """The one resource of ``kind`` whose logical name or construct path contains ``contains``."""
        matches = [
            self.attributes[address]
            for address, resource in self.stack.resources.items()
            if resource.type == kind
            and address in self.attributes
            and (contains in resource.name or contains in resource.path)
        ]
        if len(matches) != 1:
            raise LookupError(f"{len(matches)} resources of type {kind} match {contains!r}; expected exactly one")
        return matches[0]

    # --- events --------------------------------------------------------------------------------------

    def put_event(
        self,
        source: str,
        detail_type: str,
        detail: Mapping[str, Any],
        *,
        bus: str | None = None,
        resources: Sequence[str] = (),
    ) -> str:
        """PutEvents of one event on ``bus`` (the stack's only bus by default); returns its event id."""
        entry = {
            "Source": source,
            "DetailType": detail_type,
            "Detail": json.dumps(detail),
            "EventBusName": bus or self._only_bus(),
            "Resources": list(resources),
        }
        [result] = self.client("events").put_events(Entries=[entry])["Entries"]
        if "EventId" not in result:
            raise RuntimeError(
                f"PutEvents rejected {detail_type}: {result.get('ErrorCode')} {result.get('ErrorMessage')}"
            )
        return str(result["EventId"])

    def _only_bus(self) -> str:
        buses = self.resources("aws_cloudwatch_event_bus")
        if len(buses) != 1:
            raise LookupError(f"the stack has {len(buses)} event buses; name one with bus=")
        return str(next(iter(buses.values()))["name"])

    # --- quiescence ----------------------------------------------------------------------------------

    def drain(self, timeout: float = 30.0) -> Quiescence:
        """Wait until no delivery is pending, no pipe's queue holds a message and no execution a delivery or a pipe
        started is running (one waiting on a task token does not count: it is reported in the result); then flush
        Firehose. Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.eventbridge.wait_idle(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"deliveries still pending after {timeout} s")
            if self.eventbridge.errors:
                raise RuntimeError("the offline EventBridge failed to deliver:\n" + "\n".join(self.eventbridge.errors))
            self._adopt_executions()
            if self.pipes.errors:
                raise RuntimeError("the offline pipes failed:\n" + "\n".join(self.pipes.errors))
            seen = (len(self.eventbridge.deliveries), len(self.eventbridge.executions))
            running = [arn for arn in list(self.eventbridge.executions) if self._still(arn) == "running"]
            # A delivery may start (and finish) while the executions are read: settled only if nothing moved.
            moved = seen != (len(self.eventbridge.deliveries), len(self.eventbridge.executions))
            if not running and not moved and self.eventbridge.idle() and self.pipes.idle():
                self.flush_firehose()
                return Quiescence(waiting=tuple(self.waiting()))
            if time.monotonic() > deadline:
                raise TimeoutError(f"executions still running after {timeout} s: {running}")
            time.sleep(0.02)

    def _adopt_executions(self) -> None:
        """Track executions a workflow started (an aws-sdk StartExecution, the recovery's redrive) as well."""
        known = set(self.eventbridge.executions)
        for arn in executions.every(self.account_id, self.region):
            if arn not in known:
                self.track_execution(arn)

    def track_execution(self, execution_arn: str) -> None:
        """Make :meth:`drain` wait for an execution started outside EventBridge (by an API integration, say)."""
        self.eventbridge.executions.append(execution_arn)

    def fire_schedule(self, contains: str = "") -> str:
        """Fire the one EventBridge Scheduler schedule whose name or path contains ``contains`` now, as Scheduler
        would at its next time; :meth:`drain` waits for the execution it started. Returns the execution ARN."""
        schedule = self.resource("aws_scheduler_schedule", contains)
        arn = scheduler_firing.fire(
            self.client("scheduler"),
            self.client("stepfunctions"),
            schedule["name"],
            schedule.get("group_name") or "default",
        )
        self.track_execution(arn)
        return arn

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass for SQS (delays, visibility timeouts): what waits in a queue becomes due."""
        self.sqs_clock.advance(seconds)

    def waiting(self) -> list[str]:
        """Executions started by a delivery that are waiting on a task token."""
        return [arn for arn in list(self.eventbridge.executions) if self._still(arn) == "waiting"]

    def _still(self, arn: str) -> executions.State:
        if arn in self._ended:
            return "done"
        state = executions.state(self.account_id, self.region, arn)
        if state == "done":
            self._ended.add(arn)
        return state

    def flush_firehose(self) -> list[DeliveredObject]:
        """Write every buffered Firehose record to S3 now (drain does it too); return the objects written."""
        return self.firehose.flush()

    # --- reading results -----------------------------------------------------------------------------

    def emails(self) -> list[ses_templates.RenderedEmail]:
        """Every templated email sent through SESv2, oldest first, as its recipients read it."""
        return ses_templates.sent_emails(self.account_id, self.region)

    def objects(self, bucket: str, prefix: str = "") -> dict[str, bytes]:
        """The objects of a bucket under ``prefix``, by key; ``.gz`` objects are decompressed."""
        s3 = self.client("s3")
        found: dict[str, bytes] = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                found[item["Key"]] = gzip.decompress(body) if item["Key"].endswith(".gz") else body
        return found

    def json_lines(self, bucket: str, prefix: str = "") -> list[dict[str, Any]]:
        """Every newline-delimited JSON record of the objects under ``prefix``, in key order."""
        objects = self.objects(bucket, prefix)
        return [json.loads(line) for key in sorted(objects) for line in objects[key].splitlines() if line.strip()]


def _as_stack(stack: Stack | Mapping[str, Any] | str | Path) -> Stack:
    if isinstance(stack, Stack):
        return stack
    if isinstance(stack, str | Path):
        return Stack.load(stack)
    return Stack(dict(stack))
