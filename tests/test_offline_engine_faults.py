"""offline/engine/faults.py: every boto3 call counted, and AWS errors injected into the next calls of one operation
(tests and benches only)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from offline.engine.faults import Faults

REGION = "eu-west-1"


@pytest.fixture
def sqs():
    faults = Faults()
    with mock_aws(), faults.installed():
        client = boto3.client("sqs", region_name=REGION)
        yield faults, client, client.create_queue(QueueName="q")["QueueUrl"]


def test_every_call_is_counted_by_service_and_operation(sqs):
    faults, client, url = sqs
    client.send_message(QueueUrl=url, MessageBody="a")
    client.send_message(QueueUrl=url, MessageBody="b")
    assert faults.calls[("sqs", "SendMessage")] == 2
    assert faults.calls[("sqs", "CreateQueue")] == 1


def test_an_injected_fault_fails_the_next_calls_with_the_aws_error_then_calls_pass(sqs):
    faults, client, url = sqs
    faults.inject("sqs", "SendMessage", times=2, code="RequestThrottled", message="slow down")
    for _ in range(2):
        with pytest.raises(ClientError) as refused:
            client.send_message(QueueUrl=url, MessageBody="a")
        assert refused.value.response["Error"] == {"Code": "RequestThrottled", "Message": "slow down"}
        assert refused.value.operation_name == "SendMessage"
    client.send_message(QueueUrl=url, MessageBody="a")
    assert faults.injected[("sqs", "SendMessage")] == 2
    assert faults.pending("sqs", "SendMessage") == 0


def test_a_fault_matching_a_text_fails_only_calls_whose_request_holds_it(sqs):
    faults, client, url = sqs
    other = client.create_queue(QueueName="other")["QueueUrl"]
    faults.inject("sqs", "SendMessage", code="RequestThrottled", matching="/other")
    client.send_message(QueueUrl=url, MessageBody="a")
    with pytest.raises(ClientError):
        client.send_message(QueueUrl=other, MessageBody="a")
    assert faults.pending("sqs", "SendMessage") == 0


@pytest.mark.parametrize(
    ("service", "operation", "times"), [("SQS", "SendMessage", 1), ("sqs", "sendMessage", 1), ("sqs", "SendMessage", 0)]
)
def test_a_fault_named_unlike_botocore_or_never_firing_is_refused(service, operation, times):
    with pytest.raises(ValueError, match=r"Faults\.inject"):
        Faults().inject(service, operation, times=times)
