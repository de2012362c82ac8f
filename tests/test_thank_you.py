"""Thank-you service: asl/send-thank-you.asl.json executed on moto, and its synthesized wiring."""

from __future__ import annotations

import json

import jsonschema

from modules.common import event_schema
from offline.engine.aws import aws_error
from tests.events import review, review_analysed
from tests.sfn_harness import BUS, CONFIGURATION_SET, SENDER, aws
from tests.tf import decoded, only

TABLE = "idempotency"
TEMPLATE = "thank-you-template"
RETRY_QUEUE = "thank-you-retry"


def setup(harness):
    harness.create_table(TABLE, "idempotencyKey")
    harness.create_template(TEMPLATE, "thank-you")
    retry_url = harness.sqs.create_queue(QueueName=RETRY_QUEUE)["QueueUrl"]
    return harness.state_machine(
        "send-thank-you",
        {
            "EventBusName": BUS,
            "IdempotencyTableName": TABLE,
            "IdempotencyTtlSeconds": "3600",
            "SenderEmail": SENDER,
            "ConfigurationSetName": CONFIGURATION_SET,
            "ThankYouTemplateName": TEMPLATE,
            "RetryQueueUrl": retry_url,
            "RetryDelaySeconds": 0,
        },
    )


def deferred(harness) -> list[dict]:
    url = harness.sqs.get_queue_url(QueueName=RETRY_QUEUE)["QueueUrl"]
    return harness.sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=0
    ).get("Messages", [])


def test_a_positive_review_gets_one_templated_thank_you_email():
    with aws() as harness:
        machine = setup(harness)
        assert harness.run(machine, review_analysed())["status"] == "SUCCEEDED"
        [email] = harness.emails()
    assert email.destinations == {"ToAddresses": ["ada@example.com"]}
    assert email.source == SENDER
    assert email.subject == "Thank you for your review of pizza-margherita"
    assert "Hello Ada Lovelace," in email.text


def test_the_thank_you_sent_event_names_the_email():
    with aws() as harness:
        machine = setup(harness)
        harness.run(machine, review_analysed())
        [sent] = harness.published("ThankYouSent")
        [email] = harness.emails()
    assert sent["detail"]["data"]["messageId"] == email.id
    assert sent["detail"]["metadata"] == {"idempotency-key": "review-1"}
    jsonschema.Draft4Validator(event_schema("thank-you-sent")).validate(sent)


def test_a_duplicate_delivery_sends_no_second_email():
    with aws() as harness:
        machine = setup(harness)
        first = harness.run(machine, review_analysed())
        second = harness.run(machine, review_analysed())
        assert (first["status"], second["status"]) == ("SUCCEEDED", "SUCCEEDED")
        assert len(harness.emails()) == 1
        assert len(harness.published("ThankYouSent")) == 1


def test_the_idempotency_record_expires_after_the_ttl():
    with aws() as harness:
        machine = setup(harness)
        harness.run(machine, review_analysed())
        item = harness.item(TABLE, "idempotencyKey", "review-1")
    assert item["expiresAt"] == {"N": str(review()["submittedAt"] + 3600)}


def test_html_in_a_review_is_escaped_in_the_email():
    with aws() as harness:
        machine = setup(harness)
        harness.run(machine, review_analysed(text="<script>alert('x')</script> & more"))
        [email] = harness.emails()
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert "<script>alert('x')</script> & more" in email.text


def test_a_refused_email_releases_the_key_so_a_replay_can_send_it():
    def refuse(params):
        raise aws_error("sesv2", "SendEmail", "MessageRejected", "Email address is not verified.")

    waits: list[float] = []
    with aws({("sesv2", "sendEmail"): refuse}, retry_waits=waits) as harness:
        machine = setup(harness)
        execution = harness.run(machine, review_analysed())
        assert execution["status"] == "FAILED"
        assert harness.item(TABLE, "idempotencyKey", "review-1") is None
        assert harness.published("ThankYouSent") == []


def throttled(params):
    raise aws_error("sesv2", "SendEmail", "TooManyRequestsException", "Maximum sending rate exceeded.")


def test_an_email_throttled_past_the_retries_is_deferred_with_its_event_and_the_key_released():
    waits: list[float] = []
    with aws({("sesv2", "sendEmail"): throttled}, retry_waits=waits) as harness:
        machine = setup(harness)
        execution = harness.run(machine, review_analysed())
        assert execution["status"] == "SUCCEEDED"
        assert len(waits) == 5
        assert harness.item(TABLE, "idempotencyKey", "review-1") is None
        [message] = deferred(harness)
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes["TARGET_ARN"] == machine
    assert attributes["ERROR_CODE"] == "SesV2.TooManyRequestsException"
    assert attributes["REDRIVE_ATTEMPTS"] == "0"
    assert json.loads(message["Body"])["detail"] == review_analysed()["detail"]


def test_a_redriven_event_is_deferred_with_the_attempts_it_carries():
    with aws({("sesv2", "sendEmail"): throttled}, retry_waits=[]) as harness:
        machine = setup(harness)
        harness.run(machine, {**review_analysed(), "redrive": {"attempts": 2}})
        [message] = deferred(harness)
    assert message["MessageAttributes"]["REDRIVE_ATTEMPTS"]["StringValue"] == "2"


def test_a_rejected_email_is_not_deferred():
    def refuse(params):
        raise aws_error("sesv2", "SendEmail", "MessageRejected", "Email address is not verified.")

    with aws({("sesv2", "sendEmail"): refuse}, retry_waits=[]) as harness:
        machine = setup(harness)
        assert harness.run(machine, review_analysed())["status"] == "FAILED"
        assert deferred(harness) == []


def test_the_thank_you_workflow_is_express_and_traced(dev):
    _, machine = only(dev, "aws_sfn_state_machine", "thank-you")
    assert machine["type"] == "EXPRESS"
    assert machine["tracing_configuration"]["enabled"] is True


def test_the_idempotency_table_expires_records_and_uses_the_customer_key(dev):
    _, table = only(dev, "aws_dynamodb_table", "idempotency")
    assert table["ttl"] == {"attribute_name": "expiresAt", "enabled": True}
    assert table["server_side_encryption"]["enabled"] is True
    assert "aws_kms_key" in table["server_side_encryption"]["kms_key_arn"]


def test_the_thank_you_rule_listens_to_analysed_reviews(dev):
    _, rule = only(dev, "aws_cloudwatch_event_rule", "thank-you")
    pattern = decoded(rule, "event_pattern")
    assert (pattern["source"], pattern["detail-type"]) == (["reviews.analysis"], ["ReviewAnalysed"])
