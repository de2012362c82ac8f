"""A burst of reviews above Comprehend's quota, then an archive replay of it, on the offline dev stack.

1. Burst: N reviews (5,000 by default) POSTed through the HTTP API as fast as it admits them, from 32 client
   threads spread over 10 loopback addresses (the web ACL limits each client address to 1,000 requests in 5
   minutes, as WAF would), with the offline Comprehend at its default quotas (offline/comprehend/quotas.py:
   BatchDetectSentiment 10 calls per second). Printed: accepted, analysed (ReviewAnalysed per review), failed
   analyses (goal 0), dead-lettered (goal 0), the time from the first submission to the last ReviewAnalysed, and
   the drain rate against the quota the stack's rate limit allows (analysis_rate_limit x analysis_batch_size
   reviews per second; goal: within 10%). On AWS the API admits a burst far faster than that quota, so the
   analysis queue holds a backlog; offline the API admits some ten reviews a second (every request runs the
   accept-review workflow in moto), so, to give the queue the same backlog, the analysis pipe is stopped
   (StopPipe) while the burst is accepted and started again (StartPipe) once it is all in the queue. The drain
   rate is that backlog's: reviews analysed per second from StartPipe to the last ReviewAnalysed.
2. Replay: StartReplay of the archive window holding the burst, to every rule of the bus (EventBridge's own API,
   offline: offline/events/replay.py). Printed: reviews analysed again (goal: exactly once each), failed (goal 0),
   thank-you emails sent by the replay (goal 0: the thank-you stage is idempotent by review id).
3. The billable operations per review this run made, for the cost model (bench/offline_bench.py owns it).

Offline figures measure moto on this machine, not AWS: when the emulator cannot run the analysis as fast as the
quota allows, the drain rate falls short of it and says so. Failed messages return after the queue's visibility
timeout times ``--visibility-scale`` (1.0 is AWS's wait; the default 0.05 keeps a run short).

    pipenv run python bench/burst_bench.py [N] [--visibility-scale S] [--pollers P] [--rate-limit R]

``--rate-limit R`` synthesizes the dev stack with ``analysis_rate_limit`` R (BatchDetectSentiment calls per
second; the default is environments.json's) while the offline Comprehend stays at its default quotas: a limit below
what the emulator can drain shows whether the stack drains at its own bound.

Exits 1 when a goal is not met (the figures are still printed).
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLIENTS = 32
CLIENT_ADDRESSES = [f"127.0.0.{n}" for n in range(2, 12)]
DRAIN_TIMEOUT_SECONDS = 4 * 3600
DRAIN_GOAL = 0.10


def post(url: str, body: dict[str, Any], key: str, source: str) -> int:
    """POST /reviews below the stage's URL, from the loopback address ``source``."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(str(parts.hostname), parts.port, timeout=60, source_address=(source, 0))
    try:
        connection.request(
            "POST",
            f"{parts.path.rstrip('/')}/reviews",
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "Idempotency-Key": key, "User-Agent": "burst-bench/1.0"},
        )
        answer = connection.getresponse()
        # Read to the end, so that closing the connection does not reset it under the server.
        answer.read()
        return answer.status
    finally:
        connection.close()


class Clock:
    """When each ReviewAnalysed was put on the bus, by review id, and each thank-you email's count."""

    def __init__(self) -> None:
        self.analysed: list[tuple[float, str]] = []
        self.failed: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, envelope: dict[str, Any]) -> None:
        with self._lock:
            if envelope["detail-type"] == "ReviewAnalysed":
                self.analysed.append((time.monotonic(), envelope["detail"]["data"]["reviewId"]))
            elif envelope["detail-type"] == "ReviewAnalysisFailed":
                self.failed.append(envelope["detail"]["data"]["reviewId"])


def depth(cloud: Any, name: str) -> int:
    sqs = cloud.client("sqs")
    queue = cloud.resource("aws_sqs_queue", name)
    attributes = sqs.get_queue_attributes(QueueUrl=queue["url"], AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def settings_file(rate_limit: int | None, folder: Path) -> Path:
    """environments.json, or a copy of it with the dev environment's analysis_rate_limit set to ``rate_limit``."""
    if rate_limit is None:
        return ROOT / "environments.json"
    settings = json.loads((ROOT / "environments.json").read_text(encoding="utf-8"))
    settings["environments"]["dev"]["analysis_rate_limit"] = rate_limit
    path = folder / "environments.json"
    path.write_text(json.dumps(settings, indent=2), encoding="utf-8")
    return path


def run(count: int, visibility_scale: float, pollers: int, rate_limit: int | None) -> dict[str, Any]:
    import main
    from modules.config import load_environments
    from tests.e2e import review, system_for

    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    outdir = Path(tempfile.mkdtemp(prefix="burst-"))
    config = settings_file(rate_limit, outdir)
    main.synthesize(*main.load_settings(config), outdir / "out")
    outdir = outdir / "out"
    [dev] = [env for env in load_environments(config) if env.name == "dev"]
    quota_reviews_per_second = dev.analysis.analysis_rate_limit * dev.analysis.analysis_batch_size
    clock = Clock()
    with system_for(
        outdir / "stacks" / "reviews-dev" / "cdk.tf.json", visibility_scale=visibility_scale, pipe_pollers=pollers
    ) as system:
        cloud = system.cloud
        validate = cloud.eventbridge._on_event

        def observe(envelope: dict[str, Any]) -> None:
            clock(envelope)
            if validate is not None:
                validate(envelope)

        cloud.eventbridge._on_event = observe
        pipes = cloud.client("pipes")
        pipe = cloud.resource("aws_pipes_pipe")["id"]
        pipes.stop_pipe(Name=pipe)
        keys = [str(uuid.uuid4()) for _ in range(count)]
        window_start = datetime.now(UTC) - timedelta(seconds=1)
        started = time.monotonic()

        def submit(item: tuple[int, str]) -> int:
            index, key = item
            body = review("positive", email=f"{key}@example.com")
            return post(system.api_url, body, key, CLIENT_ADDRESSES[index % len(CLIENT_ADDRESSES)])

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            statuses = list(pool.map(submit, enumerate(keys)))
        submitted = time.monotonic()
        backlog = depth(cloud, "analysis/buffer/queue")
        print(f"submitted {count} in {submitted - started:.1f} s; {backlog} queued; draining", flush=True)
        pipes.start_pipe(Name=pipe)
        released = time.monotonic()
        cloud.drain(timeout=DRAIN_TIMEOUT_SECONDS)
        print(f"burst drained after {time.monotonic() - started:.1f} s; replaying", flush=True)
        window_end = datetime.now(UTC) + timedelta(seconds=1)
        burst_analysed = list(clock.analysed)
        burst_failed = list(clock.failed)
        burst_emails = len(cloud.emails())
        dead = depth(cloud, "analysis/buffer/dlq")
        batches = len(cloud.pipes.batches)
        retried = sum(len(batch.retried) for batch in cloud.pipes.batches)
        not_succeeded = Counter(batch.status for batch in cloud.pipes.batches if batch.status != "SUCCEEDED")
        machinery = list(cloud.pipes.errors) + list(cloud.eventbridge.errors)
        throttled = dict(cloud.language.throttled)
        calls = dict(cloud.language.calls)

        # The replay: every archived event of the burst's window, to every rule of the bus.
        replay_started = time.monotonic()
        archive = cloud.resource("aws_cloudwatch_event_archive")
        bus = cloud.resource("aws_cloudwatch_event_bus")
        events = cloud.client("events")
        events.start_replay(
            ReplayName=f"burst-{uuid.uuid4().hex[:8]}",
            EventSourceArn=archive["arn"],
            EventStartTime=window_start,
            EventEndTime=window_end,
            Destination={"Arn": bus["arn"]},
        )
        cloud.drain(timeout=DRAIN_TIMEOUT_SECONDS)
        replay_seconds = time.monotonic() - replay_started
        replay_analysed = clock.analysed[len(burst_analysed) :]
        replay_failed = clock.failed[len(burst_failed) :]
        replay_emails = len(cloud.emails()) - burst_emails
        dead_after_replay = depth(cloud, "analysis/buffer/dlq")
        batches_after_replay = len(cloud.pipes.batches)
        machinery_after_replay = list(cloud.pipes.errors) + list(cloud.eventbridge.errors)

    accepted = [key for key, status in zip(keys, statuses, strict=True) if status == 202]
    times = [at for at, _ in burst_analysed]
    drain_seconds = (max(times) - released) if times else 0.0
    return {
        "count": count,
        "accepted": len(accepted),
        "refused": dict(Counter(status for status in statuses if status != 202)),
        "submit_seconds": submitted - started,
        "backlog": backlog,
        "rate_limit": dev.analysis.analysis_rate_limit,
        "batch_size": dev.analysis.analysis_batch_size,
        "analysed": Counter(review_id for _, review_id in burst_analysed),
        "accepted_keys": accepted,
        "failed": len(burst_failed),
        "dead": dead,
        "last_analysed_seconds": (max(times) - started) if times else float("nan"),
        "drain_rate": len(times) / drain_seconds if drain_seconds else float("nan"),
        "quota": quota_reviews_per_second,
        "batches": batches,
        "throttled": throttled,
        "calls": calls,
        "replay_analysed": Counter(review_id for _, review_id in replay_analysed),
        "replay_failed": len(replay_failed),
        "replay_emails": replay_emails,
        "replay_seconds": replay_seconds,
        "dead_after_replay": dead_after_replay,
        "replay_batches": batches_after_replay - batches,
        "retried": retried,
        "not_succeeded": dict(not_succeeded),
        "machinery": machinery,
        "machinery_after_replay": machinery_after_replay[len(machinery) :],
    }


def report(result: dict[str, Any]) -> list[str]:
    """Prints the figures; returns the goals that were not met."""
    accepted = result["accepted_keys"]
    analysed = result["analysed"]
    once = sum(1 for key in accepted if analysed[key] == 1)
    replay = result["replay_analysed"]
    replay_once = sum(1 for key in accepted if replay[key] == 1)
    ratio = result["drain_rate"] / result["quota"]
    print(f"burst: {result['count']} reviews submitted in {result['submit_seconds']:.1f} s")
    print(f"  accepted                 {result['accepted']} (refused: {result['refused'] or 'none'})")
    print(f"  backlog in the queue     {result['backlog']} (the analysis pipe stopped while the burst was accepted)")
    print(f"  analysed once            {once} of {len(accepted)} accepted")
    times = Counter(analysed[key] for key in accepted)
    print(f"  ReviewAnalysed per review {dict(sorted(times.items()))} (times: reviews)")
    print(f"  batch items retried      {result['retried']}; batches not SUCCEEDED {result['not_succeeded'] or 'none'}")
    for fault in result["machinery"][:3]:
        print(f"  OFFLINE MACHINERY FAULT  {fault.strip().splitlines()[-1]}")
    print(f"  offline machinery faults {len(result['machinery'])}")
    print(f"  failed analyses          {result['failed']}")
    print(f"  dead-lettered            {result['dead']}")
    print(f"  last ReviewAnalysed at   {result['last_analysed_seconds']:.1f} s after the first submission")
    print(
        f"  drain rate               {result['drain_rate']:.1f} reviews/s from StartPipe to the last ReviewAnalysed, "
        f"against the rate limit's {result['quota']} reviews/s ({result['rate_limit']} calls/s x "
        f"{result['batch_size']}): {ratio:.0%}"
    )
    print(f"  pipe batches             {result['batches']} (mean {len(accepted) / max(result['batches'], 1):.1f})")
    print(f"  Comprehend calls         {result['calls']}")
    print(f"  Comprehend throttled     {result['throttled'] or 'none'}")
    print(f"replay of the burst's archive window, in {result['replay_seconds']:.1f} s")
    print(f"  analysed again once      {replay_once} of {len(accepted)}")
    replay_times = Counter(replay[key] for key in accepted)
    print(f"  ReviewAnalysed per review {dict(sorted(replay_times.items()))} (times: reviews)")
    print(f"  offline machinery faults {len(result['machinery_after_replay'])}")
    print(f"  failed analyses          {result['replay_failed']}")
    print(f"  thank-you emails sent    {result['replay_emails']} (the first run sent one per review)")
    print(f"  dead-lettered            {result['dead_after_replay']}")
    print(f"  pipe batches             {result['replay_batches']}")
    per_review = result["batches"] / max(len(accepted), 1)
    print("billable operations per review (burst):")
    print(f"  Express executions       {per_review:.3f} (one per batch)")
    print(f"  PutEvents (analysis)     {1 / 10:.3f} at 10 entries per call (one more per batch for a short chunk)")
    print("  SQS requests             EventBridge SendMessage 1, and per batch the pipe's ReceiveMessage and")
    print("                           DeleteMessageBatch calls (each up to 10 messages) plus its empty polls")
    print(
        f"  Pipes requests           1 per 64 KB chunk of each batch's payload (a batch of {result['batch_size']} "
        "reviews: 1, or 2-3 when every text is near 5,000 bytes)"
    )
    broken = []
    if result["failed"] or result["replay_failed"]:
        broken.append("failed analyses")
    if result["dead"] or result["dead_after_replay"]:
        broken.append("dead-lettered reviews")
    if once != len(accepted):
        broken.append("a review not analysed exactly once in the burst")
    if replay_once != len(accepted):
        broken.append("a review not analysed exactly once in the replay")
    if result["replay_emails"]:
        broken.append("the replay sent thank-you emails again")
    if not abs(ratio - 1) <= DRAIN_GOAL:
        broken.append(f"drain rate {ratio:.0%} of the quota, not within {DRAIN_GOAL:.0%}")
    for goal in broken:
        print(f"GOAL NOT MET: {goal}")
    return broken


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=5000)
    parser.add_argument("--visibility-scale", type=float, default=0.05)
    parser.add_argument("--pollers", type=int, default=4)
    parser.add_argument("--rate-limit", type=int, default=None, help="the dev stack's analysis_rate_limit")
    arguments = parser.parse_args()
    began = time.monotonic()
    broken = report(run(arguments.count, arguments.visibility_scale, arguments.pollers, arguments.rate_limit))
    print(f"bench wall time {time.monotonic() - began:.0f} s")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
