"""Typed, validated settings for one deployment environment of the review system.

Settings come from ``environments.json`` (beside ``main.py``): one flat object per environment under
``"environments"``. Every setting has a default, so a newcomer synthesizes with no file at all.

Each setting is declared once, as a field of the frozen settings class of the service that uses it, with its
default and its check (:mod:`modules.checks`) side by side; the class checks itself when it is built, however
it is built (from the file, by hand in a test, or with :func:`dataclasses.replace`). The file stays flat: the
JSON key is the field's name, and which service owns a key is read off the fields (:data:`SETTINGS`).

Anything missing, unknown or invalid raises :class:`ConfigError`, whose message names the file, the
environment and the setting, and says what is accepted:
``environments.json: prod.sender_email: 'ops@' is not an email address such as 'team@example.com'``.
"""

from __future__ import annotations

import functools
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from modules import checks
from modules.checks import CheckError

# A Standard workflow runs for at most one year, so a callback can wait no longer than that.
MAX_CASE_TIMEOUT_SECONDS = 365 * 24 * 3600
# modules/operations.py still matches alarm_email with this; checks.email_address replaces it.


class ConfigError(ValueError):
    """A setting is missing or invalid. The message names it and what is accepted.

    ``where`` (a file, a stack), ``setting`` (a dotted path: ``prod.state_backend.bucket``) and ``problem`` are
    kept apart so an enclosing settings object or loader can say where the setting sits.
    """

    def __init__(self, problem: str, *, setting: str = "", where: str = "") -> None:
        self.problem = problem
        self.setting = setting
        self.where = where
        super().__init__(": ".join(part for part in (where, setting, problem) if part))

    def within(self, *, prefix: str = "", where: str = "") -> ConfigError:
        """The same error one level further out: ``prefix`` goes before the setting, ``where`` in front."""
        setting = ".".join(part for part in (prefix, self.setting) if part)
        return ConfigError(self.problem, setting=setting, where=where or self.where)


def checked(check: Callable[..., Any], **limits: Any) -> dict[str, Any]:
    """Field metadata: the check a setting's value must pass, with its limits:
    ``field(default=30, metadata=checked(checks.whole_number, low=1, high=3650))``."""
    return {"check": functools.partial(check, **limits) if limits else check}


# Settings whose declared type is one of these are refused with "must be a <type>" before their check runs, so a
# quoted number in the file is named as the wrong type rather than as a wrong value.
_EXACT_TYPES = (bool, int, str)


@dataclass(frozen=True)
class Settings:
    """Base of every settings class: checks each field with its declared type and check, in declaration order,
    then :meth:`check_together` for rules between fields. Errors name the field (``SECTION.field`` when the class
    has a section of its own in the file)."""

    SECTION: ClassVar[str] = ""

    def __post_init__(self) -> None:
        try:
            self._check_fields()
            self.check_together()
        except ConfigError as error:
            raise error.within(prefix=self.SECTION) from None

    def _check_fields(self) -> None:
        hints = _type_hints(type(self))
        for setting in fields(self):
            value = getattr(self, setting.name)
            try:
                if not _has_declared_type(value, hints[setting.name]):
                    continue
                check = setting.metadata.get("check")
                if check is not None:
                    # Checks may normalise (a list becomes a tuple, a mapping a dict); a frozen class sets it once.
                    object.__setattr__(self, setting.name, check(value))
            except CheckError as error:
                raise ConfigError(str(error), setting=setting.name) from None
            except ConfigError as error:
                raise error.within(prefix=setting.name) from None

    def check_together(self) -> None:
        """Rules between fields; raise :class:`ConfigError` with ``setting=`` the field to fix."""


_HINTS: dict[type, dict[str, Any]] = {}


def _type_hints(cls: type) -> dict[str, Any]:
    # The annotations are strings (``from __future__ import annotations``); resolved once per class.
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _has_declared_type(value: Any, hint: Any) -> bool:
    """False for None where the type allows it (nothing to check); CheckError for a value of the wrong exact type."""
    allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if value is None and type(None) in allowed:
        return False
    exact = [kind for kind in allowed if kind in _EXACT_TYPES]
    if exact and type(value) not in exact:
        raise CheckError(f"{value!r} must be a {exact[0].__name__}")
    return True


# --------------------------------------------------------------------------------------------- per service


@dataclass(frozen=True)
class EmailSettings(Settings):
    """The email service (``modules/email.py``)."""

    # From address of every email; the stack creates the SES identity, and SES emails a verification link to it.
    sender_email: str = field(default="reviews@example.com", metadata=checked(checks.email_address))
    # An SES identity exists once per account and region: False uses one another environment (or a person) made.
    manage_sender_identity: bool = field(default=True, metadata=checked(checks.boolean))


@dataclass(frozen=True)
class CustomerServiceSettings(Settings):
    """Cases opened for negative reviews (``modules/customer_service.py``)."""

    support_email: str = field(default="support@example.com", metadata=checked(checks.email_address))
    escalation_email: str = field(default="escalations@example.com", metadata=checked(checks.email_address))
    # How long an opened case waits for an agent before it escalates.
    case_timeout_seconds: int = field(
        default=48 * 3600, metadata=checked(checks.whole_number, low=60, high=MAX_CASE_TIMEOUT_SECONDS)
    )


@dataclass(frozen=True)
class OperationsSettings(Settings):
    """Alarms (``modules/operations.py``)."""

    alarm_email: str = field(default="alarms@example.com", metadata=checked(checks.email_address))


@dataclass(frozen=True)
class FrontendSettings(Settings):
    """The front-end API (``modules/frontend_api.py``)."""

    # The only CORS origin. None: the origin of the stack's own web pages (their CloudFront distribution).
    allowed_origin: str | None = field(default=None, metadata=checked(checks.origin))
    # API Gateway stage throttling: steady requests per second, and the size of a burst.
    api_rate_limit: int = field(default=50, metadata=checked(checks.whole_number, low=1, high=10000))
    api_burst_limit: int = field(default=100, metadata=checked(checks.whole_number, low=1, high=5000))
    # API Gateway keeps one CloudWatch role per account and region: only one environment there may set it.
    api_gateway_account_owner: bool = field(default=True, metadata=checked(checks.boolean))
    # How long an Idempotency-Key is remembered: a retry within it is the same review, published once. DynamoDB's
    # TTL deletes a key within days after it expires, so keys are kept at least this long. One hour to 30 days.
    idempotency_window_seconds: int = field(
        default=24 * 3600, metadata=checked(checks.whole_number, low=3600, high=30 * 24 * 3600)
    )

    def check_together(self) -> None:
        if self.api_burst_limit < self.api_rate_limit:
            raise ConfigError(
                f"must be at least api_rate_limit ({self.api_rate_limit}), got {self.api_burst_limit}",
                setting="api_burst_limit",
            )


# Comprehend's default quota for BatchDetectSentiment, in calls per second per account and region (Service Quotas,
# "Guidelines and quotas" of the Comprehend developer guide); 25 documents per call.
# https://docs.aws.amazon.com/comprehend/latest/dg/guidelines-and-limits.html
DEFAULT_BATCH_SENTIMENT_RATE = 10
# BatchDetectSentiment takes at most 25 documents of one language (its TextList).
MAX_BATCH_DOCUMENTS = 25
# Pipes' MaximumBatchingWindowInSeconds: 0 to 300. https://docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_PipeSourceSqsQueueParameters.html
MAX_BATCHING_WINDOW_SECONDS = 300
# Reviews of the largest size whose analysis fits one execution's 256 KB of state data (see analysis_batch_size).
MAX_ANALYSIS_BATCH = 7


@dataclass(frozen=True)
class AnalysisSettings(Settings):
    """The analysis queue, its pipe and the workflow's rate limit (``modules/analysis.py``)."""

    # Reviews per execution of the analysis workflow (the pipe's batch size): one BatchDetectSentiment call per
    # language of the batch (at most its 25 documents). Bounded lower by Step Functions' 256 KB limit on a state's
    # data: the workflow holds each review about three times, and a review of 5,000 bytes, escaped in the event's
    # JSON, can take 10 KB or more; more than MAX_ANALYSIS_BATCH of them fail the execution (States.DataLimitExceeded,
    # seen offline with 12 reviews of 5,000 characters).
    # https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-task-executions
    analysis_batch_size: int = field(
        default=MAX_ANALYSIS_BATCH, metadata=checked(checks.whole_number, low=1, high=MAX_ANALYSIS_BATCH)
    )
    # How long the pipe gathers a batch before it starts the workflow with fewer reviews.
    analysis_batching_window_seconds: int = field(
        default=2, metadata=checked(checks.whole_number, low=0, high=MAX_BATCHING_WINDOW_SECONDS)
    )
    # BatchDetectSentiment calls per second, over every execution: excess batches wait, then return to the queue.
    analysis_rate_limit: int = field(
        default=DEFAULT_BATCH_SENTIMENT_RATE, metadata=checked(checks.whole_number, low=1, high=1000)
    )
    # Deliveries of a review before SQS moves it to the analysis dead-letter queue (SQS accepts 1-1000).
    analysis_max_receive_count: int = field(default=5, metadata=checked(checks.whole_number, low=1, high=1000))


@dataclass(frozen=True)
class RoutingSettings(Settings):
    """Where an analysed review goes; both ReviewAnalysed consumers' patterns (thank-you, customer service) use it."""

    # An analysed review is NEGATIVE enough to open a case when Comprehend's Negative score reaches this value;
    # every other analysed review gets a thank-you email.
    negative_case_threshold: float = field(default=0.5, metadata=checked(checks.number_in, low=0, high=1))


@dataclass(frozen=True)
class EventBusSettings(Settings):
    """The event bus (``modules/event_bus.py``)."""

    # How long the bus archive keeps every event for replay.
    archive_retention_days: int = field(default=30, metadata=checked(checks.whole_number, low=1, high=3650))


@dataclass(frozen=True)
class ThankYouSettings(Settings):
    """Thank-you emails (``modules/thank_you.py``)."""

    # How long a sent thank-you is remembered, so a redelivered event sends no second email.
    idempotency_ttl_hours: int = field(default=72, metadata=checked(checks.whole_number, low=1, high=24 * 365))


@dataclass(frozen=True)
class AuditSettings(Settings):
    """The audit trail (``modules/audit.py``)."""

    # Objects move to Glacier Instant Retrieval after the first, and are deleted after the second.
    audit_archive_after_days: int = field(default=90, metadata=checked(checks.whole_number, low=30, high=3650))
    audit_expire_after_days: int = field(default=2555, metadata=checked(checks.whole_number, low=1, high=36500))

    def check_together(self) -> None:
        if self.audit_expire_after_days <= self.audit_archive_after_days:
            raise ConfigError(
                f"must be greater than audit_archive_after_days ({self.audit_archive_after_days}), "
                f"got {self.audit_expire_after_days}",
                setting="audit_expire_after_days",
            )


@dataclass(frozen=True)
class StateBackend(Settings):
    """Where Terraform keeps this environment's state: an S3 bucket with S3-native locking."""

    bucket: str = field(metadata=checked(checks.bucket_name))
    key: str = field(metadata=checked(checks.state_key))
    region: str = field(metadata=checked(checks.region))


def _state_backend(value: Any) -> StateBackend:
    if isinstance(value, StateBackend):
        return value
    accepted = ["bucket", "key", "region"]
    if not isinstance(value, Mapping) or sorted(value) != accepted:
        raise CheckError(f"must be an object with exactly {accepted}")
    return StateBackend(**value)


def _service(cls: type[Settings]) -> dict[str, Any]:
    """Field metadata of a service's settings inside :class:`EnvironmentConfig`: its fields are top-level keys."""

    def check(value: Any) -> Settings:
        if not isinstance(value, cls):
            raise CheckError(f"{value!r} must be an instance of {cls.__name__}")
        return value

    return {"check": check, "service": cls}


# --------------------------------------------------------------------------------------------- the environment


@dataclass(frozen=True)
class EnvironmentConfig(Settings):
    """Every setting of one environment: the platform's own, and one settings object per service.
    Field comments are the README's configuration table."""

    name: str = field(metadata=checked(checks.environment_name))
    region: str = field(default="eu-west-1", metadata=checked(checks.region))
    # Of every log group the stack creates.
    log_retention_days: int = field(default=365, metadata=checked(checks.log_retention_days))
    # Added to every resource; they win over the project's default tags (see ReviewsStack.tags).
    tags: Mapping[str, str] = field(default_factory=dict, metadata=checked(checks.tags))
    # None: any account. Set, Terraform refuses to run against another one, and environments that name the same
    # account and region are checked not to fight over what exists once per account and region.
    account_id: str | None = field(default=None, metadata=checked(checks.account_id))
    # None: Terraform state stays in a local file beside the stack (see delivery/README.md).
    state_backend: StateBackend | None = field(default=None, metadata=checked(_state_backend))
    email: EmailSettings = field(default_factory=EmailSettings, metadata=_service(EmailSettings))
    customer_service: CustomerServiceSettings = field(
        default_factory=CustomerServiceSettings, metadata=_service(CustomerServiceSettings)
    )
    operations: OperationsSettings = field(default_factory=OperationsSettings, metadata=_service(OperationsSettings))
    frontend: FrontendSettings = field(default_factory=FrontendSettings, metadata=_service(FrontendSettings))
    routing: RoutingSettings = field(default_factory=RoutingSettings, metadata=_service(RoutingSettings))
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings, metadata=_service(AnalysisSettings))
    events: EventBusSettings = field(default_factory=EventBusSettings, metadata=_service(EventBusSettings))
    thank_you: ThankYouSettings = field(default_factory=ThankYouSettings, metadata=_service(ThankYouSettings))
    audit: AuditSettings = field(default_factory=AuditSettings, metadata=_service(AuditSettings))

    def __post_init__(self) -> None:
        try:
            super().__post_init__()
        except ConfigError as error:
            raise error.within(prefix=str(self.name)) from None

    @property
    def stack_name(self) -> str:
        return f"reviews-{self.name}"

    @property
    def prefix(self) -> str:
        """Physical name prefix: every resource is named ``f"{prefix}-{service}-{purpose}"``."""
        return f"reviews-{self.name}"


def _owners() -> dict[str, str | None]:
    """Every key of an environment's settings in the file, and the attribute of :class:`EnvironmentConfig` holding
    the service settings that own it (None: :class:`EnvironmentConfig` itself)."""
    owners: dict[str, str | None] = {}
    for setting in fields(EnvironmentConfig):
        service = setting.metadata.get("service")
        keys = [(key.name, setting.name) for key in fields(service)] if service else [(setting.name, None)]
        for key, owner in keys:
            # The file is flat, so two services may never declare the same key.
            assert key not in owners, f"setting {key!r} is declared twice"
            owners[key] = owner
    del owners["name"]
    return owners


#: The flat keys of an environment in ``environments.json``, each to the service attribute that owns it
#: (``"sender_email": "email"``), or to None for the platform's own (``"region": None``).
SETTINGS: Mapping[str, str | None] = types.MappingProxyType(_owners())

DEFAULT_ENVIRONMENTS: Mapping[str, Mapping[str, Any]] = {"dev": {}, "prod": {}}


def _read(path: Path) -> dict[str, Any]:
    where = path.name
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(f"not valid JSON: {error}", where=where) from error
    if not isinstance(document, dict) or "environments" not in document or set(document) - {"environments", "delivery"}:
        raise ConfigError('must be an object with "environments" and, optionally, "delivery"', where=where)
    return document


def load_environments(path: Path) -> list[EnvironmentConfig]:
    """Read and validate every environment in ``path``; defaults when the file does not exist."""
    where = path.name
    if path.exists():
        raw = _read(path)["environments"]
        if not isinstance(raw, dict) or not raw:
            raise ConfigError('"environments" must map environment names to their settings', where=where)
    else:
        raw = DEFAULT_ENVIRONMENTS
    environments = [parse_environment(name, settings, where) for name, settings in raw.items()]
    _check_shared_accounts(environments, where)
    return environments


def _check_shared_accounts(environments: Sequence[EnvironmentConfig], where: str) -> None:
    """API Gateway's CloudWatch role and an SES identity exist once per account and region: of the environments
    naming one account and region, exactly one may own the first, and no two may create the same identity.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
    https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html"""
    shared: dict[tuple[str, str], list[EnvironmentConfig]] = {}
    for config in environments:
        if config.account_id is not None:
            shared.setdefault((config.account_id, config.region), []).append(config)
    for (account, region), group in shared.items():
        if len(group) < 2:
            continue
        names = ", ".join(config.name for config in group)
        owners = [config.name for config in group if config.frontend.api_gateway_account_owner]
        if len(owners) != 1:
            raise ConfigError(
                f"{names} share account {account} in {region}, where API Gateway has one CloudWatch role: "
                f"exactly one of them may set api_gateway_account_owner (now: {owners or 'none'})",
                setting="api_gateway_account_owner",
                where=where,
            )
        identities: dict[str, str] = {}
        for config in group:
            sender = config.email.sender_email
            if config.email.manage_sender_identity and sender in identities:
                raise ConfigError(
                    f"{identities[sender]} and {config.name} both create the SES identity {sender!r} in account "
                    f"{account}, {region}: give one another sender_email or set its manage_sender_identity to false",
                    setting=f"{config.name}.manage_sender_identity",
                    where=where,
                )
            if config.email.manage_sender_identity:
                identities[sender] = config.name


def load_delivery_settings(path: Path) -> dict[str, Any]:
    """The raw ``delivery`` object of ``path`` (the state bootstrap stack's settings); empty when absent.
    :mod:`modules.delivery_settings` validates it."""
    if not path.exists():
        return {}
    settings = _read(path).get("delivery", {})
    if not isinstance(settings, dict):
        raise ConfigError("settings must be an object", setting="delivery", where=path.name)
    return settings


def parse_environment(name: str, settings: Mapping[str, Any], where: str = "environments.json") -> EnvironmentConfig:
    """Validate one environment's flat ``settings`` into an :class:`EnvironmentConfig`."""
    if not isinstance(settings, Mapping):
        raise ConfigError("settings must be an object", setting=name, where=where)
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise ConfigError(
            f"unknown setting; accepted settings: {sorted(SETTINGS)}", setting=f"{name}.{unknown[0]}", where=where
        )
    grouped: dict[str | None, dict[str, Any]] = {}
    for key, value in settings.items():
        grouped.setdefault(SETTINGS[key], {})[key] = value
    own = grouped.pop(None, {})
    try:
        services: dict[str, Any] = {
            owner: _service_class(owner)(**values) for owner, values in grouped.items() if owner
        }
    except ConfigError as error:
        raise error.within(prefix=name, where=where) from None
    try:
        return EnvironmentConfig(name=name, **own, **services)
    except ConfigError as error:
        raise error.within(where=where) from None


def _service_class(owner: str) -> type[Settings]:
    service: type[Settings] = EnvironmentConfig.__dataclass_fields__[owner].metadata["service"]
    return service
