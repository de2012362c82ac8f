"""python -m ops against the offline system, through its AWS endpoint (offline/engine/endpoint.py): as an operator
runs it against AWS, with only an endpoint URL changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aws_behaviour import eventbridge_input
from modules.common import EVENT_SCHEMA_DIR, load_json
from offline.engine.endpoint import AwsEndpoint
from offline.events import delivery
from ops import dlq
from ops.__main__ import run
from tests.e2e import review, system_for
from tests.events import case_opened, review_submitted

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
PREFIX = "reviews-dev"


@pytest.fixture(scope="module")
def system(dev_stack_path):
    with system_for(dev_stack_path, retry_waits=[]) as running:
        yield running


@pytest.fixture(scope="module")
def endpoint(system):
    with AwsEndpoint() as serving:
        yield serving.url


def ops(endpoint: str, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``python -m ops`` in process against the endpoint; (exit code, stdout, stderr)."""
    try:
        code = run(["--prefix", PREFIX, "--region", "eu-west-1", "--endpoint-url", endpoint, *argv])
    except SystemExit as exit:
        code = int(exit.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def submitted(system, kind: str = "positive") -> tuple[str, str]:
    key, email = str(uuid.uuid4()), f"{uuid.uuid4().hex[:12]}@example.com"
    assert system.submit_review(review(kind, email=email), idempotency_key=key).status == 202
    system.cloud.drain(120)
    return key, email


def emails_to(system, email: str) -> list[Any]:
    return [m for m in system.cloud.emails() if m.destinations["ToAddresses"] == [email]]


def dead_letter_a_thank_you(system) -> tuple[str, str]:
    thank_you = system.cloud.resource("aws_sfn_state_machine", "thank-you")["arn"]
    system.cloud.eventbridge.fail_target(thank_you, times=9)
    return submitted(system)


def counts(out: str, queue: str) -> list[int]:
    [line] = [line for line in out.splitlines() if line.startswith(queue + " ")]
    return [int(field) for field in line.split()[-3:]]


def test_dlq_list_shows_every_dead_letter_retry_and_parked_queue_with_its_counts(system, endpoint, capsys):
    dead_letter_a_thank_you(system)
    code, out, _ = ops(endpoint, capsys, "dlq", "list")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()[1:-1]]
    assert f"{PREFIX}-thankyou-retry" in names and f"{PREFIX}-recovery-parked" in names
    assert f"{PREFIX}-audit-all-events-dlq" in names
    assert counts(out, f"{PREFIX}-thankyou-on-review-analysed-dlq")[0] >= 1
    assert f"{PREFIX}-email-failures" not in names


def test_dlq_redrive_dry_run_delivers_nothing_and_keeps_every_message(system, endpoint, capsys):
    _, email = dead_letter_a_thank_you(system)
    queue = f"{PREFIX}-thankyou-on-review-analysed-dlq"
    before = counts(ops(endpoint, capsys, "dlq", "list")[1], queue)
    code, out, _ = ops(endpoint, capsys, "dlq", "redrive", "--queue", queue, "--dry-run")
    assert code == 0 and "would deliver" in out
    system.cloud.drain(120)
    assert emails_to(system, email) == []
    assert counts(ops(endpoint, capsys, "dlq", "list")[1], queue) == before


def test_dlq_redrive_delivers_each_dead_letter_to_its_target_once_and_empties_the_queue(system, endpoint, capsys):
    key, email = dead_letter_a_thank_you(system)
    queue = f"{PREFIX}-thankyou-on-review-analysed-dlq"
    code, out, _ = ops(endpoint, capsys, "dlq", "redrive", "--queue", queue)
    assert code == 0, out
    system.cloud.drain(120)
    assert len(emails_to(system, email)) == 1
    sent = [e for e in system.cloud.eventbridge.events if e["detail-type"] == "ThankYouSent"]
    assert len([e for e in sent if e["detail"]["data"]["reviewId"] == key]) == 1
    assert counts(ops(endpoint, capsys, "dlq", "list")[1], queue) == [0, 0, 0]


def test_dlq_redrive_of_the_audit_applies_the_targets_input_transformer(system, endpoint, capsys):
    stream = system.cloud.resource("aws_kinesis_firehose_delivery_stream", "audit")["arn"]
    # Every audit delivery of one negative review's events fails: ReviewSubmitted, ReviewAnalysed, CaseOpened.
    system.cloud.eventbridge.fail_target(stream, times=3 * 9)
    key, _ = submitted(system, "negative")
    code, out, _ = ops(endpoint, capsys, "dlq", "redrive", "--queue", f"{PREFIX}-audit-all-events-dlq")
    assert code == 0, out
    system.cloud.drain(120)
    bucket = system.cloud.resource("aws_s3_bucket", "audit/bucket")["bucket"]
    records = [r for r in system.cloud.json_lines(bucket, "events/") if r["detail"]["data"].get("reviewId") == key]
    assert {r["detail-type"] for r in records} >= {"ReviewSubmitted", "ReviewAnalysed", "CaseOpened"}
    # The transformer keeps the idempotency key and drops the case's callback token.
    assert all(r["detail"]["metadata"] == {"idempotency-key": key} for r in records)


def test_dlq_redrive_of_an_unknown_queue_exits_2_naming_the_argument(endpoint, capsys):
    code, _, err = ops(endpoint, capsys, "dlq", "redrive", "--queue", "no-such-queue")
    assert code == 2
    assert "argument --queue: 'no-such-queue' is not a queue of reviews-dev" in err


def test_timeline_shows_a_reviews_events_in_order_and_its_case(system, endpoint, capsys):
    key, _ = submitted(system, "negative")
    code, out, _ = ops(endpoint, capsys, "timeline", key)
    assert code == 0, out
    kinds = [line.split()[2] for line in out.splitlines() if line.startswith("  20")]
    assert kinds[:3] == ["ReviewSubmitted", "ReviewAnalysed", "CaseOpened"]
    assert "now: case: OPEN" in out
    assert "callbackToken" not in out


def test_timeline_of_an_unknown_review_exits_1_saying_nothing_was_found(endpoint, capsys):
    code, out, _ = ops(endpoint, capsys, "timeline", "no-such-review")
    assert code == 1
    assert "no audit record in that window" in out


def test_timeline_with_since_after_until_exits_2_naming_the_argument(endpoint, capsys):
    code, _, err = ops(endpoint, capsys, "timeline", "x", "--since", "2026-12-02", "--until", "2026-12-01")
    assert code == 2 and "argument --since: 2026-12-02 is after --until 2026-12-01" in err


def test_an_aws_failure_exits_1_with_awss_error_and_no_traceback(endpoint, capsys):
    code, _, err = ops(endpoint, capsys, "--prefix", "reviews-nowhere", "timeline", "x")
    assert code == 1
    assert err.startswith("ops: ListObjectsV2: NoSuchBucket: ")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "yesterday", "--to", "2026-12-01T10:00:00Z"], "argument --from: 'yesterday' is not an ISO 8601"),
        (["--from", "2026-12-01T10:00:00", "--to", "2026-12-01T11:00:00Z"], "argument --from: '2026-12-01T10:00:00'"),
        (["--from", "2026-12-01T11:00:00Z", "--to", "2026-12-01T10:00:00Z"], "argument --to: 2026-12-01T10:00:00"),
        (["--from", "2026-12-01T10:00:00Z", "--to", "2026-12-01T11:00:00Z", "--rules", "a,,b"], "argument --rules"),
    ],
)
def test_replay_with_a_bad_argument_exits_2_naming_it(endpoint, capsys, argv, message):
    code, _, err = ops(endpoint, capsys, "replay", *argv)
    assert code == 2 and message in err


def test_replay_to_an_unknown_rule_exits_2_naming_the_rules_argument(endpoint, capsys):
    now = datetime.now(UTC)
    window = ["--from", (now - timedelta(hours=1)).isoformat(), "--to", now.isoformat()]
    code, _, err = ops(endpoint, capsys, "replay", *window, "--rules", "no-such-rule")
    assert code == 2 and "argument --rules: 'no-such-rule' names 0 rules of reviews-dev-events-bus" in err


def test_replay_of_a_window_completes_and_thanks_nobody_twice(system, endpoint, capsys):
    _, email = submitted(system)
    assert len(emails_to(system, email)) == 1
    now = datetime.now(UTC)
    window = ["--from", (now - timedelta(minutes=10)).isoformat(), "--to", (now + timedelta(seconds=1)).isoformat()]
    code, out, _ = ops(endpoint, capsys, "replay", *window, "--rules", "on-review-analysed", "--wait", "30")
    assert code == 0, out
    assert "COMPLETED" in out and "to rules on-review-analysed" in out
    system.cloud.drain(120)
    assert len(emails_to(system, email)) == 1


def test_replay_sends_only_the_window_to_only_the_rules_named(system, endpoint, capsys):
    submitted(system)
    analyses = len([e for e in system.cloud.eventbridge.deliveries if e.rule.endswith("on-review-submitted")])
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    window = ["--from", long_ago.isoformat(), "--to", (long_ago + timedelta(hours=1)).isoformat()]
    code, out, _ = ops(endpoint, capsys, "replay", *window, "--rules", "on-review-analysed", "--wait", "30")
    assert code == 0, out
    system.cloud.drain(120)
    # The offline StartReplay (offline/events/replay.py) honours the window and FilterArns, as AWS does.
    after = len([e for e in system.cloud.eventbridge.deliveries if e.rule.endswith("on-review-submitted")])
    assert after == analyses


def test_the_command_reads_aws_endpoint_url_like_any_aws_tool(endpoint):
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "offline",
        "AWS_SECRET_ACCESS_KEY": "offline",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "ops", "dlq", "list"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert f"{PREFIX}-recovery-parked" in done.stdout


def test_the_endpoint_refuses_an_unsigned_request(endpoint):
    request = urllib.request.Request(endpoint + "/", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["__type"] == "MissingAuthenticationTokenException"


@pytest.mark.parametrize("event", [case_opened(), review_submitted()], ids=["CaseOpened", "ReviewSubmitted"])
def test_redrive_shapes_an_audit_dead_letter_as_the_offline_eventbridge_does(event):
    # One model of EventBridge's InputTransformer serves both (ops has no dependency on offline/), applied here to the
    # audit target's, the one the system uses.
    assert dlq.target_input is delivery.target_input is eventbridge_input.target_input
    transformer = load_json(EVENT_SCHEMA_DIR / "audit-record.json")
    target = {
        "InputTransformer": {"InputPathsMap": transformer["inputPaths"], "InputTemplate": transformer["inputTemplate"]}
    }
    rule = "arn:aws:events:eu-west-1:123456789012:rule/reviews-dev-events-bus/reviews-dev-audit-all-events"
    ours = dlq.target_input(target, event, rule_arn=rule)
    assert json.loads(ours)["detail"] == {
        "metadata": {"idempotency-key": event["detail"]["metadata"]["idempotency-key"]},
        "data": event["detail"]["data"],
    }
    assert "callbackToken" not in ours
