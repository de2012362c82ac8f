"""SES event publishing, which moto 5.2.5 lacks: configuration-set event destinations and the events SES sends them.

moto's SESv2 has no CreateConfigurationSetEventDestination. The destinations the stack creates
(``aws_sesv2_configuration_set_event_destination``, :mod:`.resources`) are kept here, per account and region, and
checked as SES checks them: an existing configuration set, a destination name of at most 64 letters, digits, ``_``
and ``-``, event types from the API's ``EventType`` enum, and an EventBridge destination on the default bus only
(https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_EventBridgeDestination.html). Offline, SES publishes to
EventBridge destinations only; a stack asking for another kind is refused at creation rather than silently ignored.

An email SES accepted and then did not send is published as SES does: to every enabled destination of the email's
configuration set whose matching event types include the event, as an ``aws.ses`` event on the account's default
bus with the detail of SES's event records (``eventType``, ``mail`` with its ``tags``, among them
``ses:configuration-set``, and the event's own object). The event goes to the default bus's rules the way AWS's
service events do, not through PutEvents, so the system bus's schema registry does not see it; moto delivers to an
SQS target itself, :mod:`offline.events.delivery` to the others. Published events are in :func:`published`.
https://docs.aws.amazon.com/ses/latest/dg/monitoring-eventbridge.html
"""

from __future__ import annotations

import copy
import re
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import botocore.session
from moto.events.models import events_backends

from offline.engine.aws import aws_error

OPERATION = "CreateConfigurationSetEventDestination"
# SES's event types, from the API's model: what matching_event_types may list.
EVENT_TYPES: frozenset[str] = frozenset(
    botocore.session.get_session().get_service_model("sesv2").shape_for("EventType").enum
)
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class EventKind:
    """How SES names one event type in its records and on the default bus, and the detail key of its object."""

    event_type: str  # the record's ``eventType``
    detail_type: str  # the event's ``detail-type`` on the default bus
    key: str  # the detail's object for this event type


# The event types the emulator produces. https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-ses.html,
# https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-firehose-contents.html
KINDS: Mapping[str, EventKind] = {
    "RENDERING_FAILURE": EventKind("Rendering Failure", "Email Rendering Failed", "failure"),
}


@dataclass(frozen=True)
class EventDestination:
    """One event destination of a configuration set."""

    name: str
    enabled: bool
    matching_event_types: tuple[str, ...]
    event_bus_arn: str


_lock = threading.Lock()
_destinations: dict[tuple[str, str, str], dict[str, EventDestination]] = {}
_published: dict[tuple[str, str], list[dict[str, Any]]] = {}


def add_destination(
    account_id: str, region: str, configuration_set: str, destination: EventDestination, *, kinds: Sequence[str]
) -> None:
    """Record ``destination`` on ``configuration_set`` (which must exist), or raise SES's error.
    ``kinds``: the destination kinds the definition names (``event_bridge_destination``, ``sns_destination``...)."""
    if not _NAME.fullmatch(destination.name):
        raise aws_error(
            "sesv2",
            OPERATION,
            "BadRequestException",
            f"Event destination name {destination.name!r} must be 1 to 64 ASCII letters, digits, '_' or '-'",
        )
    unknown = sorted(set(destination.matching_event_types) - EVENT_TYPES)
    if not destination.matching_event_types or unknown:
        raise aws_error(
            "sesv2",
            OPERATION,
            "BadRequestException",
            f"MatchingEventTypes must list event types of {sorted(EVENT_TYPES)}; unknown: {unknown}",
        )
    if len(kinds) != 1:
        raise aws_error(
            "sesv2", OPERATION, "BadRequestException", f"An event destination has exactly one destination, got {kinds}"
        )
    if kinds[0] != "event_bridge_destination":
        raise NotImplementedError(f"offline SES publishes to EventBridge destinations only, not {kinds[0]}")
    default_bus = f"arn:aws:events:{region}:{account_id}:event-bus/default"
    if destination.event_bus_arn != default_bus:
        raise aws_error(
            "sesv2",
            OPERATION,
            "BadRequestException",
            f"EventBusArn {destination.event_bus_arn}: only the default bus ({default_bus}) is supported",
        )
    with _lock:
        existing = _destinations.setdefault((account_id, region, configuration_set), {})
        if destination.name in existing:
            raise aws_error(
                "sesv2",
                OPERATION,
                "AlreadyExistsException",
                f"Event destination {destination.name} already exists in configuration set {configuration_set}",
            )
        existing[destination.name] = destination


def destinations(account_id: str, region: str, configuration_set: str) -> list[EventDestination]:
    with _lock:
        return list(_destinations.get((account_id, region, configuration_set), {}).values())


def publish(
    account_id: str, region: str, configuration_set: str | None, kind: str, mail: Mapping[str, Any], body: Any
) -> list[dict[str, Any]]:
    """Publish one event of ``kind`` (a key of :data:`KINDS`) about ``mail`` to the configuration set's matching
    destinations; returns the events put on the default bus (none without a configuration set or destination)."""
    if configuration_set is None:
        return []
    event_kind = KINDS[kind]
    matching = [
        destination
        for destination in destinations(account_id, region, configuration_set)
        if destination.enabled and kind in destination.matching_event_types
    ]
    events = []
    for _ in matching:
        now = time.time()
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": event_kind.detail_type,
            "source": "aws.ses",
            "account": account_id,
            # moto's rules take the time as epoch seconds, as its own PutEvents gives it them.
            "time": now,
            "region": region,
            "resources": [],
            "detail": {"eventType": event_kind.event_type, "mail": dict(mail), event_kind.key: body},
        }
        # moto's rules read the ingestion time its own PutEvents adds; targets do not receive it.
        message = {**event, "ingestion-time": now}
        default_bus = events_backends[account_id][region].describe_event_bus("default")
        for rule in list(default_bus.rules.values()):
            rule.send_to_targets(copy.deepcopy(message))  # type: ignore[arg-type]
        recorded = {**event, "time": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        with _lock:
            _published.setdefault((account_id, region), []).append(recorded)
        events.append(recorded)
    return events


def published(account_id: str, region: str) -> list[dict[str, Any]]:
    """Every event SES published to the default bus in the account and region, oldest first."""
    with _lock:
        return list(_published.get((account_id, region), []))


@contextmanager
def fresh() -> Iterator[None]:
    """For the block, no destination and no published event: moto's backends start empty each time, so must these."""
    _clear()
    try:
        yield
    finally:
        _clear()


def _clear() -> None:
    with _lock:
        _destinations.clear()
        _published.clear()
