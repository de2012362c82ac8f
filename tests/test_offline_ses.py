"""offline/ses/: SESv2 templated email rendered as SES renders it."""

from __future__ import annotations

import json
import threading

import pytest
from botocore.exceptions import ClientError

from offline.engine.cloud import OfflineCloud
from offline.ses.templates import render_template
from tests.offline_stacks import small_stack


def test_the_html_part_escapes_values_and_the_text_part_keeps_them():
    data = {"name": "<b>O'Brien & co</b>", "score": {"negative": 0.9}}
    assert render_template("<p>{{name}} {{score.negative}}</p>", data, escape_html=True) == (
        "<p>&lt;b&gt;O&#x27;Brien &amp; co&lt;/b&gt; 0.9</p>"
    )
    assert render_template("{{name}}", data, escape_html=False) == "<b>O'Brien & co</b>"


def test_a_template_variable_without_data_refuses_the_email():
    with pytest.raises(ClientError, match="lacks"):
        render_template("Hello {{name}}", {}, escape_html=False)


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
