"""Settings of the delivery bootstrap stack (``reviews-state``, :mod:`modules.state_backend`): the top-level
``"delivery"`` object of ``environments.json`` (see ``delivery/README.md``).

Free of the provider bindings, like :mod:`modules.config`, so ``main.py`` reports a bad delivery setting before
loading them. Errors name the setting as ``delivery.<setting>`` and say what is accepted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from modules import checks
from modules.checks import CheckError
from modules.config import ConfigError, EnvironmentConfig, Settings, checked, load_delivery_settings

# Environments may not be called "delivery" (the bootstrap's own physical names are "reviews-delivery-...") or
# "state" (the stack's name), so the apply role's f"reviews-{env}-*" scope can never cover them.
RESERVED_ENVIRONMENTS = ("delivery", "state")
MAIN_BRANCH = "main"
ACCESS_LOG_SUFFIX = "-access-logs"
# The access-log bucket's name is the state bucket's plus the suffix, and must fit S3's 63 characters too.
LONGEST_STATE_BUCKET = 63 - len(ACCESS_LOG_SUFFIX)


def _state_bucket(value: Any) -> str:
    try:
        return checks.bucket_name(value, max_length=LONGEST_STATE_BUCKET)
    except CheckError as error:
        raise CheckError(f"{error} (the access-log bucket adds {ACCESS_LOG_SUFFIX!r})") from None


def _environments(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise CheckError(f"{value!r} must be a list of strings")
    if not value:
        raise CheckError("must name at least one environment")
    if len(set(value)) != len(value):
        raise CheckError(f"{list(value)} names an environment twice")
    return tuple(checks.environment_name(name, reserved=RESERVED_ENVIRONMENTS) for name in value)


@dataclass(frozen=True)
class DeliveryConfig(Settings):
    """Settings of the delivery bootstrap, checked when built.

    github_repository: "owner/name" of the repository whose workflows may assume the roles.
    state_bucket: name of the state bucket; access logs go to f"{state_bucket}-access-logs".
    region: where the bucket, its key and the roles' provider live (the environments' state_backend.region).
    environments: the environment names, each a GitHub environment the apply role trusts.
    deploy_regions: the regions the environment stacks deploy to; the apply role works there only.
    create_oidc_provider: False when the account already has the GitHub OIDC provider (one per account).
    noncurrent_version_days: how long a replaced state version is kept before it expires.
    access_log_days: how long the state bucket's access logs are kept.
    """

    SECTION = "delivery"

    github_repository: str = field(default="example-org/reviews", metadata=checked(checks.github_repository))
    state_bucket: str = field(default="reviews-terraform-state-example", metadata=checked(_state_bucket))
    region: str = field(default="eu-west-1", metadata=checked(checks.region))
    environments: tuple[str, ...] = field(default=("dev", "prod"), metadata=checked(_environments))
    deploy_regions: tuple[str, ...] = field(default=("eu-west-1",), metadata=checked(checks.regions))
    create_oidc_provider: bool = field(default=True, metadata=checked(checks.boolean))
    noncurrent_version_days: int = field(default=90, metadata=checked(checks.whole_number, low=1, high=3650))
    access_log_days: int = field(default=365, metadata=checked(checks.whole_number, low=1, high=3650))

    def check_together(self) -> None:
        for name in self.environments:
            if self.state_bucket.startswith(f"reviews-{name}-"):
                raise ConfigError(
                    f"{self.state_bucket!r} must not start with 'reviews-{name}-': the apply role manages those buckets",
                    setting="state_bucket",
                )

    def plan_subjects(self) -> list[str]:
        """OIDC subjects of the read-only role: pull requests, and main for drift checks and pre-approval plans."""
        return [
            f"repo:{self.github_repository}:pull_request",
            f"repo:{self.github_repository}:ref:refs/heads/{MAIN_BRANCH}",
        ]

    def apply_subjects(self) -> list[str]:
        """OIDC subjects of the apply role: a job that names one of the GitHub environments, nothing else.

        A job on main without an environment gets ``ref:refs/heads/main`` and is not trusted, so the
        environments' protection rules (required reviewers, deployment branch main) cannot be skipped.
        """
        return [f"repo:{self.github_repository}:environment:{name}" for name in self.environments]


def parse_delivery(raw: Mapping[str, Any], where: str) -> DeliveryConfig:
    """Validate ``raw`` (the ``delivery`` settings object) into a :class:`DeliveryConfig`.

    Raises :class:`ConfigError` naming ``where``, the setting and what is accepted.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError("settings must be an object", setting="delivery", where=where)
    known = sorted(setting.name for setting in fields(DeliveryConfig))
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(f"unknown setting; accepted settings: {known}", setting=f"delivery.{unknown[0]}", where=where)
    try:
        return DeliveryConfig(**raw)
    except ConfigError as error:
        raise error.within(where=where) from None


def load_delivery(path: Path, environments: Sequence[EnvironmentConfig]) -> DeliveryConfig:
    """The delivery settings of ``path``. The bootstrap serves every environment of the file, in their regions,
    unless its settings say otherwise."""
    return parse_delivery(
        {
            "environments": [config.name for config in environments],
            "deploy_regions": sorted({config.region for config in environments}),
            **load_delivery_settings(path),
        },
        path.name,
    )
