"""Replay a time window of the event archive to the bus (EventBridge StartReplay), to every rule or to some.

A replayed event reaches the rules again, and every consumer deduplicates on the review's idempotency key (the
thank-you table, the cases table), so replaying a window that was already delivered sends no second email; the audit
trail records the replayed copies (EventBridge marks them with ``replay-name``).
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-replay-archived-event.html
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from ops.aws import Environment


def rule_arns(env: Environment, names: list[str]) -> list[str]:
    """The ARNs of the bus's rules named ``names``: a full name, or its purpose after ``{prefix}-{service}-``."""
    events = env.client("events")
    rules = [
        rule
        for page in events.get_paginator("list_rules").paginate(EventBusName=env.bus_name)
        for rule in page["Rules"]
    ]
    arns = []
    for name in names:
        matches = [rule for rule in rules if rule["Name"] == name or rule["Name"].endswith(f"-{name}")]
        if len(matches) != 1:
            known = ", ".join(sorted(rule["Name"] for rule in rules))
            raise LookupError(f"--rules: {name!r} names {len(matches)} rules of {env.bus_name}; its rules: {known}")
        arns.append(str(matches[0]["Arn"]))
    return arns


def start(
    env: Environment, start_time: datetime, end_time: datetime, rules: list[str], *, wait: float
) -> dict[str, Any]:
    events = env.client("events")
    archive = events.describe_archive(ArchiveName=env.archive_name)
    bus = events.describe_event_bus(Name=env.bus_name)
    destination: dict[str, Any] = {"Arn": bus["Arn"]}
    if rules:
        destination["FilterArns"] = rule_arns(env, rules)
    name = f"{env.prefix}-ops-{datetime.now().strftime('%Y%m%d%H%M%S')}"
    events.start_replay(
        ReplayName=name,
        Description="python -m ops replay",
        EventSourceArn=archive["ArchiveArn"],
        EventStartTime=start_time,
        EventEndTime=end_time,
        Destination=destination,
    )
    deadline = time.monotonic() + wait
    while True:
        replay = events.describe_replay(ReplayName=name)
        if replay["State"] in ("COMPLETED", "FAILED", "CANCELLED") or time.monotonic() >= deadline:
            return dict(replay)
        time.sleep(1)
