"""offline/ses/: SESv2 templated email rendered as SES renders it; an email that cannot render accepted, then
published as a Rendering Failure event to the configuration set's EventBridge destination."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from offline.engine.cloud import OfflineCloud
from offline.ses import publishing
from offline.ses.templates import RenderingFailure, render_template
from tests.offline_stacks import REGION, small_stack

SENDER = "reviews@example.com"
CONFIGURATION_SET = "test-set"
DETAIL_TYPES = ["Email Rendering Failed", "Email Bounced", "Email Complaint Received", "Email Rejected"]


def test_the_html_part_escapes_values_and_the_text_part_keeps_them():
    data = {"name": "<b>O'Brien & co</b>", "score": {"negative": 0.9}}
    assert render_template("<p>{{name}} {{score.negative}}</p>", data, escape_html=True) == (
        "<p>&lt;b&gt;O&#x27;Brien &amp; co&lt;/b&gt; 0.9</p>"
    )
    assert render_template("{{name}}", data, escape_html=False) == "<b>O'Brien & co</b>"


def test_a_template_variable_without_data_is_a_rendering_failure_in_ses_words():
    for source in ("Hello {{name}}", "<p>{{{name}}}</p>"):
        with pytest.raises(RenderingFailure, match=r"^Attribute 'name' is not present in the rendering data\.$"):
            render_template(source, {"other": 1}, escape_html=source.startswith("<"))
    with pytest.raises(RenderingFailure, match=r"'score\.negative'"):
        render_template("{{score.negative}}", {"score": {}}, escape_html=False)


def test_templates_render_correctly_from_many_threads_at_once():
    results, errors = [], []

    def render(i: int) -> None:
        try:
            results.append(render_template(f"<i>{{{{n}}}}</i> {i}", {"n": i}, escape_html=True))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=render, args=(i,)) for i in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(results) == 64


def test_an_identity_is_verified_at_once_and_a_template_is_sent_rendered():
    document = small_stack(
        {
            "aws_ses_template": {
                "t": {"name": "thanks", "subject": "Thanks {{name}}", "text": "Hi {{name}}", "html": "<p>{{name}}</p>"}
            },
            "aws_sesv2_configuration_set": {"c": {"configuration_set_name": "test-set"}},
            "aws_sesv2_email_identity": {
                "i": {
                    "email_identity": "reviews@example.com",
                    "configuration_set_name": "${aws_sesv2_configuration_set.c.configuration_set_name}",
                }
            },
        }
    )
    with OfflineCloud(document) as running:
        identity = running.resource("aws_sesv2_email_identity", "i")
        running.client("sesv2").send_email(
            FromEmailAddress="reviews@example.com",
            Destination={"ToAddresses": ["ada@example.com"]},
            Content={"Template": {"TemplateName": "thanks", "TemplateData": json.dumps({"name": "<Ada>"})}},
        )
        [email] = running.emails()
    assert identity["verified_for_sending_status"] is True and identity["identity_type"] == "EMAIL_ADDRESS"
    assert (email.subject, email.text, email.html) == ("Thanks <Ada>", "Hi <Ada>", "<p>&lt;Ada&gt;</p>")


def _stack(*, destination: bool = True, **destination_overrides: Any) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "aws_ses_template": {
            "t": {"name": "thanks", "subject": "Thanks {{name}}", "text": "Hi {{name}}", "html": "<p>{{name}}</p>"}
        },
        "aws_sesv2_configuration_set": {"c": {"configuration_set_name": CONFIGURATION_SET}},
        "aws_sesv2_email_identity": {
            "i": {
                "email_identity": SENDER,
                "configuration_set_name": "${aws_sesv2_configuration_set.c.configuration_set_name}",
            }
        },
        # The stack's alarm path: a rule on the default bus keeping the configuration set's failures in a queue.
        "aws_sqs_queue": {"failures": {"name": "test-email-failures"}},
        "aws_cloudwatch_event_rule": {
            "r": {
                "name": "test-email-on-failure",
                "event_bus_name": "default",
                "event_pattern": json.dumps(
                    {
                        "source": ["aws.ses"],
                        "detail-type": DETAIL_TYPES,
                        "detail": {"mail": {"tags": {"ses:configuration-set": [CONFIGURATION_SET]}}},
                    }
                ),
            }
        },
        "aws_cloudwatch_event_target": {
            "q": {
                "rule": "${aws_cloudwatch_event_rule.r.name}",
                "event_bus_name": "default",
                "target_id": "on-failure",
                "arn": "${aws_sqs_queue.failures.arn}",
            }
        },
    }
    if destination:
        resources["aws_sesv2_configuration_set_event_destination"] = {
            "d": {
                "configuration_set_name": "${aws_sesv2_configuration_set.c.configuration_set_name}",
                "event_destination_name": "undelivered-to-eventbridge",
                "event_destination": {
                    "enabled": True,
                    "matching_event_types": ["RENDERING_FAILURE", "BOUNCE", "COMPLAINT", "REJECT"],
                    "event_bridge_destination": {
                        "event_bus_arn": f"arn:aws:events:{REGION}:123456789012:event-bus/default"
                    },
                    **destination_overrides,
                },
            }
        }
    return small_stack(resources)


def _send(running: OfflineCloud, data: dict[str, Any], **extra: Any) -> str:
    response = running.client("sesv2").send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": ["ada@example.com"]},
        Content={"Template": {"TemplateName": "thanks", "TemplateData": json.dumps(data)}},
        **{"ConfigurationSetName": CONFIGURATION_SET, **extra},
    )
    return str(response["MessageId"])


def _queued(running: OfflineCloud) -> list[dict[str, Any]]:
    url = running.resource("aws_sqs_queue", "failures")["url"]
    messages = running.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def test_an_email_that_cannot_render_is_accepted_not_sent_and_published_as_a_rendering_failure() -> None:
    with OfflineCloud(_stack()) as running:
        message_id = _send(running, {"nom": "Ada"}, EmailTags=[{"Name": "workflow", "Value": "thank-you"}])
        emails = running.emails()
        [event] = publishing.published(running.account_id, running.region)
        [queued] = _queued(running)
    assert message_id and emails == []
    assert (event["source"], event["detail-type"], event["account"], event["region"]) == (
        "aws.ses",
        "Email Rendering Failed",
        running.account_id,
        REGION,
    )
    detail = event["detail"]
    assert detail["eventType"] == "Rendering Failure"
    assert detail["failure"] == {
        "errorMessage": "Attribute 'name' is not present in the rendering data.",
        "templateName": "thanks",
    }
    assert detail["mail"]["messageId"] == message_id
    assert detail["mail"]["source"] == SENDER and detail["mail"]["destination"] == ["ada@example.com"]
    assert detail["mail"]["sourceArn"] == f"arn:aws:ses:{REGION}:{running.account_id}:identity/{SENDER}"
    assert detail["mail"]["tags"] == {
        "workflow": ["thank-you"],
        "ses:from-domain": ["example.com"],
        "ses:configuration-set": [CONFIGURATION_SET],
    }
    # The default bus's rule delivered it to its queue, as the stack's alarm path needs.
    assert (queued["id"], queued["detail-type"], queued["detail"]) == (event["id"], event["detail-type"], detail)


def test_without_an_event_destination_an_email_that_cannot_render_is_accepted_and_nothing_is_published() -> None:
    with OfflineCloud(_stack(destination=False)) as running:
        message_id = _send(running, {})
        assert message_id and running.emails() == []
        assert publishing.published(running.account_id, running.region) == []
        assert _queued(running) == []


def test_a_destination_that_does_not_match_rendering_failures_publishes_nothing() -> None:
    with OfflineCloud(_stack(matching_event_types=["BOUNCE"])) as running:
        _send(running, {})
        assert publishing.published(running.account_id, running.region) == []


def test_a_disabled_destination_publishes_nothing() -> None:
    with OfflineCloud(_stack(enabled=False)) as running:
        _send(running, {})
        assert publishing.published(running.account_id, running.region) == []


def test_a_renderable_template_is_delivered_and_publishes_nothing() -> None:
    with OfflineCloud(_stack()) as running:
        message_id = _send(running, {"name": "Ada"})
        [email] = running.emails()
        assert publishing.published(running.account_id, running.region) == []
        assert _queued(running) == []
    assert (email.id, email.subject, email.text) == (message_id, "Thanks Ada", "Hi Ada")


def test_a_send_through_a_configuration_set_that_does_not_exist_is_refused() -> None:
    with OfflineCloud(_stack()) as running, pytest.raises(ClientError, match="NotFoundException"):
        _send(running, {"name": "Ada"}, ConfigurationSetName="no-such-set")


# ------------------------------------------------------------------------------ event destinations refused


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        (
            {"event_bridge_destination": {"event_bus_arn": f"arn:aws:events:{REGION}:123456789012:event-bus/mine"}},
            "only the default bus",
        ),
        ({"matching_event_types": ["RENDERING_FAILED"]}, r"unknown: \['RENDERING_FAILED'\]"),
        ({"matching_event_types": []}, "MatchingEventTypes"),
    ],
)
def test_an_event_destination_ses_would_refuse_is_refused(overrides: dict[str, Any], error: str) -> None:
    with pytest.raises(ClientError, match=error), OfflineCloud(_stack(**overrides)):
        pass


def test_an_event_destination_on_a_configuration_set_that_does_not_exist_is_refused() -> None:
    document = _stack()
    destination = document["resource"]["aws_sesv2_configuration_set_event_destination"]["d"]
    destination["configuration_set_name"] = "no-such-set"
    with pytest.raises(ClientError, match="NotFoundException"), OfflineCloud(document):
        pass


def test_an_event_destination_name_ses_would_refuse_is_refused() -> None:
    document = _stack()
    document["resource"]["aws_sesv2_configuration_set_event_destination"]["d"]["event_destination_name"] = "a b"
    with pytest.raises(ClientError, match="1 to 64 ASCII letters"), OfflineCloud(document):
        pass


def test_an_event_destination_other_than_eventbridge_is_not_emulated() -> None:
    document = _stack(event_bridge_destination=None, sns_destination={"topic_arn": "arn:aws:sns:eu-west-1:1:t"})
    with pytest.raises(NotImplementedError, match="EventBridge destinations only"), OfflineCloud(document):
        pass


def test_the_dev_stacks_failures_queue_receives_an_email_that_cannot_render(dev_stack_path: Path) -> None:
    """The synthesized destination, rule pattern and queue policy together: the stack's alarm path, end to end."""
    with OfflineCloud(dev_stack_path) as running:
        configuration_set = running.resource("aws_sesv2_configuration_set", "email/configuration-set")
        template = running.resource("aws_ses_template", "email/template-thank-you")
        identity = running.resource("aws_sesv2_email_identity", "email/sender")
        message_id = running.client("sesv2").send_email(
            FromEmailAddress=identity["email_identity"],
            Destination={"ToAddresses": ["ada@example.com"]},
            Content={"Template": {"TemplateName": template["name"], "TemplateData": "{}"}},
            ConfigurationSetName=configuration_set["configuration_set_name"],
        )["MessageId"]
        url = running.resource("aws_sqs_queue", "email/failures")["url"]
        [message] = running.client("sqs").receive_message(QueueUrl=url).get("Messages", [])
        assert running.emails() == []
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"]) == ("aws.ses", "Email Rendering Failed")
    assert event["detail"]["mail"]["messageId"] == message_id
    assert event["detail"]["failure"]["templateName"] == template["name"]
