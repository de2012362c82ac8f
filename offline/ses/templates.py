"""SESv2 templated email, which moto 5.2.5 does not send.

``SendEmail`` with ``Content.Template`` raises NotImplementedError in moto. While :func:`installed` is entered it is
rendered with Handlebars (as SES does: values HTML-escaped in the HTML part) from the templates created with
CreateTemplate, and recorded in the SES backend's ``sent_messages`` as a :class:`RenderedEmail`
(:func:`sent_emails`). A configuration set the call names must exist.

A template variable without a value does not refuse the call, as SES does not: SES accepts the email (a
MessageId), sends nothing, and publishes a Rendering Failure event to the configuration set's destinations
(:mod:`.publishing`). "It's possible for Amazon SES to accept a message without sending it. For example, this can
happen when ... you send a templated email that contains invalid personalization content."
(https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html, SendEmailResponse)
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pybars
from botocore.exceptions import ClientError
from moto.ses.models import ses_backends
from moto.sesv2.responses import SESV2Response

from offline.engine.aws import aws_error
from offline.ses import publishing


@dataclass
class RenderedEmail:
    """An SESv2 templated email as its recipients would read it."""

    id: str
    source: str
    destinations: dict[str, list[str]]
    template: str
    template_data: dict[str, Any]
    subject: str
    text: str
    html: str
    # When SES accepted it (epoch seconds): the latency benchmark measures to here.
    sent_at: float = field(default_factory=time.time)


_compiler = pybars.Compiler()
# pybars' compiler is not thread-safe (executions send emails from several threads): compile under a lock,
# once per template source; the compiled functions render concurrently.
_compiled: dict[str, Callable[[dict[str, Any]], Any]] = {}
_compile_lock = threading.Lock()


def _compile(source: str) -> Callable[[dict[str, Any]], Any]:
    with _compile_lock:
        if source not in _compiled:
            _compiled[source] = _compiler.compile(source)
        return _compiled[source]


# {{name}} but not {{{name}}}, {{#if}} or {{/if}}: the values the subject and text parts must not escape.
_PLAIN_MUSTACHE = re.compile(r"(?<!\{)\{\{\s*([A-Za-z_][\w.]*)\s*\}\}(?!\})")
# {{name}} and {{{name}}}: every variable that needs a value ({{else}} aside).
_VARIABLE = re.compile(r"\{\{\{?\s*([A-Za-z_][\w.]*)\s*\}?\}\}")


class RenderingFailure(Exception):
    """A template variable the data gives no value: SES sends nothing and publishes a Rendering Failure."""

    def __init__(self, attribute: str):
        # SES's wording, from its Rendering Failure record.
        # https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-firehose-examples.html
        super().__init__(f"Attribute '{attribute}' is not present in the rendering data.")
        self.attribute = attribute


def render_template(source: str, data: Mapping[str, Any], *, escape_html: bool) -> str:
    """Render an SES template. Only the HTML part escapes values; subject and text keep them as written.
    Raises :class:`RenderingFailure` naming the first variable the data lacks."""
    missing = next((name for name in _VARIABLE.findall(source) if name != "else" and _lookup(data, name) is None), None)
    if missing is not None:
        raise RenderingFailure(missing)
    if not escape_html:
        source = _PLAIN_MUSTACHE.sub(r"{{{\1}}}", source)
    return str(_compile(source)(dict(data)))


def _lookup(data: Mapping[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _send_templated_email(response: SESV2Response) -> str:
    params = json.loads(response.body)
    content = params.get("Content", {})
    if "Template" not in content:
        return _original_send_email(response)
    account_id, region = response.current_account, response.region
    backend = ses_backends[account_id][region]
    source = params.get("FromEmailAddress", "")
    if not backend._is_verified_address(source):
        from moto.ses.exceptions import MessageRejectedError

        raise MessageRejectedError(f"Email address not verified {source}")
    configuration_set = params.get("ConfigurationSetName")
    if configuration_set is not None and configuration_set not in backend.config_sets:
        raise aws_error(
            "sesv2", "SendEmail", "NotFoundException", f"Configuration set {configuration_set} does not exist."
        )
    template_name = content["Template"]["TemplateName"]
    template = backend.get_template(template_name)
    data = json.loads(content["Template"].get("TemplateData", "{}"))
    destinations = {key: list(value) for key, value in params.get("Destination", {}).items()}
    message_id = str(uuid.uuid4())
    try:
        subject = render_template(template["subject_part"], data, escape_html=False)
        text = render_template(template["text_part"], data, escape_html=False)
        html = render_template(template["html_part"], data, escape_html=True)
    except RenderingFailure as failure:
        publishing.publish(
            account_id,
            region,
            configuration_set,
            "RENDERING_FAILURE",
            _mail(account_id, region, message_id, source, destinations, configuration_set, params.get("EmailTags", [])),
            {"errorMessage": str(failure), "templateName": template_name},
        )
        return json.dumps({"MessageId": message_id})
    message = RenderedEmail(
        id=message_id,
        source=source,
        destinations=destinations,
        template=template_name,
        template_data=data,
        subject=subject,
        text=text,
        html=html,
    )
    backend.sent_messages.append(message)
    backend.sent_message_count += sum(len(addresses) for addresses in message.destinations.values())
    return json.dumps({"MessageId": message.id})


def _mail(
    account_id: str,
    region: str,
    message_id: str,
    source: str,
    destinations: Mapping[str, list[str]],
    configuration_set: str | None,
    email_tags: list[dict[str, str]],
) -> dict[str, Any]:
    """The ``mail`` object of an SES event record, with the tags SES adds itself.
    https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-firehose-contents.html"""
    tags: dict[str, list[str]] = {tag["Name"]: [tag["Value"]] for tag in email_tags}
    tags["ses:from-domain"] = [source.rpartition("@")[2]]
    if configuration_set is not None:
        tags["ses:configuration-set"] = [configuration_set]
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "source": source,
        "sourceArn": f"arn:aws:ses:{region}:{account_id}:identity/{source}",
        "sendingAccountId": account_id,
        "messageId": message_id,
        "destination": [address for addresses in destinations.values() for address in addresses],
        "headersTruncated": False,
        "tags": tags,
    }


_original_send_email = SESV2Response.send_email


def _send_email(self: SESV2Response) -> str:
    try:
        return _send_templated_email(self)
    except ClientError as error:
        from moto.core.exceptions import JsonRESTError

        raise JsonRESTError(error.response["Error"]["Code"], error.response["Error"]["Message"]) from error


@contextmanager
def installed() -> Iterator[None]:
    """For the block, SESv2 SendEmail of a template renders and records it, or publishes its rendering failure;
    the configuration sets' event destinations start empty."""
    with publishing.fresh(), mock.patch.object(SESV2Response, "send_email", _send_email):
        yield


def sent_emails(account_id: str, region: str) -> list[RenderedEmail]:
    """Every templated email sent through SESv2 in the account and region, oldest first."""
    return [m for m in ses_backends[account_id][region].sent_messages if isinstance(m, RenderedEmail)]
