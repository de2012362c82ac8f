"""Which Terraform types the offline cloud can create, and how.

Each service package's ``resources`` module registers its handlers with :func:`handles` when imported
(:mod:`offline.engine.cloud` imports them all). A handler creates one resource in moto from its resolved arguments
and returns the attributes Terraform computes (``arn``, ``id``, ...). Beside the handlers:

- :data:`CONFIGURATION_ONLY`: types that exist only as configuration and that moto cannot create, each with the
  reason; their resources are recorded, never silently skipped (:func:`configuration_only`);
- :data:`INERT`: types created in moto whose runtime behaviour does not happen offline, each saying what it does
  not do (``handles(..., inert=...)``).

A type in neither raises :class:`UnsupportedResource` naming it and the resource, before anything is created.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from offline.engine.terraform import Resource, Stack, TerraformError

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud

Handler = Callable[["OfflineCloud", Resource, dict[str, Any]], dict[str, Any]]

HANDLERS: dict[str, Handler] = {}
CONFIGURATION_ONLY: dict[str, str] = {}
INERT: dict[str, str] = {}


class UnsupportedResource(TerraformError):
    """The stack holds a resource (or data source) type the offline cloud has no handler for."""


def handles(*kinds: str, inert: str | None = None) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``kinds``; ``inert`` says what of their behaviour does not
    happen offline."""

    def register(handler: Handler) -> Handler:
        for kind in kinds:
            if kind in HANDLERS or kind in CONFIGURATION_ONLY:
                raise ValueError(f"{kind} is registered twice")
            HANDLERS[kind] = handler
            if inert is not None:
                INERT[kind] = inert
        return handler

    return register


def configuration_only(kind: str, reason: str) -> None:
    """Record resources of ``kind`` without creating anything, for ``reason``."""
    if kind in HANDLERS or kind in CONFIGURATION_ONLY:
        raise ValueError(f"{kind} is registered twice")
    CONFIGURATION_ONLY[kind] = reason


def check_supported(stack: Stack) -> None:
    for resource in stack.resources.values():
        known = HANDLERS if resource.is_data else (*HANDLERS, *CONFIGURATION_ONLY)
        if resource.type not in known:
            raise UnsupportedResource(
                f"{resource}: the offline cloud has no handler for Terraform type {resource.type}; "
                "add one to the service's package under offline/ (or a configuration_only entry with the reason)"
            )
