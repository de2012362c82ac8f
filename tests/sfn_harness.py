"""Run one ASL file for real on moto's Step Functions interpreter, with the gaps of moto filled
(offline.stepfunctions.fixes, offline.ses.templates), an event bus whose every event is captured, and SES ready to send."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws

from modules.common import load_asl
from offline.dynamodb import fixes as dynamodb_fixes
from offline.ses import templates
from offline.ses.templates import RenderedEmail
from offline.stepfunctions import executions, fixes

REGION = "eu-west-1"
ACCOUNT = "123456789012"
BUS = "reviews-test-bus"
SENDER = "reviews@example.com"
CONFIGURATION_SET = "messages"
DONE = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


class Harness:
    def __init__(self) -> None:
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.events = boto3.client("events", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.ses = boto3.client("ses", region_name=REGION)
        self.events.create_event_bus(Name=BUS)
        queue_url = self.sqs.create_queue(QueueName="captured-events")["QueueUrl"]
        self._queue_url = queue_url
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.events.put_rule(Name="capture-all", EventBusName=BUS, EventPattern=json.dumps({"account": [ACCOUNT]}))
        self.events.put_targets(Rule="capture-all", EventBusName=BUS, Targets=[{"Id": "queue", "Arn": queue_arn}])
        self.ses.verify_email_identity(EmailAddress=SENDER)
        # SES refuses a send through a configuration set that does not exist; the workflows name this one.
        boto3.client("sesv2", region_name=REGION).create_configuration_set(ConfigurationSetName=CONFIGURATION_SET)
        self._captured: list[dict[str, Any]] = []

    def create_template(self, name: str, stem: str) -> None:
        from modules.email import email_templates

        template = email_templates()[stem]
        self.ses.create_template(
            Template={
                "TemplateName": name,
                "SubjectPart": template["subject"],
                "TextPart": template["text"],
                "HtmlPart": template["html"],
            }
        )

    def create_table(self, name: str, key: str) -> None:
        self.dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

    def state_machine(self, asl: str, substitutions: Mapping[str, Any], kind: str = "STANDARD") -> str:
        return self.sfn.create_state_machine(
            name=asl,
            definition=load_asl(asl, substitutions),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/{asl}",
            type=kind,
        )["stateMachineArn"]

    def start(self, machine_arn: str, payload: Mapping[str, Any] | Sequence[Any]) -> str:
        # Named like EventBridge names them: a fresh id per start. A list is a batch, as a pipe starts a workflow.
        return self.sfn.start_execution(stateMachineArn=machine_arn, name=str(uuid.uuid4()), input=json.dumps(payload))[
            "executionArn"
        ]

    def wait(self, execution_arn: str, until: set[str] | None = None, timeout: float = 30.0) -> dict[str, Any]:
        """Poll the execution until it reaches one of ``until`` (a finished status by default)."""
        until = until or DONE
        deadline = time.monotonic() + timeout
        while True:
            description = self.sfn.describe_execution(executionArn=execution_arn)
            if description["status"] in until:
                # moto marks an execution ended before it records its output or error: wait for all of it.
                if description["status"] in DONE and executions.wait(execution_arn, timeout=10):
                    description = self.sfn.describe_execution(executionArn=execution_arn)
                return description
            if time.monotonic() > deadline:
                raise AssertionError(f"execution still {description['status']} after {timeout} s")
            time.sleep(0.05)

    def run(self, machine_arn: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        return self.wait(self.start(machine_arn, payload))

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        return self.sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]

    def published(self, detail_type: str | None = None) -> list[dict[str, Any]]:
        """Events published on the bus so far, oldest first, optionally of one detail-type."""
        while True:
            batch = self.sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            for message in batch:
                self._captured.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        return [event for event in self._captured if detail_type in (None, event["detail-type"])]

    def emails(self) -> list[RenderedEmail]:
        return templates.sent_emails(ACCOUNT, REGION)

    def item(self, table: str, key: str, value: str) -> dict[str, Any] | None:
        return self.dynamodb.get_item(TableName=table, Key={key: {"S": value}}, ConsistentRead=True).get("Item")


@contextmanager
def aws(
    handlers: Mapping[tuple[str, str], fixes.Handler] | None = None, retry_waits: list[float] | None = None
) -> Iterator[Harness]:
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        fixes.installed(handlers, retry_waits=retry_waits),
        templates.installed(),
        dynamodb_fixes.atomic_writes(),
    ):
        yield Harness()


def scores(
    sentiment: str, positive: float = 0.0, negative: float = 0.0, neutral: float = 0.0, mixed: float = 0.0
) -> dict[str, Any]:
    """A Comprehend DetectSentiment response."""
    return {
        "Sentiment": sentiment,
        "SentimentScore": {"Positive": positive, "Negative": negative, "Neutral": neutral, "Mixed": mixed},
    }
