"""Offline throughput, latency and cost of the review pipeline, from one run of the synthesized dev stack.

Submits N reviews (a third positive, neutral, negative, each naming its language) concurrently through the HTTP
API of the offline system, waits until everything settled, then checks the promises of tests/test_e2e_load.py (every
review accepted, audited at each step, one email or one case each, nothing dead-lettered, no schema broken: the
races of a large load) and prints:

1. throughput (reviews per second through the whole pipeline) and p50/p99 latency from the API's 202 to the
   thank-you email, measured offline (moto on this machine: the figures say how the emulation performs, not AWS);
2. the billable operations per review counted in that run, and the cost per 1,000,000 reviews at the list
   prices of bench/prices.json, per service, beside the same for the talk's original design (its counts are
   modelled from its architecture, with the same event counts and the same duration model). Every AWS call the
   offline system receives is counted by service and operation (offline.engine.faults): a call with a per-request
   price (DynamoDB reads and writes, SQS requests, ...) is priced from that count, so a service another branch adds
   is billed without being listed; a call priced by volume instead (PutEvents entries, executions, Firehose GB,
   emails) is priced from its volume; any other call is printed as unpriced, never dropped silently;
3. the fixed monthly cost of an idle environment: what is billed per month whether reviews arrive or not (keys,
   alarms, the web ACL and its rules, secrets, the recovery schedule's idle runs), counted from the synthesized stack.

Exits 1 when a promise is broken (the figures are still printed). The test suite runs the same promises at 99
reviews; the default here is 1,000.

    pipenv run python bench/offline_bench.py [N]
"""

from __future__ import annotations

import json
import logging
import math
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PRICES = json.loads((ROOT / "bench" / "prices.json").read_text(encoding="utf-8"))
# Express duration model: AWS bills duration in 100 ms steps; moto's wall times on a busy 2-core machine say
# nothing about AWS's. Each executed Task is taken as one service round trip of this many milliseconds.
TASK_MS = 100
MONTH_SECONDS = 30 * 24 * 3600


def run(count: int) -> dict[str, Any]:
    import main
    from modules.audit import BUFFER_INTERVAL_SECONDS
    from tests.e2e import system_for
    from tests.test_e2e_load import PROMISES, LoadRun, reviews, submit_concurrently

    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    outdir = Path(tempfile.mkdtemp(prefix="bench-"))
    main.build(outdir)
    with system_for(outdir / "stacks" / "reviews-dev" / "cdk.tf.json") as system:
        cloud = system.cloud
        kinds = reviews(count)
        accepted: dict[str, float] = {}

        def answered(key: str) -> None:
            accepted[key] = time.time()

        calls_before = Counter(cloud.faults.calls)
        started = time.time()
        answers = submit_concurrently(system, kinds, on_answer=answered)
        cloud.drain(3600)
        elapsed = time.time() - started
        # The calls of the run itself: the checks below read tables and queues too.
        calls = Counter(cloud.faults.calls)
        calls.subtract(calls_before)
        load = LoadRun(system, kinds, answers)
        broken = {promise: found for promise, check in PROMISES.items() if (found := check(load))}

        latencies = []
        for email in cloud.emails():
            key = email.destinations["ToAddresses"][0].split("@")[0]
            if key in accepted and email.template.endswith("thank-you"):
                latencies.append(email.sent_at - accepted[key])

        usage = count_usage(system, count, BUFFER_INTERVAL_SECONDS, calls)
        return {
            "count": count,
            "statuses": Counter(answers),
            "elapsed": elapsed,
            "latencies": latencies,
            "usage": usage,
            "unpriced": unpriced(calls, count),
            "fixed": fixed_monthly(system.cloud.stack.document),
            "broken": broken,
        }


# Calls billed per request, by the price of prices.json that bills them (DynamoDB on demand: one request unit per
# item read or written, items here are under 1 KB; SQS: one request per call of up to 10 messages).
PER_REQUEST: dict[tuple[str, str], str] = {
    **{("dynamodb", op): "dynamodb_on_demand_per_million_writes" for op in ("PutItem", "UpdateItem", "DeleteItem")},
    **{("dynamodb", op): "dynamodb_on_demand_per_million_reads" for op in ("GetItem", "Query", "Scan")},
    **{
        ("sqs", op): "sqs_standard_per_million_requests"
        for op in (
            "SendMessage",
            "SendMessageBatch",
            "ReceiveMessage",
            "DeleteMessage",
            "DeleteMessageBatch",
            "ChangeMessageVisibility",
            "ChangeMessageVisibilityBatch",
        )
    },
}
# Calls priced by their volume elsewhere in the model (entries, executions, GB, emails, objects), or free.
BY_VOLUME_OR_FREE = {
    ("eventbridge", "PutEvents"),
    ("sfn", "StartExecution"),
    ("sfn", "StartSyncExecution"),
    ("sfn", "SendTaskSuccess"),
    ("sfn", "SendTaskFailure"),
    ("sfn", "DescribeExecution"),
    ("sfn", "GetExecutionHistory"),
    ("firehose", "PutRecord"),
    ("firehose", "PutRecordBatch"),
    ("sesv2", "SendEmail"),
    ("s3", "PutObject"),
    ("sts", "GetCallerIdentity"),
    ("cognito-identity-provider", "InitiateAuth"),
}


def count_usage(system: Any, count: int, buffer_interval: int, calls: Counter[tuple[str, str]]) -> dict[str, float]:
    """Billable quantities per review, counted from the run."""
    from offline.stepfunctions import executions

    cloud = system.cloud
    sfn = cloud.client("stepfunctions")
    express_requests = express_billed_ms = standard_transitions = 0
    machines = {m["arn"]: m["type"] for m in cloud.resources("aws_sfn_state_machine").values()}
    # Every execution of the run, whoever started it (a rule, the API, a workflow, a pipe).
    for arn in executions.every(cloud.account_id, cloud.region):
        execution = sfn.describe_execution(executionArn=arn)
        history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        entered = [e for e in history if e["type"].endswith("StateEntered")]
        tasks = [e for e in history if e["type"] == "TaskScheduled"]
        if machines.get(execution["stateMachineArn"]) == "EXPRESS":
            express_requests += 1
            express_billed_ms += max(1, math.ceil(len(tasks) * TASK_MS / 100)) * 100
        else:
            standard_transitions += len(entered)
    bucket = cloud.resource("aws_s3_bucket", "audit/bucket")["bucket"]
    records = [json.dumps(r).encode() for r in cloud.json_lines(bucket, "events/")]
    rounding = PRICES["firehose_record_rounding_kb"] * 1024
    sources = len({json.loads(r)["source"] for r in records})
    language = cloud.language.usage
    events = cloud.eventbridge.events
    per = 1 / count
    usage = {
        "api_requests": system.api.requests * per,
        "putevents_entries": len(events) * per,
        "archive_gb": sum(len(json.dumps(e).encode()) for e in events) / 2**30 * per,
        "express_requests": express_requests * per,
        "express_gb_seconds": express_billed_ms / 1000 * PRICES["step_functions_express_billed_memory_gb"] * per,
        "standard_transitions": standard_transitions * per,
        # Comprehend bills units of 100 characters per document, whether a call holds one document or a batch.
        "comprehend_units": sum(units for key, units in language.items() if key.startswith("comprehend:")) * per,
        "comprehend_calls": sum(v for k, v in cloud.language.calls.items() if k.startswith("comprehend")) * per,
        "translate_characters": language["translate:TranslateText"] * per,
        "ses_emails": len(cloud.emails()) * per,
        "firehose_records": len(records) * per,
        "firehose_billed_gb": sum(math.ceil(len(r) / rounding) * rounding for r in records) / 2**30 * per,
        "firehose_gb": sum(len(r) for r in records) / 2**30 * per,
        # Dynamic partitioning writes at most one object per partition (source, day) per buffer interval; spread
        # over a month, at 1M reviews that is every interval for every source.
        "s3_objects_per_month": sources * MONTH_SECONDS / buffer_interval,
    }
    for (service, operation), n in sorted(calls.items()):
        if (service, operation) in PER_REQUEST and n > 0:
            usage[f"{service}:{operation}"] = n * per
    return usage


def unpriced(calls: Counter[tuple[str, str]], count: int) -> dict[str, float]:
    """Calls of the run this model has no price for (printed, so that a new service's cost is never missed)."""
    return {
        f"{service}:{operation}": n / count
        for (service, operation), n in sorted(calls.items())
        if n > 0 and (service, operation) not in PER_REQUEST and (service, operation) not in BY_VOLUME_OR_FREE
    }


def original_usage(ours: dict[str, float]) -> dict[str, float]:
    """The talk's design per review: REST API -> synchronous Express (DynamoDB PutItem + PutEvents); Standard
    workflows for analysis (language detection on every review, sentiment, PutEvents) and notification (email or
    case, PutEvents); audit by an Express workflow per event writing to DynamoDB. Event counts are ours."""
    events = ours["putevents_entries"]
    express_ms = 2 * TASK_MS + events * 1 * TASK_MS  # the front workflow's 2 tasks, 1 task per audit execution
    return {
        "api_requests": ours["api_requests"],
        "putevents_entries": events,
        "archive_gb": 0,
        "express_requests": 1 + events,
        "express_gb_seconds": express_ms / 1000 * PRICES["step_functions_express_billed_memory_gb"],
        # analysis: choice + 3 tasks; notification: choice + 2 tasks
        "standard_transitions": 4 + 3,
        "comprehend_units": 3 + ours["comprehend_units"],
        "comprehend_calls": 2,
        "translate_characters": ours["translate_characters"],
        "ses_emails": ours["ses_emails"],
        "firehose_records": 0,
        "firehose_billed_gb": 0,
        "firehose_gb": 0,
        "s3_objects_per_month": 0,
        "dynamodb:PutItem": 1 + events,
    }


def cost_per_million(usage: dict[str, float], *, waf: bool) -> dict[str, float]:
    m, p = 1_000_000, PRICES
    requests: dict[str, float] = {}
    for (service, operation), price in PER_REQUEST.items():
        name = {"dynamodb": "DynamoDB", "sqs": "SQS"}[service]
        requests[name] = requests.get(name, 0.0) + usage.get(f"{service}:{operation}", 0.0) * m / 1e6 * p[price]
    jq_hours = usage["firehose_records"] * m * p["firehose_jq_seconds_per_record"] / 3600
    return {
        "API Gateway": usage["api_requests"] * m / 1e6 * p["api_gateway_rest_per_million_requests"],
        "WAF requests": usage["api_requests"] * m / 1e6 * p["waf_per_million_requests"] if waf else 0.0,
        "EventBridge": usage["putevents_entries"] * m / 1e6 * p["eventbridge_custom_events_per_million"]
        + usage["archive_gb"] * m * p["eventbridge_archive_per_gb"],
        "Step Functions Express": usage["express_requests"] * m / 1e6 * p["step_functions_express_per_million_requests"]
        + usage["express_gb_seconds"] * m * p["step_functions_express_per_gb_second"],
        "Step Functions Standard": usage["standard_transitions"]
        * m
        / 1000
        * p["step_functions_standard_per_1000_transitions"],
        **requests,
        "Firehose": (
            usage["firehose_billed_gb"] * m * p["firehose_direct_put_per_gb"]
            + usage["firehose_gb"] * m * p["firehose_dynamic_partitioning_per_gb"]
            + usage["s3_objects_per_month"] / 1000 * p["firehose_dynamic_partitioning_per_1000_objects"]
            # Billed per JQ processing hour used, not per wall-clock hour (prices.json: firehose_jq_billing).
            + jq_hours * p["firehose_jq_per_hour"]
        ),
        "S3": usage["s3_objects_per_month"] / 1000 * p["s3_put_per_1000_requests"],
        "Translate": usage["translate_characters"] * m / 1e6 * p["translate_per_million_characters"],
        "Comprehend": usage["comprehend_units"] * m * p["comprehend_per_unit"],
        "SES": usage["ses_emails"] * m / 1000 * p["ses_per_1000_emails"],
    }


def fixed_monthly(document: dict[str, Any]) -> dict[str, float]:
    """What an idle environment costs per month, from the synthesized stack (USD)."""
    p = PRICES
    resources = document.get("resource", {})
    acls = resources.get("aws_wafv2_web_acl", {}).values()
    rules = sum(len(acl.get("rule") or []) for acl in acls)
    fixed = {
        f"KMS keys ({len(resources.get('aws_kms_key', {}))})": len(resources.get("aws_kms_key", {}))
        * p["kms_key_per_month"],
        f"CloudWatch alarms ({len(resources.get('aws_cloudwatch_metric_alarm', {}))})": len(
            resources.get("aws_cloudwatch_metric_alarm", {})
        )
        * p["cloudwatch_alarm_per_month"],
        f"WAF web ACLs ({len(acls)}) and rules ({rules})": len(acls) * p["waf_web_acl_per_month"]
        + rules * p["waf_rule_per_month"],
        f"Secrets Manager secrets ({len(resources.get('aws_secretsmanager_secret', {}))})": len(
            resources.get("aws_secretsmanager_secret", {})
        )
        * p["secrets_manager_secret_per_month"],
    }
    for schedule in resources.get("aws_scheduler_schedule", {}).values():
        minutes = int(schedule["schedule_expression"].removeprefix("rate(").split()[0])
        runs = MONTH_SECONDS / 60 / minutes
        machine = next(iter(schedule["target"]["arn"].split(".")[1:2]), "")
        definition = json.loads(resources["aws_sfn_state_machine"][machine]["definition"])
        queues = len(definition["States"]["Queues"]["Result"]["queues"])
        # An idle run: one Express request of one Map with one ReceiveMessage per queue, each one Task.
        billed_ms = max(1, math.ceil(queues * TASK_MS / 100)) * 100
        fixed[f"schedule {schedule['name']}: {runs:.0f} idle runs"] = runs * (
            p["scheduler_per_million_invocations"] / 1e6
            + p["step_functions_express_per_million_requests"] / 1e6
            + billed_ms
            / 1000
            * p["step_functions_express_billed_memory_gb"]
            * p["step_functions_express_per_gb_second"]
            + queues * p["sqs_standard_per_million_requests"] / 1e6
        )
    return fixed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def report(result: dict[str, Any]) -> None:
    count, latencies = result["count"], result["latencies"]
    print(f"\n{count} reviews, statuses {dict(result['statuses'])}, settled in {result['elapsed']:.1f} s")
    print(f"throughput: {count / result['elapsed']:.1f} reviews/s through the whole offline pipeline")
    if latencies:
        print(
            f"API 202 -> thank-you email: p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms over {len(latencies)} emails"
        )
    ours = result["usage"]
    theirs = original_usage(ours)
    print(f"\nBillable operations per review ({PRICES['region']}, prices of {PRICES['as_of']}):")
    print(f"  {'':28}{'ours':>12}{'original':>12}")
    for name in ours:
        print(f"  {name:28}{ours[name]:12.4g}{theirs.get(name, 0):12.4g}")
    our_cost, their_cost = cost_per_million(ours, waf=True), cost_per_million(theirs, waf=False)
    print("\nCost per 1,000,000 reviews (USD, over one month):")
    print(f"  {'':26}{'ours':>10}{'original':>10}")
    for service in our_cost:
        print(f"  {service:26}{our_cost[service]:10.2f}{their_cost[service]:10.2f}")
    excluded = ("Comprehend", "SES")
    mine = sum(v for k, v in our_cost.items() if k not in excluded)
    other = sum(v for k, v in their_cost.items() if k not in excluded)
    print(f"  {'total':26}{sum(our_cost.values()):10.2f}{sum(their_cost.values()):10.2f}")
    print(f"  {'without Comprehend, SES':26}{mine:10.2f}{other:10.2f}   ratio {mine / other:.2f} (goal <= 0.35)")
    if result["unpriced"]:
        print(f"  calls per review with no price in this model: {result['unpriced']}")
    print("\nFixed monthly cost of an idle environment (USD):")
    for item, cost in result["fixed"].items():
        print(f"  {item:54}{cost:8.2f}")
    print(f"  {'total':54}{sum(result['fixed'].values()):8.2f}")
    print(
        f"Comprehend calls per review: {ours['comprehend_calls']:.2f} "
        "(at most 1; a batch of reviews shares its BatchDetectSentiment call)"
    )
    print_promises(result["broken"])


def print_promises(broken: dict[str, Any]) -> None:
    from tests.test_e2e_load import PROMISES

    print("\nPromises under load (tests/test_e2e_load.py):")
    for promise in PROMISES:
        found = broken.get(promise)
        if not found:
            print(f"  ok      {promise}")
            continue
        # A broken promise at 1,000 reviews can name hundreds of keys: a few say enough.
        sample = list(found.items())[:5] if isinstance(found, dict) else list(found)[:5]
        print(f"  BROKEN  {promise}: {len(found)} found, e.g. {sample}")


if __name__ == "__main__":
    result = run(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
    report(result)
    sys.exit(1 if result["broken"] else 0)
