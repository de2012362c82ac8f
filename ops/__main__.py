"""python -m ops: the operator's command for a review-system environment, on AWS or offline.

    python -m ops [--prefix reviews-dev] [--region eu-west-1] dlq list
    python -m ops dlq redrive [--queue NAME] [--dry-run]
    python -m ops replay --from 2026-12-01T10:00:00Z --to 2026-12-01T11:00:00Z [--rules on-review-analysed,...]
    python -m ops timeline REVIEW_ID [--since 2026-11-01] [--until 2026-12-01]

Credentials, region and endpoint come from the usual AWS settings (profile, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL: point it at
``python -m offline serve``'s AWS endpoint to work offline). A bad argument exits 2 naming it; a failed AWS call
exits 1 with AWS's error code and message.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError

from ops import dlq, replay, timeline
from ops.aws import Environment

DEFAULT_PREFIX = "reviews-dev"
TIMELINE_DAYS = 30


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time such as 2026-12-01T10:00:00Z") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} names no time zone: end it with Z or +01:00")
    return moment.astimezone(UTC)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day such as 2026-12-01") from None


def _rules(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"{text!r}: rule names separated by commas, none empty")
    return names


def _review_id(text: str) -> str:
    if not 1 <= len(text) <= 256 or not text.isprintable():
        raise argparse.ArgumentTypeError(f"{text!r} is not a review id (1-256 printable characters)")
    return text


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m ops", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    top.add_argument(
        "--prefix",
        default=os.environ.get("REVIEWS_PREFIX", DEFAULT_PREFIX),
        help="the environment's name prefix, reviews-<environment> (default $REVIEWS_PREFIX or reviews-dev)",
    )
    top.add_argument("--region", help="AWS region (default: the AWS settings')")
    top.add_argument(
        "--endpoint-url", help="AWS endpoint for every call (default: the AWS settings', AWS_ENDPOINT_URL)"
    )
    commands = top.add_subparsers(dest="command", required=True)

    queues = commands.add_parser("dlq", help="dead-letter, retry and parked queues")
    actions = queues.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every queue with its message counts")
    redrive = actions.add_parser("redrive", help="deliver every message to its target, delete what was delivered")
    redrive.add_argument("--queue", help="one queue's name (default: every queue that holds messages)")
    redrive.add_argument("--dry-run", action="store_true", help="say what would be delivered; change nothing")

    window = commands.add_parser("replay", help="replay a time window of the event archive (StartReplay)")
    window.add_argument("--from", dest="start", type=_instant, required=True, help="ISO 8601 start, e.g. ...Z")
    window.add_argument("--to", dest="end", type=_instant, required=True, help="ISO 8601 end")
    window.add_argument("--rules", type=_rules, default=[], help="only to these rules (names, comma-separated)")
    window.add_argument("--wait", type=float, default=0, help="seconds to wait for the replay to finish (default 0)")

    review = commands.add_parser("timeline", help="a review's events, case and thank-you, by its id")
    review.add_argument("review_id", type=_review_id, help="the review's id (its Idempotency-Key)")
    review.add_argument("--since", type=_day, help=f"first day of audit to read (default: {TIMELINE_DAYS} days ago)")
    review.add_argument("--until", type=_day, help="last day of audit to read (default: today, UTC)")
    return top


def run(argv: list[str] | None = None) -> int:
    top = parser()
    arguments = top.parse_args(argv)
    env = Environment(prefix=arguments.prefix, region=arguments.region, endpoint_url=arguments.endpoint_url)
    try:
        if arguments.command == "dlq":
            return _dlq(top, env, arguments)
        if arguments.command == "replay":
            return _replay(top, env, arguments)
        return _timeline(top, env, arguments)
    except ClientError as error:
        details = error.response.get("Error", {})
        print(f"ops: {error.operation_name}: {details.get('Code')}: {details.get('Message')}", file=sys.stderr)
        return 1
    except BotoCoreError as error:
        print(f"ops: {error}", file=sys.stderr)
        return 1


def _dlq(top: argparse.ArgumentParser, env: Environment, arguments: argparse.Namespace) -> int:
    found = dlq.queues(env)
    if arguments.action == "list":
        print(f"{'queue':52} {'kind':13} {'visible':>8} {'in flight':>10} {'delayed':>8}")
        for queue in found:
            print(f"{queue.name:52} {queue.kind:13} {queue.visible:8} {queue.in_flight:10} {queue.delayed:8}")
        print(f"{len(found)} queues, {sum(q.visible + q.in_flight + q.delayed for q in found)} messages")
        return 0
    if arguments.queue is not None:
        chosen = [queue for queue in found if queue.name == arguments.queue]
        if not chosen:
            top.error(
                f"argument --queue: {arguments.queue!r} is not a queue of {env.prefix}; "
                f"its queues: {', '.join(q.name for q in found) or 'none'}"
            )
    else:
        chosen = [queue for queue in found if queue.visible]
    failed = 0
    for queue in chosen:
        result = dlq.redrive(env, queue, dry_run=arguments.dry_run)
        verb = "would deliver" if arguments.dry_run else "delivered"
        print(f"{queue.name}: {verb} {len(result.delivered)}, could not deliver {len(result.failed)}")
        for line in result.delivered:
            print(f"  ok    {line}")
        for line in result.failed:
            print(f"  kept  {line}")
        failed += len(result.failed)
    if not chosen:
        print("no queue holds a visible message")
    return 1 if failed else 0


def _replay(top: argparse.ArgumentParser, env: Environment, arguments: argparse.Namespace) -> int:
    if arguments.start >= arguments.end:
        top.error(f"argument --to: {arguments.end.isoformat()} is not after --from {arguments.start.isoformat()}")
    if arguments.wait < 0:
        top.error(f"argument --wait: {arguments.wait} must be 0 or more seconds")
    try:
        state = replay.start(env, arguments.start, arguments.end, arguments.rules, wait=arguments.wait)
    except LookupError as error:
        top.error(f"argument {error}")
    print(
        f"replay {state['ReplayName']}: {state['State']}"
        + (f" ({state['StateReason']})" if state.get("StateReason") else "")
        + f"; events of {arguments.start.isoformat()} to {arguments.end.isoformat()}"
        + (f" to rules {', '.join(arguments.rules)}" if arguments.rules else " to every rule")
    )
    return 1 if state["State"] == "FAILED" else 0


def _timeline(top: argparse.ArgumentParser, env: Environment, arguments: argparse.Namespace) -> int:
    until = arguments.until or datetime.now(UTC).date()
    since = arguments.since or until - timedelta(days=TIMELINE_DAYS)
    if since > until:
        top.error(f"argument --since: {since} is after --until {until}")
    entries, state = timeline.timeline(env, arguments.review_id, since, until)
    print(f"review {arguments.review_id} (audit of {since} to {until}):")
    for entry in entries:
        print(f"  {entry.at}  {entry.what:44} {entry.detail}")
    if not entries:
        print("  no audit record in that window (records reach S3 within the audit's buffer interval)")
    for line in state:
        print(f"  now: {line}")
    return 0 if entries or state else 1


if __name__ == "__main__":
    sys.exit(run())
