"""Typed, validated settings for one deployment environment of the review system.

Settings come from ``environments.json`` (beside ``main.py``): one object per environment under
``"environments"``. Every setting has a default, so a newcomer synthesizes with no file at all.
Anything missing, unknown or invalid raises :class:`ConfigError`, whose message names the file,
the environment and the setting, and lists what is accepted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
# A Standard workflow runs for at most one year, so a callback can wait no longer than that.
MAX_CASE_TIMEOUT_SECONDS = 365 * 24 * 3600

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
_ORIGIN = re.compile(r"^(https://[a-z0-9.-]+(:\d{1,5})?|http://(localhost|127\.0\.0\.1)(:\d{1,5})?)$")
_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,22}[a-z0-9]$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ENVIRONMENT = re.compile(r"^[a-z][a-z0-9]{1,9}$")
_TAG_KEY = re.compile(r"^[\w .:/=+\-@]{1,128}$")


class ConfigError(ValueError):
    """A setting is missing or invalid. The message names it and what is accepted."""


@dataclass(frozen=True)
class StateBackend:
    """Where Terraform keeps this environment's state: an S3 bucket with S3-native locking."""

    bucket: str
    key: str
    region: str


@dataclass(frozen=True)
class EnvironmentConfig:
    """Every setting of one environment. Field docs are the README's configuration table."""

    name: str
    region: str = "eu-west-1"
    sender_email: str = "reviews@example.com"
    support_email: str = "support@example.com"
    escalation_email: str = "escalations@example.com"
    alarm_email: str = "alarms@example.com"
    # None: the origin of the stack's own web pages (their CloudFront distribution).
    allowed_origin: str | None = None
    # An analysed review is NEGATIVE enough to open a case when Comprehend's Negative score
    # reaches this value; every other analysed review gets a thank-you email.
    negative_case_threshold: float = 0.5
    case_timeout_seconds: int = 48 * 3600
    log_retention_days: int = 365
    archive_retention_days: int = 30
    idempotency_ttl_hours: int = 72
    audit_archive_after_days: int = 90
    audit_expire_after_days: int = 2555
    api_rate_limit: int = 50
    api_burst_limit: int = 100
    state_backend: StateBackend | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def stack_name(self) -> str:
        return f"reviews-{self.name}"

    @property
    def prefix(self) -> str:
        """Physical name prefix: every resource is named ``f"{prefix}-{service}-{purpose}"``."""
        return f"reviews-{self.name}"

    def validate(self, where: str) -> None:
        def fail(setting: str, problem: str) -> None:
            raise ConfigError(f"{where}: {self.name}.{setting}: {problem}")

        if not _ENVIRONMENT.match(self.name):
            fail("name", f"{self.name!r} must be 2-10 lowercase letters or digits, starting with a letter")
        if not _REGION.match(self.region):
            fail("region", f"{self.region!r} is not an AWS region name such as 'eu-west-1'")
        for setting in ("sender_email", "support_email", "escalation_email", "alarm_email"):
            value = getattr(self, setting)
            if not isinstance(value, str) or not _EMAIL.match(value):
                fail(setting, f"{value!r} is not an email address such as 'team@example.com'")
        if self.allowed_origin is not None and not _ORIGIN.match(self.allowed_origin):
            fail(
                "allowed_origin",
                f"{self.allowed_origin!r} must be an https origin without path (https://reviews.example.com) "
                "or http://localhost[:port] for development",
            )
        if not _number(self.negative_case_threshold) or not 0 < self.negative_case_threshold <= 1:
            fail("negative_case_threshold", f"{self.negative_case_threshold!r} must be a number in (0, 1]")
        _check_int(fail, "case_timeout_seconds", self.case_timeout_seconds, 60, MAX_CASE_TIMEOUT_SECONDS)
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            fail("log_retention_days", f"{self.log_retention_days!r} is not one of {list(LOG_RETENTION_DAYS)}")
        _check_int(fail, "archive_retention_days", self.archive_retention_days, 1, 3650)
        _check_int(fail, "idempotency_ttl_hours", self.idempotency_ttl_hours, 1, 24 * 365)
        _check_int(fail, "audit_archive_after_days", self.audit_archive_after_days, 30, 3650)
        _check_int(fail, "audit_expire_after_days", self.audit_expire_after_days, 1, 36500)
        if self.audit_expire_after_days <= self.audit_archive_after_days:
            fail("audit_expire_after_days", "must be greater than audit_archive_after_days")
        _check_int(fail, "api_rate_limit", self.api_rate_limit, 1, 10000)
        _check_int(fail, "api_burst_limit", self.api_burst_limit, 1, 5000)
        if self.api_burst_limit < self.api_rate_limit:
            fail("api_burst_limit", "must be at least api_rate_limit")
        for key, value in self.tags.items():
            if not _TAG_KEY.match(key) or key.lower().startswith("aws:") or not isinstance(value, str):
                fail("tags", f"{key!r}: {value!r} is not a valid AWS tag (key 1-128 characters, no 'aws:' prefix)")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_int(fail: Any, setting: str, value: Any, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        fail(setting, f"{value!r} must be a whole number from {low} to {high}")


DEFAULT_ENVIRONMENTS: Mapping[str, Mapping[str, Any]] = {"dev": {}, "prod": {}}


def load_environments(path: Path) -> list[EnvironmentConfig]:
    """Read and validate every environment in ``path``; defaults when the file does not exist."""
    where = path.name
    if path.exists():
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ConfigError(f"{where}: not valid JSON: {error}") from error
        if (
            not isinstance(document, dict)
            or "environments" not in document
            or set(document) - {"environments", "delivery"}
        ):
            raise ConfigError(f'{where}: must be an object with "environments" and, optionally, "delivery"')
        raw = document["environments"]
        if not isinstance(raw, dict) or not raw:
            raise ConfigError(f'{where}: "environments" must map environment names to their settings')
    else:
        raw = DEFAULT_ENVIRONMENTS
    return [parse_environment(name, settings, where) for name, settings in raw.items()]


def load_delivery_settings(path: Path) -> dict[str, Any]:
    """The raw ``delivery`` object of ``path`` (the state bootstrap stack's settings); empty when absent.
    :func:`load_environments` has already checked the file's shape."""
    if not path.exists():
        return {}
    settings = json.loads(path.read_text(encoding="utf-8")).get("delivery", {})
    if not isinstance(settings, dict):
        raise ConfigError(f"{path.name}: delivery: settings must be an object")
    return settings


def parse_environment(name: str, settings: Mapping[str, Any], where: str = "environments.json") -> EnvironmentConfig:
    if not isinstance(settings, Mapping):
        raise ConfigError(f"{where}: {name}: settings must be an object")
    known = {f.name for f in fields(EnvironmentConfig)} - {"name"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ConfigError(f"{where}: {name}.{unknown[0]}: unknown setting; accepted settings: {sorted(known)}")
    values = dict(settings)
    defaults = EnvironmentConfig(name=name)
    for setting, value in values.items():
        expected = type(getattr(defaults, setting))
        if setting == "allowed_origin" and value is None:
            continue
        if setting == "allowed_origin" and type(value) is not str:
            raise ConfigError(f"{where}: {name}.allowed_origin: {value!r} must be a str")
        if expected in (str, int) and (type(value) is not expected):
            raise ConfigError(f"{where}: {name}.{setting}: {value!r} must be a {expected.__name__}")
    if "state_backend" in values and values["state_backend"] is not None:
        values["state_backend"] = _parse_backend(name, values["state_backend"], where)
    if "tags" in values and not isinstance(values["tags"], Mapping):
        raise ConfigError(f"{where}: {name}.tags: must be an object of tag names to values")
    config = EnvironmentConfig(name=name, **values)
    config.validate(where)
    return config


def _parse_backend(name: str, raw: Any, where: str) -> StateBackend:
    accepted = ["bucket", "key", "region"]
    if not isinstance(raw, Mapping) or sorted(raw) != accepted:
        raise ConfigError(f"{where}: {name}.state_backend: must be an object with exactly {accepted}")
    backend = StateBackend(**raw)
    if not isinstance(backend.bucket, str) or not _BUCKET.match(backend.bucket):
        raise ConfigError(f"{where}: {name}.state_backend.bucket: {backend.bucket!r} is not an S3 bucket name")
    if not isinstance(backend.key, str) or not backend.key.endswith(".tfstate") or backend.key.startswith("/"):
        raise ConfigError(
            f"{where}: {name}.state_backend.key: {backend.key!r} must be a relative object key ending in .tfstate"
        )
    if not isinstance(backend.region, str) or not _REGION.match(backend.region):
        raise ConfigError(f"{where}: {name}.state_backend.region: {backend.region!r} is not an AWS region name")
    return backend
