"""A synthesized stack, brought up in process on moto: no AWS account, no Terraform.

:class:`OfflineCloud` reads a stack's ``cdk.tf.json`` (:mod:`offline.terraform`) and, inside ``mock_aws`` with the
fixes of :mod:`offline.moto_fixes`, creates every resource in dependency order with one handler per Terraform type
(:data:`HANDLERS`), recording the attributes Terraform would expose (``arn``, ``id``, ``name``, ``url``, ...) on top
of the resource's resolved arguments, so later references resolve. A type with no handler raises
:class:`UnsupportedResource` naming it and the resource, before anything is created; a type that exists only as
configuration and that moto cannot create is listed in :data:`CONFIGURATION_ONLY` with the reason, and its
resources are recorded in ``configuration_only``.

What runs, beyond moto:

- EventBridge delivery to Step Functions and Firehose targets, with retries and dead-letter queues
  (:mod:`offline.eventbridge`);
- Firehose processing, dynamic partitioning, error output and compression (:mod:`offline.firehose`);
- Comprehend and Translate (:mod:`offline.language`);
- the schema registry: moto has no ``schemas`` service, so registries and schemas live here, and every event put on
  a bus is validated (JSON Schema draft 4) against the schema named ``<source>@<detail-type>``; an event that fails
  it, or has no schema, is recorded in ``schema_violations``.

Resources whose behaviour does not run offline (alarms never evaluate, email subscriptions never confirm, IAM and
KMS are not enforced, ...) are created in moto all the same; :data:`INERT` says what each of those types does not do.
"""

from __future__ import annotations

import gzip
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
import botocore.session
import jsonschema
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.ses.models import ses_backends
from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from offline import moto_fixes
from offline.eventbridge import OfflineEventBridge
from offline.firehose import DeliveredObject, FirehoseError, OfflineFirehose
from offline.language import LanguageServices
from offline.moto_fixes import RenderedEmail
from offline.terraform import Address, Resource, Stack, TerraformError, resolve

Handler = Callable[["OfflineCloud", Resource, dict[str, Any]], dict[str, Any]]

# Types that are configuration only and that moto cannot create: recorded, with the reason, never silently skipped.
CONFIGURATION_ONLY: dict[str, str] = {
    "aws_cloudfront_origin_access_control": "CloudFront is not emulated: the offline server serves the pages itself",
    "aws_cloudfront_response_headers_policy": "the offline server sends the same headers (modules.web.security_headers)",
    "aws_cloudwatch_log_delivery": "CloudFront access logs: no CloudFront offline, so nothing to deliver",
}
# Types created in moto whose runtime behaviour does not happen offline.
INERT: Mapping[str, str] = {
    "aws_cloudwatch_metric_alarm": "moto stores alarms; no metric is published offline, so none ever fires",
    "aws_sns_topic_subscription": "an email subscription stays pending; no email is sent for a publish",
    "aws_api_gateway_method_settings": "stored on the stage; throttling and logging are not applied offline",
    "aws_api_gateway_account": "stored; API Gateway writes no logs offline",
    "aws_s3_bucket_lifecycle_configuration": "stored; objects never transition or expire offline",
    "aws_s3_bucket_logging": "stored; S3 writes no access logs offline",
    "aws_s3_bucket_policy": "moto checks it for object requests only, over HTTPS, without checking principals",
    "aws_kms_key": "keys exist; encryption with them is recorded, never enforced",
    "aws_iam_role_policy": "stored; moto evaluates no IAM policy for service integrations",
    "aws_iam_role_policy_attachment": "stored; moto evaluates no IAM policy for service integrations",
    "aws_cloudwatch_log_group": "exists; Step Functions and Firehose write no logs to it offline",
    "aws_athena_workgroup": "exists; moto's Athena returns no rows, so query the S3 objects directly",
    "aws_glue_catalog_table": "exists; nothing reads it offline",
}
DATA_SOURCES = ("data.aws_caller_identity", "data.aws_partition", "data.aws_region")


class UnsupportedResource(TerraformError):
    """The stack holds a resource (or data source) type the offline cloud has no handler for."""


@dataclass(frozen=True)
class SchemaViolation:
    """An event put on a bus that its registered schema rejects (or that has no schema)."""

    event_id: str
    schema: str
    errors: tuple[str, ...]
    event: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Quiescence:
    """What :meth:`OfflineCloud.drain` found once nothing was moving: executions waiting on a task token."""

    waiting: tuple[str, ...]


class OfflineCloud:
    """A stack running on moto (see the module docstring).

    Inputs:
      stack: a :class:`~offline.terraform.Stack`, a parsed ``cdk.tf.json`` or its path.
      language: the offline Comprehend/Translate (default: a fresh :class:`~offline.language.LanguageServices`).
      handlers: extra ``(service, action)`` handlers for aws-sdk tasks, over the language ones.
      retry_waits: passed to ``moto_fixes.installed``: Step Functions Retry waits are recorded there, not slept.
      firehose_clock: the Firehose arrival clock (UTC now by default).
    Exposes (once entered): ``region``, ``account_id``, ``attributes`` ((type, name) -> attributes),
      ``configuration_only``, ``schemas`` (by ``source@DetailType``), ``schema_violations``, ``ordering_races``,
      ``outputs``, ``language``, ``eventbridge`` (``events``, ``deliveries``, ``executions``), ``firehose``
      (``delivered``); methods :meth:`client`, :meth:`resource`, :meth:`resources`, :meth:`put_event`,
      :meth:`drain`, :meth:`track_execution`, :meth:`waiting`, :meth:`flush_firehose`, :meth:`emails`,
      :meth:`objects`, :meth:`json_lines`.
    """

    _active = False

    def __init__(
        self,
        stack: Stack | Mapping[str, Any] | str | Path,
        *,
        language: LanguageServices | None = None,
        handlers: Mapping[tuple[str, str], moto_fixes.Handler] | None = None,
        retry_waits: list[float] | None = None,
        firehose_clock: Callable[[], datetime] | None = None,
    ):
        self.stack = _as_stack(stack)
        _check_supported(self.stack)
        self.region = self.stack.region
        self.language = language or LanguageServices()
        self._handlers = {**self.language.handlers(), **(handlers or {})}
        self._retry_waits = retry_waits
        self.eventbridge = OfflineEventBridge(region=self.region, on_event=self._validate)
        self.firehose = OfflineFirehose(region=self.region, **({"clock": firehose_clock} if firehose_clock else {}))
        self.account_id = ""
        self.attributes: dict[Address, dict[str, Any]] = {}
        self.configuration_only: set[Address] = set()
        self.schemas: dict[str, dict[str, Any]] = {}
        self.schema_violations: list[SchemaViolation] = []
        self.ordering_races: list[str] = []
        self.outputs: dict[str, Any] = {}
        self._clients: dict[str, Any] = {}
        self._exit = ExitStack()

    # --- lifecycle -----------------------------------------------------------------------------------

    def __enter__(self) -> OfflineCloud:
        if OfflineCloud._active:
            # moto's backends are per process and a nested mock_aws shares them: two clouds would mix resources.
            raise RuntimeError("another OfflineCloud is running in this process; leave it first")
        with ExitStack() as stack:
            stack.enter_context(mock_aws(config=self._moto_config()))
            stack.enter_context(moto_fixes.installed(self._handlers, retry_waits=self._retry_waits))
            stack.enter_context(moto_fixes.mock_integrations_importable())
            stack.enter_context(moto_fixes.bucket_policy_conditions())
            stack.enter_context(self.firehose.installed())
            # Closed in reverse: deliveries stop first, then running executions, before moto goes away.
            stack.callback(self._stop_executions)
            stack.enter_context(self.eventbridge.installed())
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

    def _stop_executions(self) -> None:
        """Abort what still runs, waking executions that wait on a token: their threads outlive the block, and
        must not call AWS once moto is gone."""
        backend = stepfunctions_parser_backends[self.account_id][self.region]
        for machine in backend.state_machines:
            for execution in list(machine.executions):
                if execution.exec_status is None or execution.exec_status.value != "RUNNING":
                    continue
                backend.stop_execution(execution.execution_arn)
                env = getattr(execution.exec_worker, "env", None)
                for endpoint in env.callback_pool_manager._pool.values() if env is not None else ():
                    endpoint.interrupt_all()

    def _moto_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"stepfunctions": {"execute_state_machine": True}}
        # Loading AWS's managed policies costs most of a second: only when the stack attaches one.
        attachments = self.stack.of_type("aws_iam_role_policy_attachment")
        if any(":iam::aws:policy/" in json.dumps(r.config) for r in attachments):
            config["iam"] = {"load_aws_managed_policies": True}
        return config

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
                    f"{_message(first)} -- it succeeded once the rest of its wave existed: it needs a depends_on on "
                    "the resource it waits for, or terraform apply may fail the same way"
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
                        "Error": {**error.response["Error"], "Message": f"{resource}: {_message(error)}"},
                    },
                    error.operation_name,
                ) from error
        self.attributes[resource.address] = {**config, **computed}

    # --- access --------------------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client of the offline region (cached per service)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=self.region)
        return self._clients[service]

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

    def _validate(self, event: dict[str, Any]) -> None:
        name = f"{event['source']}@{event['detail-type']}"
        schema = self.schemas.get(name)
        if schema is None:
            self.schema_violations.append(SchemaViolation(event["id"], name, ("no schema registered",), event))
            return
        errors = tuple(
            f"{'/'.join(str(step) for step in error.absolute_path) or '(event)'}: {error.message}"
            for error in jsonschema.Draft4Validator(schema).iter_errors(event)
        )
        if errors:
            self.schema_violations.append(SchemaViolation(event["id"], name, errors, event))

    # --- quiescence ----------------------------------------------------------------------------------

    def drain(self, timeout: float = 30.0) -> Quiescence:
        """Wait until no delivery is pending and no execution a delivery started is running (one waiting on a task
        token does not count: it is reported in the result); then flush Firehose. Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.eventbridge.wait_idle(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"deliveries still pending after {timeout} s")
            if self.eventbridge.errors:
                raise RuntimeError("the offline EventBridge failed to deliver:\n" + "\n".join(self.eventbridge.errors))
            seen = (len(self.eventbridge.deliveries), len(self.eventbridge.executions))
            running = [arn for arn in self.eventbridge.executions if self._execution_state(arn) == "running"]
            # A delivery may start (and finish) while the executions are read: settled only if nothing moved.
            moved = seen != (len(self.eventbridge.deliveries), len(self.eventbridge.executions))
            if not running and not moved and self.eventbridge.idle():
                self.flush_firehose()
                return Quiescence(waiting=tuple(self.waiting()))
            if time.monotonic() > deadline:
                raise TimeoutError(f"executions still running after {timeout} s: {running}")
            time.sleep(0.02)

    def track_execution(self, execution_arn: str) -> None:
        """Make :meth:`drain` wait for an execution started outside EventBridge (by an API integration, say)."""
        self.eventbridge.executions.append(execution_arn)

    def waiting(self) -> list[str]:
        """Executions started by a delivery that are waiting on a task token."""
        return [arn for arn in self.eventbridge.executions if self._execution_state(arn) == "waiting"]

    def _execution_state(self, arn: str) -> str:
        """ "done", "waiting" (on a task token, its task's call made) or "running"."""
        execution = stepfunctions_parser_backends[self.account_id][self.region].describe_execution(arn)
        if execution.exec_status is None or execution.exec_status.value != "RUNNING":
            return "done" if execution.exec_status is not None else "running"
        env = getattr(execution.exec_worker, "env", None)
        # moto keeps every callback endpoint of an execution; one with no outcome and no error is a token waited on.
        pool = env.callback_pool_manager._pool if env is not None else {}
        pending = any(endpoint.get_outcome() is None and endpoint.consumer_error is None for endpoint in pool.values())
        # The token exists before the task's call (PutEvents) is made; TaskSubmitted is recorded once it is made.
        if pending and execution.to_history_output()["events"][-1]["type"] == "TaskSubmitted":
            return "waiting"
        return "running"

    def flush_firehose(self) -> list[DeliveredObject]:
        """Write every buffered Firehose record to S3 now (drain does it too); return the objects written."""
        return self.firehose.flush()

    # --- reading results -----------------------------------------------------------------------------

    def emails(self) -> list[RenderedEmail]:
        """Every templated email sent through SESv2, oldest first, as its recipients read it."""
        return [m for m in ses_backends[self.account_id][self.region].sent_messages if isinstance(m, RenderedEmail)]

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


def _check_supported(stack: Stack) -> None:
    for resource in stack.resources.values():
        known = DATA_SOURCES if resource.is_data else (*HANDLERS, *CONFIGURATION_ONLY)
        if resource.type not in known:
            raise UnsupportedResource(
                f"{resource}: the offline cloud has no handler for Terraform type {resource.type}; "
                "add one to offline.cloud.HANDLERS (or CONFIGURATION_ONLY with the reason)"
            )


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", error))


# --- handlers ----------------------------------------------------------------------------------------
# Each creates one resource in moto from its resolved arguments and returns the attributes Terraform computes.

HANDLERS: dict[str, Handler] = {}


def handles(*kinds: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for kind in kinds:
            HANDLERS[kind] = handler
        return handler

    return register


def _arn(cloud: OfflineCloud, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
    return f"arn:aws:{service}:{cloud.region if region else ''}:{cloud.account_id if account else ''}:{resource}"


def _some(**values: Any) -> dict[str, Any]:
    """The keyword arguments that have a value: boto3 rejects None."""
    return {key: value for key, value in values.items() if value is not None}


@handles("aws_cloudfront_distribution")
def _distribution(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    # CloudFront is not emulated (the offline server serves the pages); the distribution only needs the identity
    # Terraform would report, since the pages' origin and the log delivery reference it.
    distribution_id = "E" + uuid.uuid5(uuid.NAMESPACE_URL, resource.name).hex[:13].upper()
    return {
        "id": distribution_id,
        "arn": f"arn:aws:cloudfront::{cloud.account_id}:distribution/{distribution_id}",
        "domain_name": f"{distribution_id.lower()}.cloudfront.net",
        "hosted_zone_id": "Z2FDTNDATAQYW2",
    }


@handles("aws_cloudwatch_log_delivery_source", "aws_cloudwatch_log_delivery_destination")
def _log_delivery_end(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    # Recorded only (CloudFront's access logs have nothing to deliver offline), with the ARN Terraform reports.
    kind = "delivery-source" if resource.type.endswith("source") else "delivery-destination"
    region = config.get("region") or cloud.region
    return {"id": config["name"], "arn": f"arn:aws:logs:{region}:{cloud.account_id}:{kind}:{config['name']}"}


@handles("aws_s3_object")
def _object(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    if "content" in config:
        body = str(config["content"]).encode("utf-8")
    else:
        if cloud.stack.directory is None:
            raise TerraformError(f"{resource}: its source is a file asset; load the stack from its cdk.tf.json path")
        body = (cloud.stack.directory / config["source"]).read_bytes()
    extra = {
        name: config[key]
        for key, name in (("content_type", "ContentType"), ("cache_control", "CacheControl"))
        if config.get(key)
    }
    answer = cloud.client("s3").put_object(Bucket=config["bucket"], Key=config["key"], Body=body, **extra)
    return {"id": config["key"], "etag": answer["ETag"].strip('"'), "version_id": answer.get("VersionId", "")}


def _first(value: Any) -> dict[str, Any]:
    """A nested block: cdktf writes some as an object, some as a one-item list."""
    if isinstance(value, list):
        return value[0] if value else {}
    return value or {}


@handles("data.aws_caller_identity")
def _caller_identity(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    identity = cloud.client("sts").get_caller_identity()
    return {
        "account_id": identity["Account"],
        "arn": identity["Arn"],
        "user_id": identity["UserId"],
        "id": identity["Account"],
    }


@handles("data.aws_partition")
def _partition(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    return {"partition": "aws", "dns_suffix": "amazonaws.com", "reverse_dns_prefix": "com.amazonaws", "id": "aws"}


@handles("data.aws_region")
def _region(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": cloud.region,
        "region": cloud.region,
        "id": cloud.region,
        "endpoint": f"ec2.{cloud.region}.amazonaws.com",
    }


# KMS


@handles("aws_kms_key")
def _kms_key(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    kms = cloud.client("kms")
    metadata = kms.create_key(
        **_some(
            Description=config.get("description"),
            Policy=config.get("policy"),
            KeyUsage=config.get("key_usage"),
            KeySpec=config.get("customer_master_key_spec"),
        )
    )["KeyMetadata"]
    if config.get("enable_key_rotation"):
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
    return {"arn": metadata["Arn"], "key_id": metadata["KeyId"], "id": metadata["KeyId"]}


@handles("aws_kms_alias")
def _kms_alias(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("kms").create_alias(AliasName=config["name"], TargetKeyId=config["target_key_id"])
    key = cloud.client("kms").describe_key(KeyId=config["target_key_id"])["KeyMetadata"]
    return {"id": config["name"], "arn": _arn(cloud, "kms", config["name"]), "target_key_arn": key["Arn"]}


# EventBridge and its schema registry


@handles("aws_cloudwatch_event_bus")
def _event_bus(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    arn = cloud.client("events").create_event_bus(**_some(Name=config["name"], Description=config.get("description")))
    return {"arn": arn["EventBusArn"], "id": config["name"]}


@handles("aws_cloudwatch_event_archive")
def _event_archive(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    archive = cloud.client("events").create_archive(
        **_some(
            ArchiveName=config["name"],
            EventSourceArn=config["event_source_arn"],
            Description=config.get("description"),
            EventPattern=config.get("event_pattern"),
            RetentionDays=config.get("retention_days"),
        )
    )
    return {"arn": archive["ArchiveArn"], "id": config["name"]}


@handles("aws_cloudwatch_event_rule")
def _event_rule(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    bus = config.get("event_bus_name", "default")
    enabled = config.get("state", "ENABLED" if config.get("is_enabled", True) else "DISABLED")
    rule = cloud.client("events").put_rule(
        **_some(
            Name=config["name"],
            EventBusName=bus,
            EventPattern=config.get("event_pattern"),
            ScheduleExpression=config.get("schedule_expression"),
            Description=config.get("description"),
            RoleArn=config.get("role_arn"),
            State=enabled,
        )
    )
    return {"arn": rule["RuleArn"], "id": config["name"] if bus == "default" else f"{bus}/{config['name']}"}


@handles("aws_cloudwatch_event_target")
def _event_target(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    bus = config.get("event_bus_name", "default")
    target_id = config.get("target_id") or resource.name
    transformer = _first(config.get("input_transformer"))
    retry = _first(config.get("retry_policy"))
    dead_letter = _first(config.get("dead_letter_config"))
    target = _some(
        Id=target_id,
        Arn=config["arn"],
        RoleArn=config.get("role_arn"),
        Input=config.get("input"),
        InputPath=config.get("input_path"),
        InputTransformer=_some(
            InputPathsMap=transformer.get("input_paths"), InputTemplate=transformer["input_template"]
        )
        if transformer
        else None,
        DeadLetterConfig={"Arn": dead_letter["arn"]} if dead_letter.get("arn") else None,
        RetryPolicy=_some(
            MaximumRetryAttempts=retry.get("maximum_retry_attempts"),
            MaximumEventAgeInSeconds=retry.get("maximum_event_age_in_seconds"),
        )
        if retry
        else None,
    )
    failed = cloud.client("events").put_targets(Rule=config["rule"], EventBusName=bus, Targets=[target])
    if failed.get("FailedEntryCount"):
        raise TerraformError(f"{resource}: PutTargets failed: {failed['FailedEntries']}")
    return {"id": f"{bus}-{config['rule']}-{target_id}" if bus != "default" else f"{config['rule']}-{target_id}"}


@handles("aws_schemas_registry")
def _schemas_registry(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    # moto has no schemas service: the registry is kept by the offline cloud itself.
    return {"arn": _arn(cloud, "schemas", f"registry/{config['name']}"), "id": config["name"]}


@handles("aws_schemas_schema")
def _schemas_schema(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    if config["type"] != "JSONSchemaDraft4":
        raise TerraformError(f"{resource}: schema type {config['type']} is not validated offline (JSONSchemaDraft4 is)")
    content = json.loads(config["content"])
    jsonschema.Draft4Validator.check_schema(content)
    cloud.schemas[config["name"]] = content
    registry = config["registry_name"]
    return {
        "arn": _arn(cloud, "schemas", f"schema/{registry}/{config['name']}"),
        "id": f"{config['name']}/{registry}",
        "version": "1",
        "version_created_date": datetime.now(UTC).isoformat(),
    }


# Email


@handles("aws_ses_template")
def _ses_template(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("ses").create_template(
        Template=_some(
            TemplateName=config["name"],
            SubjectPart=config.get("subject"),
            TextPart=config.get("text"),
            HtmlPart=config.get("html"),
        )
    )
    return {"id": config["name"], "arn": _arn(cloud, "ses", f"template/{config['name']}")}


@handles("aws_sesv2_configuration_set")
def _sesv2_configuration_set(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    name = config["configuration_set_name"]
    delivery = _first(config.get("delivery_options"))
    reputation = _first(config.get("reputation_options"))
    sending = _first(config.get("sending_options"))
    suppression = _first(config.get("suppression_options"))
    cloud.client("sesv2").create_configuration_set(
        **_some(
            ConfigurationSetName=name,
            DeliveryOptions=_some(
                TlsPolicy=delivery.get("tls_policy"), SendingPoolName=delivery.get("sending_pool_name")
            )
            or None,
            ReputationOptions=_some(ReputationMetricsEnabled=reputation.get("reputation_metrics_enabled")) or None,
            SendingOptions=_some(SendingEnabled=sending.get("sending_enabled")) or None,
            SuppressionOptions=_some(SuppressedReasons=suppression.get("suppressed_reasons")) or None,
        )
    )
    return {"id": name, "arn": _arn(cloud, "ses", f"configuration-set/{name}")}


@handles("aws_sesv2_email_identity")
def _sesv2_email_identity(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    identity = config["email_identity"]
    cloud.client("sesv2").create_email_identity(
        **_some(EmailIdentity=identity, ConfigurationSetName=config.get("configuration_set_name"))
    )
    # AWS emails a verification link; offline the identity is verified at once, so sends work.
    cloud.client("ses").verify_email_identity(EmailAddress=identity)
    kind = "EMAIL_ADDRESS" if "@" in identity else "DOMAIN"
    return {
        "id": identity,
        "arn": _arn(cloud, "ses", f"identity/{identity}"),
        "identity_type": kind,
        "verified_for_sending_status": True,
    }


# DynamoDB


@handles("aws_dynamodb_table")
def _dynamodb_table(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    dynamodb = cloud.client("dynamodb")
    provisioned = config.get("billing_mode", "PROVISIONED") == "PROVISIONED"
    encryption = _first(config.get("server_side_encryption"))
    table = dynamodb.create_table(
        **_some(
            TableName=config["name"],
            AttributeDefinitions=[
                {"AttributeName": a["name"], "AttributeType": a["type"]} for a in config["attribute"]
            ],
            KeySchema=_key_schema(config),
            BillingMode=config.get("billing_mode", "PROVISIONED"),
            ProvisionedThroughput=_throughput(config) if provisioned else None,
            GlobalSecondaryIndexes=[_index(index, provisioned) for index in config.get("global_secondary_index", [])]
            or None,
            LocalSecondaryIndexes=[_index(index, False) for index in config.get("local_secondary_index", [])] or None,
            SSESpecification={"Enabled": True, "SSEType": "KMS", **_some(KMSMasterKeyId=encryption.get("kms_key_arn"))}
            if encryption.get("enabled")
            else None,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": config["stream_view_type"]}
            if config.get("stream_enabled")
            else None,
            DeletionProtectionEnabled=config.get("deletion_protection_enabled"),
        )
    )["TableDescription"]
    ttl = _first(config.get("ttl"))
    if ttl.get("enabled"):
        dynamodb.update_time_to_live(
            TableName=config["name"], TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attribute_name"]}
        )
    if _first(config.get("point_in_time_recovery")).get("enabled"):
        dynamodb.update_continuous_backups(
            TableName=config["name"], PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    return _some(arn=table["TableArn"], id=config["name"], stream_arn=table.get("LatestStreamArn"))


def _key_schema(block: Mapping[str, Any]) -> list[dict[str, str]]:
    keys = [{"AttributeName": block["hash_key"], "KeyType": "HASH"}]
    if block.get("range_key"):
        keys.append({"AttributeName": block["range_key"], "KeyType": "RANGE"})
    return keys


def _throughput(block: Mapping[str, Any]) -> dict[str, int]:
    return {
        "ReadCapacityUnits": int(block.get("read_capacity", 1)),
        "WriteCapacityUnits": int(block.get("write_capacity", 1)),
    }


def _index(index: Mapping[str, Any], provisioned: bool) -> dict[str, Any]:
    return _some(
        IndexName=index["name"],
        KeySchema=_key_schema(index),
        Projection=_some(ProjectionType=index["projection_type"], NonKeyAttributes=index.get("non_key_attributes")),
        ProvisionedThroughput=_throughput(index) if provisioned else None,
    )


# SQS


_QUEUE_ATTRIBUTES = {
    "kms_master_key_id": "KmsMasterKeyId",
    "kms_data_key_reuse_period_seconds": "KmsDataKeyReusePeriodSeconds",
    "message_retention_seconds": "MessageRetentionPeriod",
    "visibility_timeout_seconds": "VisibilityTimeout",
    "delay_seconds": "DelaySeconds",
    "max_message_size": "MaximumMessageSize",
    "receive_wait_time_seconds": "ReceiveMessageWaitTimeSeconds",
    "fifo_queue": "FifoQueue",
    "content_based_deduplication": "ContentBasedDeduplication",
    "sqs_managed_sse_enabled": "SqsManagedSseEnabled",
    "redrive_policy": "RedrivePolicy",
    "policy": "Policy",
}


@handles("aws_sqs_queue")
def _sqs_queue(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    attributes = {
        name: str(config[key]).lower() if isinstance(config[key], bool) else str(config[key])
        for key, name in _QUEUE_ATTRIBUTES.items()
        if config.get(key) is not None
    }
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=config["name"], Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"arn": arn, "url": url, "id": url}


@handles("aws_sqs_queue_policy")
def _sqs_queue_policy(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("sqs").set_queue_attributes(QueueUrl=config["queue_url"], Attributes={"Policy": config["policy"]})
    return {"id": config["queue_url"]}


# IAM


@handles("aws_iam_role")
def _iam_role(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    role = cloud.client("iam").create_role(
        **_some(
            RoleName=config["name"],
            AssumeRolePolicyDocument=config["assume_role_policy"],
            Description=config.get("description"),
            MaxSessionDuration=config.get("max_session_duration"),
            Path=config.get("path"),
        )
    )["Role"]
    return {
        "arn": role["Arn"],
        "id": role["RoleName"],
        "unique_id": role["RoleId"],
        "create_date": role["CreateDate"].isoformat(),
    }


@handles("aws_iam_role_policy")
def _iam_role_policy(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("iam").put_role_policy(
        RoleName=config["role"], PolicyName=config["name"], PolicyDocument=config["policy"]
    )
    return {"id": f"{config['role']}:{config['name']}"}


@handles("aws_iam_role_policy_attachment")
def _iam_role_policy_attachment(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("iam").attach_role_policy(RoleName=config["role"], PolicyArn=config["policy_arn"])
    return {"id": f"{config['role']}-{config['policy_arn'].rsplit('/', 1)[-1]}"}


# CloudWatch Logs and alarms


@handles("aws_cloudwatch_log_group")
def _log_group(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    logs = cloud.client("logs")
    logs.create_log_group(**_some(logGroupName=config["name"], kmsKeyId=config.get("kms_key_id")))
    if config.get("retention_in_days"):
        logs.put_retention_policy(logGroupName=config["name"], retentionInDays=int(config["retention_in_days"]))
    # Terraform's arn has no ":*" suffix, unlike DescribeLogGroups'.
    return {"arn": _arn(cloud, "logs", f"log-group:{config['name']}"), "id": config["name"]}


@handles("aws_cloudwatch_log_stream")
def _log_stream(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    group = config["log_group_name"]
    cloud.client("logs").create_log_stream(logGroupName=group, logStreamName=config["name"])
    return {"arn": _arn(cloud, "logs", f"log-group:{group}:log-stream:{config['name']}"), "id": config["name"]}


@handles("aws_cloudwatch_metric_alarm")
def _metric_alarm(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    if config.get("metric_query"):
        raise TerraformError(f"{resource}: metric_query alarms are not modelled offline")
    cloudwatch = cloud.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        **_some(
            AlarmName=config["alarm_name"],
            AlarmDescription=config.get("alarm_description"),
            Namespace=config.get("namespace"),
            MetricName=config.get("metric_name"),
            Dimensions=[{"Name": k, "Value": str(v)} for k, v in config.get("dimensions", {}).items()] or None,
            Statistic=config.get("statistic"),
            ExtendedStatistic=config.get("extended_statistic"),
            Period=config.get("period"),
            EvaluationPeriods=config["evaluation_periods"],
            DatapointsToAlarm=config.get("datapoints_to_alarm"),
            Threshold=config.get("threshold"),
            ComparisonOperator=config["comparison_operator"],
            TreatMissingData=config.get("treat_missing_data"),
            ActionsEnabled=config.get("actions_enabled"),
            AlarmActions=config.get("alarm_actions"),
            OKActions=config.get("ok_actions"),
            InsufficientDataActions=config.get("insufficient_data_actions"),
            Unit=config.get("unit"),
        )
    )
    [alarm] = cloudwatch.describe_alarms(AlarmNames=[config["alarm_name"]])["MetricAlarms"]
    return {"arn": alarm["AlarmArn"], "id": config["alarm_name"]}


# Step Functions


@handles("aws_sfn_state_machine")
def _state_machine(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    logging = _first(config.get("logging_configuration"))
    tracing = _first(config.get("tracing_configuration"))
    machine = cloud.client("stepfunctions").create_state_machine(
        **_some(
            name=config["name"],
            definition=config["definition"],
            roleArn=config["role_arn"],
            type=config.get("type", "STANDARD"),
            loggingConfiguration=_some(
                level=logging.get("level"),
                includeExecutionData=logging.get("include_execution_data"),
                destinations=[{"cloudWatchLogsLogGroup": {"logGroupArn": logging["log_destination"]}}]
                if logging.get("log_destination")
                else None,
            )
            or None,
            tracingConfiguration={"enabled": bool(tracing.get("enabled"))} if tracing else None,
        )
    )
    return {"arn": machine["stateMachineArn"], "id": machine["stateMachineArn"], "status": "ACTIVE"}


# Cognito


@handles("aws_cognito_user_pool")
def _user_pool(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    password = _first(config.get("password_policy"))
    admin = _first(config.get("admin_create_user_config"))
    recovery = _first(config.get("account_recovery_setting"))
    cognito = cloud.client("cognito-idp")
    pool = cognito.create_user_pool(
        **_some(
            PoolName=config["name"],
            Policies={"PasswordPolicy": _password_policy(password)} if password else None,
            UsernameAttributes=config.get("username_attributes"),
            AutoVerifiedAttributes=config.get("auto_verified_attributes"),
            AdminCreateUserConfig=_some(AllowAdminCreateUserOnly=admin.get("allow_admin_create_user_only")) or None,
            AccountRecoverySetting={
                "RecoveryMechanisms": [
                    {"Name": m["name"], "Priority": m["priority"]} for m in recovery.get("recovery_mechanism", [])
                ]
            }
            if recovery
            else None,
            DeletionProtection=config.get("deletion_protection"),
        )
    )["UserPool"]
    if config.get("mfa_configuration", "OFF") != "OFF":
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool["Id"],
            MfaConfiguration=config["mfa_configuration"],
            **_some(
                SoftwareTokenMfaConfiguration={"Enabled": True}
                if _first(config.get("software_token_mfa_configuration")).get("enabled")
                else None
            ),
        )
    return {"id": pool["Id"], "arn": pool["Arn"], "endpoint": f"cognito-idp.{cloud.region}.amazonaws.com/{pool['Id']}"}


def _password_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    return _some(
        MinimumLength=policy.get("minimum_length"),
        RequireLowercase=policy.get("require_lowercase"),
        RequireUppercase=policy.get("require_uppercase"),
        RequireNumbers=policy.get("require_numbers"),
        RequireSymbols=policy.get("require_symbols"),
        TemporaryPasswordValidityDays=policy.get("temporary_password_validity_days"),
    )


@handles("aws_cognito_user_pool_client")
def _user_pool_client(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    units = _first(config.get("token_validity_units"))
    client = cloud.client("cognito-idp").create_user_pool_client(
        **_some(
            UserPoolId=config["user_pool_id"],
            ClientName=config["name"],
            GenerateSecret=config.get("generate_secret"),
            ExplicitAuthFlows=config.get("explicit_auth_flows"),
            PreventUserExistenceErrors=config.get("prevent_user_existence_errors"),
            EnableTokenRevocation=config.get("enable_token_revocation"),
            IdTokenValidity=config.get("id_token_validity"),
            AccessTokenValidity=config.get("access_token_validity"),
            RefreshTokenValidity=config.get("refresh_token_validity"),
            TokenValidityUnits=_some(
                AccessToken=units.get("access_token"),
                IdToken=units.get("id_token"),
                RefreshToken=units.get("refresh_token"),
            )
            or None,
        )
    )["UserPoolClient"]
    return {"id": client["ClientId"], "client_secret": client.get("ClientSecret", "")}


# S3


@handles("aws_s3_bucket")
def _bucket(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    name = config["bucket"]
    location = (
        {} if cloud.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": cloud.region}}
    )
    cloud.client("s3").create_bucket(Bucket=name, **location)
    return {
        "id": name,
        "arn": f"arn:aws:s3:::{name}",
        "bucket_domain_name": f"{name}.s3.amazonaws.com",
        "bucket_regional_domain_name": f"{name}.s3.{cloud.region}.amazonaws.com",
        "region": cloud.region,
    }


@handles("aws_s3_bucket_versioning")
def _bucket_versioning(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    status = _first(config["versioning_configuration"])["status"]
    cloud.client("s3").put_bucket_versioning(Bucket=config["bucket"], VersioningConfiguration={"Status": status})
    return {"id": config["bucket"]}


@handles("aws_s3_bucket_server_side_encryption_configuration")
def _bucket_encryption(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    rules = []
    for rule in config["rule"]:
        default = _first(rule.get("apply_server_side_encryption_by_default"))
        rules.append(
            _some(
                ApplyServerSideEncryptionByDefault=_some(
                    SSEAlgorithm=default["sse_algorithm"], KMSMasterKeyID=default.get("kms_master_key_id")
                ),
                BucketKeyEnabled=rule.get("bucket_key_enabled"),
            )
        )
    cloud.client("s3").put_bucket_encryption(
        Bucket=config["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
    )
    return {"id": config["bucket"]}


@handles("aws_s3_bucket_public_access_block")
def _public_access_block(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    settings = {
        "BlockPublicAcls": "block_public_acls",
        "BlockPublicPolicy": "block_public_policy",
        "IgnorePublicAcls": "ignore_public_acls",
        "RestrictPublicBuckets": "restrict_public_buckets",
    }
    cloud.client("s3").put_public_access_block(
        Bucket=config["bucket"],
        PublicAccessBlockConfiguration={name: bool(config.get(key, False)) for name, key in settings.items()},
    )
    return {"id": config["bucket"]}


@handles("aws_s3_bucket_ownership_controls")
def _ownership_controls(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    ownership = _first(config["rule"])["object_ownership"]
    cloud.client("s3").put_bucket_ownership_controls(
        Bucket=config["bucket"], OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]}
    )
    return {"id": config["bucket"]}


@handles("aws_s3_bucket_policy")
def _bucket_policy(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("s3").put_bucket_policy(Bucket=config["bucket"], Policy=config["policy"])
    return {"id": config["bucket"]}


@handles("aws_s3_bucket_logging")
def _bucket_logging(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("s3").put_bucket_logging(
        Bucket=config["bucket"],
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": config["target_bucket"], "TargetPrefix": config.get("target_prefix", "")}
        },
    )
    return {"id": config["bucket"]}


@handles("aws_s3_bucket_lifecycle_configuration")
def _bucket_lifecycle(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("s3").put_bucket_lifecycle_configuration(
        Bucket=config["bucket"], LifecycleConfiguration={"Rules": [_lifecycle_rule(rule) for rule in config["rule"]]}
    )
    return {"id": config["bucket"]}


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    expiration = _first(rule.get("expiration"))
    noncurrent = _first(rule.get("noncurrent_version_expiration"))
    abort = _first(rule.get("abort_incomplete_multipart_upload"))
    return _some(
        ID=rule.get("id"),
        Status=rule["status"],
        Filter=_some(Prefix=_first(rule.get("filter")).get("prefix")),
        Transitions=[_some(Days=t.get("days"), StorageClass=t["storage_class"]) for t in rule.get("transition", [])]
        or None,
        Expiration=_some(Days=expiration.get("days")) or None,
        NoncurrentVersionExpiration=_some(NoncurrentDays=noncurrent.get("noncurrent_days")) or None,
        AbortIncompleteMultipartUpload=_some(DaysAfterInitiation=abort.get("days_after_initiation")) or None,
    )


# Firehose, Glue, Athena


_EXTENDED_S3 = {
    "bucket_arn",
    "role_arn",
    "prefix",
    "error_output_prefix",
    "buffering_size",
    "buffering_interval",
    "compression_format",
    "kms_key_arn",
    "dynamic_partitioning_configuration",
    "processing_configuration",
    "cloudwatch_logging_options",
}


@handles("aws_kinesis_firehose_delivery_stream")
def _delivery_stream(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    if config["destination"] != "extended_s3":
        raise FirehoseError(f"{resource}: destination {config['destination']} is not modelled offline (extended_s3 is)")
    s3 = _first(config["extended_s3_configuration"])
    unknown = sorted(set(s3) - _EXTENDED_S3)
    if unknown:
        raise FirehoseError(f"{resource}: extended_s3_configuration {unknown} not modelled offline")
    destination = _extended_s3(s3)
    OfflineFirehose.check(config["name"], destination)
    encryption = _first(config.get("server_side_encryption"))
    firehose = cloud.client("firehose")
    arn = firehose.create_delivery_stream(
        **_some(
            DeliveryStreamName=config["name"],
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration=destination,
            DeliveryStreamEncryptionConfigurationInput=_some(
                KeyType=encryption.get("key_type"), KeyARN=encryption.get("key_arn")
            )
            if encryption.get("enabled")
            else None,
        )
    )["DeliveryStreamARN"]
    description = firehose.describe_delivery_stream(DeliveryStreamName=config["name"])["DeliveryStreamDescription"]
    return {"arn": arn, "id": arn, "version_id": description["VersionId"]}


def _extended_s3(s3: Mapping[str, Any]) -> dict[str, Any]:
    processing = _first(s3.get("processing_configuration"))
    partitioning = _first(s3.get("dynamic_partitioning_configuration"))
    logging = _first(s3.get("cloudwatch_logging_options"))
    return _some(
        RoleARN=s3["role_arn"],
        BucketARN=s3["bucket_arn"],
        Prefix=s3.get("prefix"),
        ErrorOutputPrefix=s3.get("error_output_prefix"),
        BufferingHints=_some(SizeInMBs=s3.get("buffering_size"), IntervalInSeconds=s3.get("buffering_interval"))
        or None,
        CompressionFormat=s3.get("compression_format"),
        EncryptionConfiguration={"KMSEncryptionConfig": {"AWSKMSKeyARN": s3["kms_key_arn"]}}
        if s3.get("kms_key_arn")
        else None,
        CloudWatchLoggingOptions=_some(
            Enabled=logging.get("enabled"),
            LogGroupName=logging.get("log_group_name"),
            LogStreamName=logging.get("log_stream_name"),
        )
        or None,
        ProcessingConfiguration={
            "Enabled": bool(processing.get("enabled")),
            "Processors": [
                {
                    "Type": processor["type"],
                    "Parameters": [
                        {"ParameterName": p["parameter_name"], "ParameterValue": p["parameter_value"]}
                        for p in processor.get("parameters", [])
                    ],
                }
                for processor in processing.get("processors", [])
            ],
        }
        if processing
        else None,
        DynamicPartitioningConfiguration=_some(
            Enabled=partitioning.get("enabled"),
            RetryOptions={"DurationInSeconds": partitioning["retry_duration"]}
            if partitioning.get("retry_duration")
            else None,
        )
        or None,
    )


@handles("aws_glue_catalog_database")
def _glue_database(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("glue").create_database(
        DatabaseInput=_some(Name=config["name"], Description=config.get("description"))
    )
    return {
        "id": f"{cloud.account_id}:{config['name']}",
        "arn": _arn(cloud, "glue", f"database/{config['name']}"),
        "catalog_id": cloud.account_id,
    }


@handles("aws_glue_catalog_table")
def _glue_table(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    storage = _first(config.get("storage_descriptor"))
    serde = _first(storage.get("ser_de_info"))
    cloud.client("glue").create_table(
        DatabaseName=config["database_name"],
        TableInput=_some(
            Name=config["name"],
            Description=config.get("description"),
            TableType=config.get("table_type"),
            Parameters=config.get("parameters"),
            PartitionKeys=[_some(Name=k["name"], Type=k.get("type")) for k in config.get("partition_keys", [])] or None,
            StorageDescriptor=_some(
                Columns=[_some(Name=c["name"], Type=c.get("type")) for c in storage.get("columns", [])] or None,
                Location=storage.get("location"),
                InputFormat=storage.get("input_format"),
                OutputFormat=storage.get("output_format"),
                Compressed=storage.get("compressed"),
                SerdeInfo=_some(
                    Name=serde.get("name"),
                    SerializationLibrary=serde.get("serialization_library"),
                    Parameters=serde.get("parameters"),
                )
                or None,
            )
            or None,
        ),
    )
    return {
        "id": f"{cloud.account_id}:{config['database_name']}:{config['name']}",
        "arn": _arn(cloud, "glue", f"table/{config['database_name']}/{config['name']}"),
    }


@handles("aws_athena_workgroup")
def _athena_workgroup(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    settings = _first(config.get("configuration"))
    result = _first(settings.get("result_configuration"))
    encryption = _first(result.get("encryption_configuration"))
    cloud.client("athena").create_work_group(
        **_some(
            Name=config["name"],
            Description=config.get("description"),
            Configuration=_some(
                EnforceWorkGroupConfiguration=settings.get("enforce_workgroup_configuration"),
                PublishCloudWatchMetricsEnabled=settings.get("publish_cloudwatch_metrics_enabled"),
                ResultConfiguration=_some(
                    OutputLocation=result.get("output_location"),
                    ExpectedBucketOwner=result.get("expected_bucket_owner"),
                    EncryptionConfiguration=_some(
                        EncryptionOption=encryption.get("encryption_option"), KmsKey=encryption.get("kms_key_arn")
                    )
                    or None,
                )
                or None,
            )
            or None,
        )
    )
    return {"id": config["name"], "arn": _arn(cloud, "athena", f"workgroup/{config['name']}")}


# API Gateway


@handles("aws_api_gateway_rest_api")
def _rest_api(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    apigateway = cloud.client("apigateway")
    endpoint = _first(config.get("endpoint_configuration"))
    if config.get("body"):
        api = apigateway.import_rest_api(body=config["body"].encode())
        patches = [{"op": "replace", "path": "/name", "value": config["name"]}]
        if config.get("description"):
            patches.append({"op": "replace", "path": "/description", "value": config["description"]})
        apigateway.update_rest_api(restApiId=api["id"], patchOperations=patches)
    else:
        api = apigateway.create_rest_api(
            **_some(
                name=config["name"],
                description=config.get("description"),
                endpointConfiguration={"types": endpoint["types"]} if endpoint else None,
            )
        )
    root = next(item["id"] for item in apigateway.get_resources(restApiId=api["id"])["items"] if item["path"] == "/")
    return {
        "id": api["id"],
        "root_resource_id": root,
        "arn": f"arn:aws:apigateway:{cloud.region}::/restapis/{api['id']}",
        "execution_arn": _arn(cloud, "execute-api", api["id"]),
        "created_date": datetime.now(UTC).isoformat(),
    }


@handles("aws_api_gateway_deployment")
def _deployment(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    deployment = cloud.client("apigateway").create_deployment(
        **_some(restApiId=config["rest_api_id"], description=config.get("description"))
    )
    return {
        "id": deployment["id"],
        "created_date": datetime.now(UTC).isoformat(),
        "execution_arn": _arn(cloud, "execute-api", f"{config['rest_api_id']}/"),
    }


@handles("aws_api_gateway_stage")
def _stage(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    apigateway = cloud.client("apigateway")
    api, stage = config["rest_api_id"], config["stage_name"]
    apigateway.create_stage(
        **_some(
            restApiId=api,
            stageName=stage,
            deploymentId=config["deployment_id"],
            description=config.get("description"),
            variables=config.get("variables"),
            tracingEnabled=config.get("xray_tracing_enabled"),
            cacheClusterEnabled=config.get("cache_cluster_enabled"),
        )
    )
    access = _first(config.get("access_log_settings"))
    if access:
        apigateway.update_stage(
            restApiId=api,
            stageName=stage,
            patchOperations=[
                {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": access["destination_arn"]},
                {"op": "replace", "path": "/accessLogSettings/format", "value": access["format"]},
            ],
        )
    return {
        "id": f"ags-{api}-{stage}",
        "arn": f"arn:aws:apigateway:{cloud.region}::/restapis/{api}/stages/{stage}",
        "invoke_url": f"https://{api}.execute-api.{cloud.region}.amazonaws.com/{stage}",
        "execution_arn": _arn(cloud, "execute-api", f"{api}/{stage}"),
    }


@handles("aws_api_gateway_account")
def _apigateway_account(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    if config.get("cloudwatch_role_arn"):
        cloud.client("apigateway").update_account(
            patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": config["cloudwatch_role_arn"]}]
        )
    return {"id": "api-gateway-account"}


_METHOD_SETTINGS = {
    "metrics_enabled": "metrics/enabled",
    "logging_level": "logging/loglevel",
    "data_trace_enabled": "logging/dataTrace",
    "throttling_burst_limit": "throttling/burstLimit",
    "throttling_rate_limit": "throttling/rateLimit",
    "caching_enabled": "caching/enabled",
    "cache_ttl_in_seconds": "caching/ttlInSeconds",
    "cache_data_encrypted": "caching/dataEncrypted",
    "require_authorization_for_cache_control": "caching/requireAuthorizationForCacheControl",
    "unauthorized_cache_control_header_strategy": "caching/unauthorizedCacheControlHeaderStrategy",
}


@handles("aws_api_gateway_method_settings")
def _method_settings(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    settings = _first(config["settings"])
    path = config["method_path"]
    patches = [
        {
            "op": "replace",
            "path": f"/{path}/{target}",
            "value": str(settings[key]).lower() if isinstance(settings[key], bool) else str(settings[key]),
        }
        for key, target in _METHOD_SETTINGS.items()
        if settings.get(key) is not None
    ]
    cloud.client("apigateway").update_stage(
        restApiId=config["rest_api_id"], stageName=config["stage_name"], patchOperations=patches
    )
    return {"id": f"{config['rest_api_id']}-{config['stage_name']}-{path}"}


# WAF


@handles("aws_wafv2_web_acl")
def _web_acl(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    arguments = _shaped("wafv2", "CreateWebACL", {key: value for key, value in config.items() if key != "tags"})
    summary = cloud.client("wafv2").create_web_acl(**arguments)["Summary"]
    return {"arn": summary["ARN"], "id": summary["Id"], "lock_token": summary["LockToken"]}


@handles("aws_wafv2_web_acl_association")
def _web_acl_association(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("wafv2").associate_web_acl(WebACLArn=config["web_acl_arn"], ResourceArn=config["resource_arn"])
    return {"id": f"{config['web_acl_arn']},{config['resource_arn']}"}


@handles("aws_wafv2_web_acl_logging_configuration")
def _web_acl_logging(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    configuration = _shaped("wafv2", "PutLoggingConfiguration", {"logging_configuration": config})
    cloud.client("wafv2").put_logging_configuration(**configuration)
    return {"id": config["resource_arn"]}


_botocore = botocore.session.get_session()


def _shaped(service: str, operation: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """Terraform's snake_case blocks as the API's parameters, guided by the operation's input shape: names match
    without underscores and case (``cloudwatch_metrics_enabled`` is ``CloudWatchMetricsEnabled``), a block name may
    be the singular of a list member (``rule`` is ``Rules``), and a one-item list of blocks becomes the structure
    the API wants. A name the shape does not know is an error naming it, so nothing is dropped silently."""
    shape = _botocore.get_service_model(service).operation_model(operation).input_shape
    return dict(_to_shape(shape, config, operation))


def _to_shape(shape: Any, value: Any, where: str) -> Any:
    if shape.type_name == "structure":
        value = value[0] if isinstance(value, list) and len(value) == 1 else value
        members = {name.lower(): name for name in shape.members}
        shaped = {}
        for key, item in (value or {}).items():
            plain = key.replace("_", "").lower()
            name = members.get(plain) or members.get(f"{plain}s")
            if name is None:
                raise TerraformError(f"{where}: {key} has no counterpart in the API's {shape.name}")
            shaped[name] = _to_shape(shape.members[name], item, f"{where}.{key}")
        return shaped
    if shape.type_name == "list":
        items = value if isinstance(value, list) else [value]
        return [_to_shape(shape.member, item, f"{where}[]") for item in items]
    return value


# SNS


@handles("aws_sns_topic")
def _sns_topic(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    attributes = _some(
        DisplayName=config.get("display_name"),
        KmsMasterKeyId=config.get("kms_master_key_id"),
        Policy=config.get("policy"),
        FifoTopic="true" if config.get("fifo_topic") else None,
    )
    arn = cloud.client("sns").create_topic(Name=config["name"], Attributes=attributes)["TopicArn"]
    return {"arn": arn, "id": arn}


@handles("aws_sns_topic_policy")
def _sns_topic_policy(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    cloud.client("sns").set_topic_attributes(
        TopicArn=config["arn"], AttributeName="Policy", AttributeValue=config["policy"]
    )
    return {"id": config["arn"]}


@handles("aws_sns_topic_subscription")
def _sns_subscription(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    arn = cloud.client("sns").subscribe(
        TopicArn=config["topic_arn"],
        Protocol=config["protocol"],
        Endpoint=config["endpoint"],
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return {
        "arn": arn,
        "id": arn,
        "pending_confirmation": config["protocol"] in ("email", "email-json", "http", "https"),
    }
