"""Dead-letter, retry and parked queues: list them with their counts, and deliver their messages to their targets.

A message names its target in the ``TARGET_ARN`` attribute (EventBridge writes it, with ``RULE_ARN``; the
thank-you's retry queue and the recovery's parked queue write it too). ``redrive`` delivers each message once,
through the API the target's kind takes (Step Functions StartExecution, named by the message id so a Standard target
starts once; Firehose PutRecord; SQS SendMessage), with the rule target's Input/InputPath/InputTransformer applied
to a dead-lettered event by :mod:`aws_behaviour.eventbridge_input` (the emulator's model of EventBridge too), and
deletes it only once delivered. A message it cannot deliver, or whose input EventBridge could not make, stays in its
queue.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from aws_behaviour.eventbridge_input import target_input
from ops.aws import Environment

# What each queue of an environment is, by the end of its name (modules/rule.py, thank_you.py, recovery.py).
KINDS = {"-dlq": "dead letters", "-retry": "deferred", "-parked": "parked"}
RECEIVE_VISIBILITY_SECONDS = 300


@dataclass
class QueueCounts:
    name: str
    url: str
    kind: str
    visible: int
    in_flight: int
    delayed: int


@dataclass
class RedriveResult:
    queue: str
    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def queues(env: Environment) -> list[QueueCounts]:
    sqs = env.client("sqs")
    found = []
    for page in sqs.get_paginator("list_queues").paginate(QueueNamePrefix=f"{env.prefix}-"):
        for url in page.get("QueueUrls", []):
            name = url.rsplit("/", 1)[-1]
            kind = next((kind for suffix, kind in KINDS.items() if name.endswith(suffix)), None)
            if kind is None:
                continue
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                ],
            )["Attributes"]
            found.append(
                QueueCounts(
                    name,
                    url,
                    kind,
                    int(attributes["ApproximateNumberOfMessages"]),
                    int(attributes["ApproximateNumberOfMessagesNotVisible"]),
                    int(attributes["ApproximateNumberOfMessagesDelayed"]),
                )
            )
    return sorted(found, key=lambda q: q.name)


def _messages(env: Environment, url: str) -> Iterator[dict[str, Any]]:
    sqs = env.client("sqs")
    while True:
        received = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            VisibilityTimeout=RECEIVE_VISIBILITY_SECONDS,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not received:
            return
        yield from received


def _attribute(message: dict[str, Any], name: str) -> str | None:
    value = message.get("MessageAttributes", {}).get(name, {}).get("StringValue")
    return str(value) if value is not None else None


def _payload(env: Environment, message: dict[str, Any], target_arn: str) -> str:
    rule_arn = _attribute(message, "RULE_ARN")
    if rule_arn is None:
        return str(message["Body"])
    # arn:aws:events:<region>:<account>:rule/<bus>/<name>, or rule/<name> on the default bus
    path = rule_arn.split(":rule/", 1)[1].split("/")
    bus, rule = (path[0], path[1]) if len(path) == 2 else ("default", path[0])
    pages = env.client("events").get_paginator("list_targets_by_rule").paginate(Rule=rule, EventBusName=bus)
    target = next((t for page in pages for t in page["Targets"] if t["Arn"] == target_arn), None)
    if target is None:
        raise LookupError(f"rule {rule} on bus {bus} no longer has the target {target_arn}")
    return target_input(target, json.loads(message["Body"]), rule_arn=rule_arn)


def deliver(env: Environment, target_arn: str, payload: str, message_id: str) -> str:
    """Deliver ``payload`` to the target; returns what was made (an execution ARN, a record id, a message id)."""
    service = target_arn.split(":")[2] if target_arn.count(":") >= 5 else ""
    if service == "states":
        return str(
            env.client("stepfunctions").start_execution(stateMachineArn=target_arn, name=message_id, input=payload)[
                "executionArn"
            ]
        )
    if service == "firehose":
        stream = target_arn.split(":deliverystream/", 1)[1]
        return str(
            env.client("firehose").put_record(DeliveryStreamName=stream, Record={"Data": payload.encode()})["RecordId"]
        )
    if service == "sqs":
        account, name = target_arn.split(":")[4:6]
        sqs = env.client("sqs")
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        return str(sqs.send_message(QueueUrl=url, MessageBody=payload)["MessageId"])
    raise LookupError(f"no way to deliver to {target_arn!r}")


def redrive(env: Environment, queue: QueueCounts, *, dry_run: bool) -> RedriveResult:
    sqs = env.client("sqs")
    result = RedriveResult(queue.name)
    held: list[str] = []
    for message in _messages(env, queue.url):
        target_arn = _attribute(message, "TARGET_ARN") or "none"
        label = f"{message['MessageId']} -> {target_arn}"
        try:
            payload = _payload(env, message, target_arn)
            if dry_run:
                held.append(message["ReceiptHandle"])
                result.delivered.append(f"{label} (dry run: {len(payload)} bytes)")
                continue
            made = deliver(env, target_arn, payload, message["MessageId"])
        except (ClientError, LookupError, ValueError) as error:
            held.append(message["ReceiptHandle"])
            result.failed.append(f"{label}: {_reason(error)}")
            continue
        sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
        result.delivered.append(f"{label}: {made}")
    # What was not delivered is visible again at once, for the next run (and for the recovery workflow).
    for handle in held:
        sqs.change_message_visibility(QueueUrl=queue.url, ReceiptHandle=handle, VisibilityTimeout=0)
    return result


def _reason(error: Exception) -> str:
    if isinstance(error, ClientError):
        return f"{error.response['Error'].get('Code')}: {error.response['Error'].get('Message')}"
    return str(error)
