"""Fault run: N reviews through the offline system's HTTP API while Comprehend and SES throttle and rule targets
fail, then the system's own recovery (the scheduled redrive, modules/recovery.py), and what came out of it.

Faults, injected through the offline hooks (tests and benches only):
- Comprehend: the next ``--comprehend`` DetectSentiment/DetectDominantLanguage/TranslateText calls throttle
  (offline.comprehend.language), a burst while the reviews arrive;
- SES: the next ``--ses`` SendEmail calls answer TooManyRequestsException (offline.engine.faults);
- targets: ``--targets`` failed deliveries spread over the Step Functions targets of the bus's rules, in bursts of
  ten (one more than a rule's nine attempts), so each burst dead-letters an event (offline.events.delivery).

Then, as on AWS every five minutes: SQS's clock moves past every delay and visibility timeout and the recovery
schedule fires, until every review has its outcome or ``--rounds`` runs are done.

Prints accepted, outcomes (a thank-you email or a case: exactly one per review is the goal), duplicates,
dead-lettered and deferred, recovered, parked, left without an outcome, and the time to recover (in schedule
intervals, as AWS would take it, and the offline wall time). Exits 1 when a review is left without an outcome or
has more than one. The figures describe this branch's system: the analysis half of recovery (a ReviewAnalysisFailed
after Comprehend's retries) comes with the queue-based analysis of another branch.

    pipenv run python bench/fault_bench.py [--reviews 450] [--comprehend 400] [--ses 200] [--targets 40]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The recovery schedule's interval (modules/recovery.py's default) and a step past every delay and visibility
# timeout a redriven message can have (the thank-you's 300 s delay, the redrive's 600 s visibility timeout).
INTERVAL_SECONDS = 300
STEP_SECONDS = 601
BURST = 10


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/fault_bench.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=450)
    parser.add_argument("--comprehend", type=int, default=400, help="Comprehend/Translate calls that throttle")
    parser.add_argument("--ses", type=int, default=200, help="SES SendEmail calls that throttle")
    parser.add_argument("--targets", type=int, default=40, help="failed deliveries to rule targets")
    parser.add_argument("--rounds", type=int, default=12, help="recovery runs at most")
    parsed = parser.parse_args(argv)
    for name in ("reviews", "comprehend", "ses", "targets", "rounds"):
        if getattr(parsed, name) < 0 or (name in ("reviews", "rounds") and getattr(parsed, name) < 1):
            parser.error(f"argument --{name}: {getattr(parsed, name)} is out of range")
    return parsed


def outcomes(system: Any, keys: set[str]) -> Counter[str]:
    """Per review: its thank-you emails plus its opened cases."""
    found: Counter[str] = Counter()
    for email in system.cloud.emails():
        key = email.destinations["ToAddresses"][0].split("@")[0]
        if key in keys and email.template.endswith("thank-you"):
            found[key] += 1
    for event in system.cloud.eventbridge.events:
        if event["detail-type"] == "CaseOpened" and event["detail"]["data"]["reviewId"] in keys:
            found[event["detail"]["data"]["reviewId"]] += 1
    return found


def queued(system: Any, suffixes: tuple[str, ...]) -> int:
    sqs = system.cloud.client("sqs")
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    total = 0
    for queue in system.cloud.resources("aws_sqs_queue").values():
        if queue["name"].endswith(suffixes):
            attributes = sqs.get_queue_attributes(QueueUrl=queue["url"], AttributeNames=names)["Attributes"]
            total += sum(int(attributes[name]) for name in names)
    return total


def run(options: argparse.Namespace) -> dict[str, Any]:
    import main
    from offline.comprehend.language import LanguageServices
    from offline.engine.faults import Faults
    from tests.e2e import system_for
    from tests.test_e2e_load import reviews, submit_concurrently

    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    outdir = Path(tempfile.mkdtemp(prefix="fault-bench-"))
    main.build(outdir)
    language, faults = LanguageServices(throttle=options.comprehend), Faults()
    with system_for(
        outdir / "stacks" / "reviews-dev" / "cdk.tf.json", language=language, faults=faults, retry_waits=[]
    ) as system:
        cloud = system.cloud
        if options.ses:
            faults.inject(
                "sesv2", "SendEmail", times=options.ses, code="TooManyRequestsException", message="Rate exceeded"
            )
        targets = sorted(
            {
                target["arn"]
                for target in cloud.resources("aws_cloudwatch_event_target").values()
                if ":states:" in target["arn"]
            }
        )
        for index in range(options.targets // BURST):
            cloud.eventbridge.fail_target(targets[index % len(targets)], times=BURST)
        if options.targets % BURST:
            cloud.eventbridge.fail_target(targets[0], times=options.targets % BURST)

        kinds = reviews(options.reviews)
        started = time.time()
        statuses = submit_concurrently(system, kinds)
        cloud.drain(3600)
        settled = time.time() - started
        accepted = {key for key, status in zip(kinds, statuses, strict=True) if status == 202}
        before = outcomes(system, accepted)
        dead_lettered = sum(1 for d in cloud.eventbridge.deliveries if d.outcome == "dead-lettered")
        deferred = queued(system, ("-thankyou-retry",))

        rounds, recovery_started = 0, time.time()
        # Until nothing waits in a redriven queue: what is left then is parked or was never queued.
        while rounds < options.rounds and queued(system, ("-dlq", "-retry")):
            rounds += 1
            cloud.advance(STEP_SECONDS)
            cloud.fire_schedule("recovery")
            cloud.drain(3600)
        recovery_wall = time.time() - recovery_started
        after = outcomes(system, accepted)
        abandoned = [e for e in cloud.eventbridge.events if e["detail-type"] == "DeliveryAbandoned"]
        failed_analyses = {
            e["detail"]["data"]["reviewId"]
            for e in cloud.eventbridge.events
            if e["detail-type"] == "ReviewAnalysisFailed"
        }
        return {
            "options": options,
            "accepted": len(accepted),
            "statuses": Counter(statuses),
            "settled": settled,
            "injected": {
                "comprehend": sum(language.throttled.values()),
                "ses": faults.injected[("sesv2", "SendEmail")],
                "targets": options.targets,
            },
            "outcomes_before": sum(1 for key in accepted if before[key] == 1),
            "outcomes": sum(1 for key in accepted if after[key] == 1),
            "duplicates": sorted(key for key in accepted if after[key] > 1),
            "left": sorted(key for key in accepted if after[key] == 0),
            "analysis_failed": len(failed_analyses & accepted),
            "dead_lettered": dead_lettered,
            "deferred": deferred,
            "recovered": sum(1 for key in accepted if before[key] == 0 and after[key] == 1),
            "parked": queued(system, ("-recovery-parked",)),
            "abandoned": len(abandoned),
            "still_queued": queued(system, ("-dlq", "-retry")),
            "rounds": rounds,
            "recovery_wall": recovery_wall,
        }


def report(result: dict[str, Any]) -> bool:
    options = result["options"]
    print(
        f"\nFault run: {options.reviews} reviews; injected {result['injected']['comprehend']} Comprehend throttles "
        f"(of {options.comprehend}), {result['injected']['ses']} SES throttles (of {options.ses}), "
        f"{result['injected']['targets']} target faults"
    )
    print(f"  accepted                      {result['accepted']:6}   (statuses {dict(result['statuses'])})")
    print(f"  outcome before recovery       {result['outcomes_before']:6}   (settled in {result['settled']:.0f} s)")
    print(f"  dead-lettered by EventBridge  {result['dead_lettered']:6}")
    print(f"  thank-yous deferred (SES)     {result['deferred']:6}")
    print(f"  recovered by the redrive      {result['recovered']:6}")
    print(f"  exactly one outcome           {result['outcomes']:6}")
    print(f"  duplicates (> 1 outcome)      {len(result['duplicates']):6}")
    print(f"  left without an outcome       {len(result['left']):6}", end="")
    print(f"   (of which ReviewAnalysisFailed: {result['analysis_failed']})")
    print(f"  parked (DeliveryAbandoned)    {result['parked']:6}   ({result['abandoned']} events)")
    print(f"  still in redriven queues      {result['still_queued']:6}")
    print(
        f"  time to recover               {result['rounds']:6} runs of the schedule = "
        f"{result['rounds'] * INTERVAL_SECONDS / 60:.0f} min on AWS's clock; {result['recovery_wall']:.0f} s offline"
    )
    broken = []
    if result["left"]:
        broken.append(f"{len(result['left'])} accepted reviews have no outcome, e.g. {result['left'][:3]}")
    if result["duplicates"]:
        broken.append(
            f"{len(result['duplicates'])} reviews have more than one outcome, e.g. {result['duplicates'][:3]}"
        )
    print("\nGoals: every accepted review gets exactly one outcome; 0 left without one; 0 duplicates")
    for line in broken or ["all hold"]:
        print(f"  {'BROKEN  ' if broken else 'ok      '}{line}")
    return not broken


if __name__ == "__main__":
    sys.exit(0 if report(run(arguments())) else 1)
