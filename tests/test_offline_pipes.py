"""offline/pipes/: an EventBridge pipe from an SQS queue (with a redrive policy) to a state machine, on small stacks
written here in Terraform JSON: batches by size and window, partial batch failures, redelivery, dead-lettering."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from offline.engine.cloud import OfflineCloud
from offline.pipes.delivery import OfflinePipes, _item_failures

REGION = "eu-west-1"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]})
# Fails every message whose body holds "fail"; succeeds the others. The batch is the execution's input.
PARTIAL = {
    "StartAt": "Mark",
    "States": {
        "Mark": {
            "Type": "Map",
            "ItemsPath": "$",
            "ItemSelector": {"id.$": "$$.Map.Item.Value.messageId", "body.$": "$$.Map.Item.Value.body"},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Fails",
                "States": {
                    "Fails": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$.body", "StringMatches": "*fail*", "Next": "Failed"}],
                        "Default": "Fine",
                    },
                    "Failed": {"Type": "Pass", "Parameters": {"failed.$": "States.Array($.id)"}, "End": True},
                    "Fine": {"Type": "Pass", "Parameters": {"failed": []}, "End": True},
                },
            },
            "Next": "Answer",
        },
        "Answer": {"Type": "Pass", "Parameters": {"ids.$": "$[*].failed[*]"}, "Next": "Failures"},
        "Failures": {
            "Type": "Map",
            "ItemsPath": "$.ids",
            "ItemSelector": {"itemIdentifier.$": "$$.Map.Item.Value"},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Id",
                "States": {"Id": {"Type": "Pass", "End": True}},
            },
            "ResultSelector": {"batchItemFailures.$": "$"},
            "End": True,
        },
    },
}
FAIL = {"StartAt": "Fail", "States": {"Fail": {"Type": "Fail", "Error": "Boom"}}}


def document(*, definition: dict[str, Any] = PARTIAL, batch_size: int = 10, window: int = 0, max_receive: int = 2,
             invocation: str = "REQUEST_RESPONSE") -> dict[str, Any]:  # fmt: skip
    return {
        "provider": {"aws": [{"region": REGION}]},
        "resource": {
            "aws_iam_role": {"role": {"name": "pipe-role", "assume_role_policy": TRUST}},
            "aws_sqs_queue": {
                "dlq": {"name": "test-dlq"},
                "queue": {
                    "name": "test-queue",
                    "visibility_timeout_seconds": 30,
                    "redrive_policy": json.dumps(
                        {"deadLetterTargetArn": "${aws_sqs_queue.dlq.arn}", "maxReceiveCount": max_receive}
                    ),
                },
            },
            "aws_sfn_state_machine": {
                "target": {
                    "name": "target",
                    "type": "EXPRESS",
                    "role_arn": "${aws_iam_role.role.arn}",
                    "definition": json.dumps(definition),
                }
            },
            "aws_pipes_pipe": {
                "pipe": {
                    "name": "test-pipe",
                    "role_arn": "${aws_iam_role.role.arn}",
                    "source": "${aws_sqs_queue.queue.arn}",
                    "target": "${aws_sfn_state_machine.target.arn}",
                    "source_parameters": {
                        "sqs_queue_parameters": {
                            "batch_size": batch_size,
                            "maximum_batching_window_in_seconds": window,
                        }
                    },
                    "target_parameters": {"step_function_state_machine_parameters": {"invocation_type": invocation}},
                }
            },
        },
    }


@contextmanager
def cloud(**options: Any) -> Iterator[OfflineCloud]:
    # A failed message is visible again after 30 s x 0.02: under a second.
    with OfflineCloud(document(**options), visibility_scale=0.02, pipe_pollers=1) as running:
        yield running


def send(running: OfflineCloud, *bodies: str) -> None:
    sqs = running.client("sqs")
    url = running.resource("aws_sqs_queue", "queue")["url"]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)


def queue_bodies(running: OfflineCloud, name: str) -> list[str]:
    sqs = running.client("sqs")
    url = running.resource("aws_sqs_queue", name)["url"]
    found: list[str] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        found += [message["Body"] for message in messages]
    return sorted(found)


def inputs(running: OfflineCloud) -> list[list[dict[str, Any]]]:
    sfn = running.client("stepfunctions")
    return [json.loads(sfn.describe_execution(executionArn=b.execution_arn)["input"]) for b in running.pipes.batches]


def test_the_pipe_is_created_in_moto_with_its_parameters():
    with cloud(batch_size=5) as running:
        pipe = running.client("pipes").describe_pipe(Name="test-pipe")
    assert pipe["SourceParameters"]["SqsQueueParameters"]["BatchSize"] == 5
    assert pipe["TargetParameters"]["StepFunctionStateMachineParameters"]["InvocationType"] == "REQUEST_RESPONSE"


def test_the_target_receives_the_messages_as_pipes_records():
    with cloud() as running:
        send(running, '{"n": 1}')
        running.drain(timeout=30)
        [[record]] = inputs(running)
    assert record["body"] == '{"n": 1}'
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":test-queue")
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert set(record) >= {"messageId", "receiptHandle", "md5OfBody", "messageAttributes", "awsRegion"}


def test_a_stopped_pipe_receives_nothing_until_it_is_started_again():
    with cloud() as running:
        pipes = running.client("pipes")
        assert pipes.stop_pipe(Name="test-pipe")["DesiredState"] == "STOPPED"
        send(running, '{"n": 1}', '{"n": 2}')
        time.sleep(1.5)  # many poll intervals: a running pipe would have taken them
        assert running.pipes.batches == []
        # Nothing will move them, so drain() does not wait for them: they wait in the queue.
        assert running.pipes.idle()
        url = running.resource("aws_sqs_queue", "queue")["url"]
        depth = running.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        assert depth["Attributes"]["ApproximateNumberOfMessages"] == "2"
        pipes.start_pipe(Name="test-pipe")
        running.drain(timeout=30)
        assert sorted(record["body"] for batch in inputs(running) for record in batch) == ['{"n": 1}', '{"n": 2}']


def test_messages_are_batched_up_to_the_batch_size_within_the_window():
    with cloud(batch_size=25, window=2) as running:
        send(running, *[f"ok-{i}" for i in range(30)])
        running.drain(timeout=60)
        sizes = [batch.size for batch in running.pipes.batches]
        assert queue_bodies(running, "queue") == []
    assert sum(sizes) == 30 and max(sizes) <= 25 and sizes[0] == 25


def test_a_succeeded_batch_is_deleted_but_its_named_failures_are_delivered_again_then_dead_lettered():
    # A window of 1 s: the three messages, sent one by one, make one batch however the polls fall.
    with cloud(max_receive=2, window=1) as running:
        send(running, "ok-1", "fail-1", "ok-2")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(running.pipes.batches) < 2:
            time.sleep(0.1)
        running.drain(timeout=30)
        batches = list(running.pipes.batches)
        dead = queue_bodies(running, "dlq")
        left = queue_bodies(running, "queue")
    assert [b.size for b in batches] == [3, 1]
    assert [b.deleted for b in batches] == [2, 0]
    # Received twice (maxReceiveCount 2), then SQS moves it to the dead-letter queue at the next receive.
    assert dead == ["fail-1"] and left == []


def test_a_failed_execution_leaves_the_whole_batch_in_the_queue():
    with cloud(definition=FAIL, max_receive=1) as running:
        send(running, "a", "b")
        running.drain(timeout=30)
        batches = list(running.pipes.batches)
        dead = queue_bodies(running, "dlq")
    assert batches[0].status == "FAILED" and batches[0].deleted == 0
    assert dead == ["a", "b"]


def test_fire_and_forget_deletes_the_batch_once_the_execution_has_started():
    with cloud(definition=FAIL, invocation="FIRE_AND_FORGET") as running:
        send(running, "a")
        running.drain(timeout=30)
        assert queue_bodies(running, "dlq") == [] and queue_bodies(running, "queue") == []
        assert running.pipes.batches[0].deleted == 1


def test_an_item_identifier_outside_the_batch_fails_the_whole_batch():
    every = {"m-1", "m-2"}
    assert _item_failures(json.dumps({"batchItemFailures": [{"itemIdentifier": "m-9"}]}), every) == every
    assert _item_failures(json.dumps({"batchItemFailures": [{"itemIdentifier": ""}]}), every) == every
    assert _item_failures(json.dumps({"batchItemFailures": [{"itemIdentifier": "m-2"}]}), every) == {"m-2"}
    assert _item_failures(json.dumps({"batchItemFailures": []}), every) == set()
    assert _item_failures(json.dumps({"other": 1}), every) == set()


@pytest.mark.parametrize("pollers, scale", [(0, 1.0), (1, 0.0), (1, 1.5)])
def test_the_offline_pipes_refuse_settings_they_cannot_honour(pollers, scale):
    with pytest.raises(ValueError):
        OfflinePipes(region=REGION, pollers=pollers, visibility_scale=scale)
