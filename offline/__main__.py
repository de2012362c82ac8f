"""Run the synthesized review system offline.

python -m offline demo [--stack reviews-dev]    synthesize, bring the stack up on moto, submit sample reviews
                                                through the HTTP API, let an agent resolve the negative one,
                                                and print each review's timeline
python -m offline serve [--stack reviews-dev] [--port 8080]
                                                keep the API (and the web pages) up on localhost for people
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import textwrap
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTDIR = Path(os.environ.get("CDKTF_OUTDIR", ROOT / "cdktf.out"))
JSII_QUIET = {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
}

SAMPLE_REVIEWS = (
    {
        "label": "positive",
        "reviewerName": "Ada Lovelace",
        "reviewerEmail": "ada@example.com",
        "productId": "pizza-margherita",
        "text": "The crust was perfect and the delivery was quick. Best pizza in town!",
        "languageCode": "en",
    },
    {
        "label": "neutral",
        "reviewerName": "Charles Babbage",
        "reviewerEmail": "charles@example.com",
        "productId": "pizza-pepperoni",
        "text": "The pizza arrived at seven. It had eight slices and a box.",
        "languageCode": "en",
    },
    {
        "label": "negative",
        "reviewerName": "Grace Hopper",
        "reviewerEmail": "grace@example.com",
        "productId": "pizza-hawaii",
        "text": "Cold, soggy and an hour late. The worst pizza I have ever ordered.",
        "languageCode": "en",
    },
    {
        "label": "Dutch, a language Comprehend cannot score",
        "reviewerName": "Edsger Dijkstra",
        "reviewerEmail": "edsger@example.com",
        "productId": "pizza-funghi",
        "text": "De pizza was heerlijk en de bezorger was erg vriendelijk.",
    },
)


def synthesize(stack: str) -> Path:
    """Run ``main.py`` in a child process (the provider bindings it loads cost ~0.5 GB, which this process, serving
    for hours, need not keep) and return the stack's cdk.tf.json."""
    print(f"Synthesizing (cdktf, ~20 s) into {OUTDIR} ...", flush=True)
    # jsii prints a banner about the Node.js version on every start; it says nothing about this run.
    env = {**os.environ, **JSII_QUIET, "CDKTF_OUTDIR": str(OUTDIR)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        check=False,
    )
    if done.returncode != 0:
        # main.py's own exit code (2 for a settings error) is this command's too.
        print(f"synthesis failed:\n{done.stderr.strip() or done.stdout.strip()}", file=sys.stderr)
        raise SystemExit(done.returncode)
    # main.py prints one headline per stack, then its resource counts indented below it.
    for line in done.stdout.splitlines():
        if line and not line[0].isspace():
            print("  " + line)
    path = OUTDIR / "stacks" / stack / "cdk.tf.json"
    if not path.exists():
        raise SystemExit(
            f"no stack {stack!r} was synthesized; stacks: {sorted(p.name for p in (OUTDIR / 'stacks').iterdir())}"
        )
    return path


def quiet_moto() -> None:
    # moto logs a handled ASL path miss (a Choice on IsPresent false) as an ERROR; it is not one.
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)


def demo(stack: str) -> int:
    from offline.system import OfflineSystem

    path = synthesize(stack)
    quiet_moto()
    started = time.monotonic()
    with OfflineSystem(path) as system:
        cloud = system.cloud
        print(
            f"{stack} is up offline in {time.monotonic() - started:.1f} s: {len(cloud.attributes)} resources; "
            f"API at {system.api_url}\n"
        )
        keys: dict[str, dict[str, Any]] = {}
        for review in SAMPLE_REVIEWS:
            key = str(uuid.uuid4())
            body = {name: value for name, value in review.items() if name != "label"}
            answer = system.submit_review(body, idempotency_key=key)
            print(f"POST /reviews ({review['label']}) -> {answer.status} {answer.body}")
            keys[key] = dict(review)
        cloud.drain(120)

        agent, password = system.create_agent()
        token = system.sign_in(agent, password)
        cases = system.request("GET", "/cases", headers={"Authorization": token}).body["cases"]
        print(f"\nAgent {agent} signs in; GET /cases -> {len(cases)} open case(s)")
        for case in cases:
            answer = system.request(
                "POST",
                f"/cases/{case['caseId']}/resolution",
                {"note": "We are sorry: your order is refunded and a fresh pizza is on its way."},
                headers={"Authorization": token},
            )
            print(f"POST /cases/{case['caseId'][:8]}.../resolution -> {answer.status} {answer.body}")
        quiet = cloud.drain(120)
        print_timelines(system, keys)
        print_health(system, quiet)
    return 0


def print_timelines(system: Any, keys: dict[str, dict[str, Any]]) -> None:
    cloud = system.cloud
    audit_bucket = cloud.resource("aws_s3_bucket", "audit/bucket")["bucket"]
    audit = cloud.json_lines(audit_bucket, "events/")
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in audit:
        by_key[record["detail"]["metadata"].get("idempotency-key", "")].append(record)
    for key, review in keys.items():
        print(f"\n=== {review['label']} review {key[:8]}... by {review['reviewerName']}: {review['text']!r}")
        events = [e for e in cloud.eventbridge.events if e["detail"]["metadata"].get("idempotency-key") == key]
        print("  events:")
        for event in events:
            data = event["detail"]["data"]
            extra = ""
            if event["detail-type"] == "ReviewAnalysed":
                scores = ", ".join(f"{k} {v:.2f}" for k, v in data["sentimentScore"].items())
                extra = f" {data['sentiment']} ({scores}); language {data['languageCode']}" + (
                    ", translated" if data["translated"] else ""
                )
            if "callbackToken" in event["detail"]["metadata"]:
                extra += " (carries a callback token)"
            print(f"    {event['time']}  {event['source']:<24} {event['detail-type']}{extra}")
        emails = [
            m for m in cloud.emails() if key in str(m.template_data) or review["reviewerEmail"] in str(m.destinations)
        ]
        print("  emails:")
        for email in emails:
            print(f"    to {', '.join(email.destinations.get('ToAddresses', []))}: {email.subject!r}")
            print(textwrap.indent(textwrap.shorten(email.text, 160), "      "))
        item = (
            cloud.client("dynamodb")
            .get_item(TableName=cloud.resource("aws_dynamodb_table", "cases")["name"], Key={"caseId": {"S": key}})
            .get("Item")
        )
        if item:
            lifecycle = f"{item['status']['S']}; opened {item.get('openedAt', {}).get('S', '-')}"
            if "resolvedAt" in item:
                lifecycle += f"; resolved {item['resolvedAt']['S']} by {item['resolvedBy']['S']}"
            print(f"  case: {lifecycle}; token kept: {'callbackToken' in item}")
        records = by_key.get(key, [])
        print(
            f"  audit: {len(records)} records in s3://{audit_bucket}/events/: "
            + ", ".join(sorted(r["detail-type"] for r in records))
        )


def print_health(system: Any, quiet: Any) -> None:
    cloud = system.cloud
    sqs = cloud.client("sqs")
    depth = 0
    for queue in cloud.resources("aws_sqs_queue").values():
        attributes = sqs.get_queue_attributes(QueueUrl=queue["url"], AttributeNames=["ApproximateNumberOfMessages"])
        depth += int(attributes["Attributes"]["ApproximateNumberOfMessages"])
    print(
        f"\nEvents on the bus: {len(cloud.eventbridge.events)}; schema violations: {len(cloud.schema_violations)}; "
        f"messages in dead-letter queues: {depth}; executions still waiting for an agent: {len(quiet.waiting)}"
    )
    print(f"Comprehend/Translate usage: {dict(cloud.language.usage)}")
    print(
        "Offline limits: Translate returns the text unchanged (no translation model here), and sentiment comes from"
        " VADER's English lexicon."
    )


def serve(stack: str, port: int, aws_port: int) -> int:
    from offline.engine.endpoint import AwsEndpoint
    from offline.system import OfflineSystem
    from offline.web import WebRoutes

    path = synthesize(stack)
    quiet_moto()
    web = WebRoutes()
    with OfflineSystem(path, port=port, extra_routes=web) as system, AwsEndpoint(aws_port) as endpoint:
        web.bind(system)
        agent, password = system.create_agent()
        print(f"API:   {system.api_url}  (POST /reviews; GET /cases and POST /cases/{{id}}/resolution need a token)")
        if web.site is not None:
            print(f"Pages: {web.site_url}index.html (review form), {web.site_url}agent.html (agent console)")
        print(f"Agent: {agent} / {password}")
        print(
            f"AWS:   {endpoint.url}  (any AWS SDK or CLI; for python -m ops --prefix {stack}:\n"
            f"       export AWS_ENDPOINT_URL={endpoint.url} AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline "
            f"AWS_DEFAULT_REGION={system.cloud.region})"
        )
        schedules = _start_schedules(system.cloud)
        print(f"Schedules fire as EventBridge Scheduler would: {', '.join(schedules) or 'none'}")
        print("Ctrl-C stops.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopped")
    return 0


def _start_schedules(cloud: Any) -> list[str]:
    """Fire each ``rate(N minutes)`` schedule every N minutes while serving (moto never fires them)."""
    import re
    import threading

    started = []
    for schedule in cloud.resources("aws_scheduler_schedule").values():
        rate = re.fullmatch(r"rate\((\d+) minutes?\)", schedule["schedule_expression"])
        if rate is None:
            continue
        name, every = schedule["name"], int(rate.group(1)) * 60

        def fire(name: str = name, every: int = every) -> None:
            while True:
                time.sleep(every)
                try:
                    cloud.fire_schedule(name)
                except Exception as error:  # the serve loop must outlive one failed firing, as Scheduler does
                    print(f"schedule {name} failed to fire: {error}", file=sys.stderr, flush=True)

        threading.Thread(target=fire, name=f"schedule-{name}", daemon=True).start()
        started.append(f"{name} ({schedule['schedule_expression']})")
    return started


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m offline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=["demo", "serve"])
    parser.add_argument("--stack", default="reviews-dev")
    parser.add_argument("--port", type=int, default=8080, help="serve: the port on 127.0.0.1 (default 8080)")
    parser.add_argument(
        "--aws-port", type=int, default=4566, help="serve: the AWS endpoint's port on 127.0.0.1 (default 4566)"
    )
    arguments = parser.parse_args(argv)
    if arguments.mode == "demo":
        return demo(arguments.stack)
    return serve(arguments.stack, arguments.port, arguments.aws_port)


if __name__ == "__main__":
    sys.exit(run())
