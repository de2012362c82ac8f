"""EventBridge archive replay, offline: StartReplay sends the archived events of a time window to the bus's rules.

moto 5.2.5 validates StartReplay and then sends every archived event to every rule of the bus, whatever the
window and ``Destination.FilterArns``. AWS (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_StartReplay.html,
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-replay-archived-event.html):

- only events whose time lies in [EventStartTime, EventEndTime) are replayed (the API says "between"; the end is
  taken as exclusive so that consecutive windows never replay an event twice);
- to every rule of the destination bus, or only to the rules listed in ``Destination.FilterArns``;
- each replayed event has a new ``id`` and a ``replay-name`` field holding the replay's name, which the archive's
  own rule excludes (``"replay-name": [{"exists": false}]``), so a replay is never archived again;
- the targets' input transformers apply as to any event.

The replay runs within StartReplay here (moto's choice), and DescribeReplay then says COMPLETED; EventBridge
replays asynchronously, STARTING then RUNNING, so a caller must poll DescribeReplay as it would on AWS. Deliveries
to Step Functions and Firehose targets are queued as for any event (:mod:`offline.events.delivery`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from moto.core.utils import unix_time
from moto.events.models import Archive, Replay, ReplayState, events_backends
from moto.events.utils import EventTemplateParser

_original_parse = EventTemplateParser.parse


def epoch(value: Any) -> float:
    """An event's or a window's time as seconds since the epoch (moto keeps numbers, ISO 8601 text or datetimes)."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp() if value.tzinfo else value.replace(tzinfo=UTC).timestamp()
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def replay_events(replay: Replay, archive: Archive) -> None:
    bus_name = replay.destination["Arn"].split("/")[-1]
    only = set(replay.destination.get("FilterArns") or [])
    start, end = epoch(replay.event_start_time), epoch(replay.event_end_time)
    bus = events_backends[replay.account_id][replay.region].describe_event_bus(bus_name)
    for event in list(archive.events):
        if not start <= epoch(event["time"]) < end:
            continue
        for rule in list(bus.rules.values()):
            if only and rule.arn not in only:
                continue
            rule.send_to_targets({**event, "id": str(uuid.uuid4()), "replay-name": replay.name}, transform_input=True)
    replay.state = ReplayState.COMPLETED
    replay.end_time = unix_time()


def _parse(input_template: str, input_paths_map: dict[str, Any], event: Any) -> Any:
    """moto's target input, which rebuilds the event from a fixed list of fields when there is no template, keeping
    the ``replay-name`` of a replayed event as EventBridge does."""
    result = _original_parse(input_template, input_paths_map, event)
    if not input_template and isinstance(result, dict) and "replay-name" in event:
        result["replay-name"] = event["replay-name"]
    return result


@contextmanager
def installed() -> Iterator[None]:
    with (
        mock.patch.object(Replay, "replay_events", replay_events),
        mock.patch.object(EventTemplateParser, "parse", staticmethod(_parse)),
    ):
        yield
