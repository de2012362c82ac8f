"""A review's whole timeline by its id, from what the system keeps:

- the audit trail in S3 (every event of the review, ``events/source=<source>/date=<yyyy-MM-dd>/``): the objects of
  the days in the window are read and their records filtered by the idempotency key. S3 alone, not Athena: an
  operator needs only s3:ListBucket, s3:GetObject and kms:Decrypt on the audit bucket, and the same works offline
  (where Athena runs no query); a window of days keeps it to the objects of those days;
- the cases table (the case of a negative review: status, opened, escalated, resolved; never its callback token);
- the thank-you's idempotency table (when the review's thank-you was claimed);
- the dead-letter, retry and parked queues are not read: reading hides a message for its visibility timeout.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ops.aws import Environment

EVENTS_PREFIX = "events/"
# EventBridge's `time` has whole seconds, so a review's events often share one; within a second they go in the order
# of the event catalogue, which lists a review's events in the order they happen.
CATALOGUE = Path(__file__).resolve().parent.parent / "contracts" / "events" / "catalogue.json"
LIFECYCLE = {entry["detailType"]: rank for rank, entry in enumerate(json.loads(CATALOGUE.read_text(encoding="utf-8")))}


def _in_order(entry: Entry) -> tuple[str, int]:
    kind = entry.what.split(" ", 1)[-1]
    return entry.at, LIFECYCLE.get(kind, len(LIFECYCLE))


@dataclass
class Entry:
    at: str
    what: str
    detail: str


def _audit(env: Environment, review_id: str, first: date, last: date) -> list[Entry]:
    s3 = env.client("s3")
    bucket = env.audit_bucket
    days = {(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)}
    entries = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=EVENTS_PREFIX):
        for item in page.get("Contents", []):
            key = item["Key"]
            day = next((part.removeprefix("date=") for part in key.split("/") if part.startswith("date=")), None)
            if day not in days:
                continue
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            text = (gzip.decompress(body) if key.endswith(".gz") else body).decode("utf-8")
            for line in text.splitlines():
                if not line.strip():
                    continue
                record = json.loads(line)
                if record.get("detail", {}).get("metadata", {}).get("idempotency-key") != review_id:
                    continue
                entries.append(Entry(record["time"], f"{record['source']} {record['detail-type']}", _summary(record)))
    return entries


def _summary(record: dict[str, Any]) -> str:
    data = record.get("detail", {}).get("data", {})
    kind = record["detail-type"]
    if kind == "ReviewAnalysed":
        return f"{data.get('sentiment')} (negative {data.get('sentimentScore', {}).get('negative', 0):.2f})"
    if kind == "ThankYouSent":
        return f"email {data.get('messageId')} to {data.get('reviewerEmail')}"
    if kind == "ReviewAnalysisFailed":
        return f"{data.get('error')}: {data.get('cause')}"
    if kind == "DeliveryAbandoned":
        return f"to {data.get('targetArn')} after {data.get('redriveAttempts')} redrives; parked"
    if kind == "ReviewSubmitted":
        return f"product {data.get('productId')}, {len(data.get('text', ''))} characters"
    if "replay-name" in record:
        return f"replayed by {record['replay-name']}"
    return ""


def _item(env: Environment, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    item = env.client("dynamodb").get_item(TableName=table, Key=key).get("Item")
    if item is None:
        return None
    return {name: next(iter(value.values())) for name, value in item.items()}


def timeline(env: Environment, review_id: str, first: date, last: date) -> tuple[list[Entry], list[str]]:
    """(the audit's events in time order, what the tables hold now)."""
    entries = sorted(_audit(env, review_id, first, last), key=_in_order)
    state = []
    case = _item(env, env.name("customerservice", "cases"), {"caseId": {"S": review_id}})
    if case is not None:
        times = ", ".join(
            f"{name.removesuffix('At')} {case[name]}"
            for name in ("openedAt", "escalatedAt", "resolvedAt")
            if name in case
        )
        state.append(f"case: {case.get('status')}; {times}")
    claim = _item(env, env.name("thankyou", "idempotency"), {"idempotencyKey": {"S": review_id}})
    if claim is not None:
        state.append(f"thank-you claimed at {claim.get('claimedAt')}")
    return entries, state
