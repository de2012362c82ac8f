"""SESv2 templated email, which moto 5.2.5 does not send.

``SendEmail`` with ``Content.Template`` raises NotImplementedError in moto. While :func:`installed` is entered it is
rendered with Handlebars (as SES does: values HTML-escaped in the HTML part) from the templates created with
CreateTemplate, and recorded in the SES backend's ``sent_messages`` as a :class:`RenderedEmail`
(:func:`sent_emails`). A template variable without a value refuses the email, as SES's RenderingFailure does.
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
from typing import Any
from unittest import mock

import pybars
from botocore.exceptions import ClientError
from moto.ses.models import ses_backends
from moto.sesv2.responses import SESV2Response

from offline.engine.aws import aws_error


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


# {{name}} but not {{{name}}}, {{#if}}, {{/if}} or {{else}}.
_PLAIN_MUSTACHE = re.compile(r"(?<!\{)\{\{\s*([A-Za-z_][\w.]*)\s*\}\}(?!\})")


def render_template(source: str, data: Mapping[str, Any], *, escape_html: bool) -> str:
    """Render an SES template. Only the HTML part escapes values; subject and text keep them as written."""
    if not escape_html:
        source = _PLAIN_MUSTACHE.sub(r"{{{\1}}}", source)
    missing = [
        name
        for name in _PLAIN_MUSTACHE.findall(source) + re.findall(r"\{\{\{\s*([\w.]+)\s*\}\}\}", source)
        if _lookup(data, name) is None
    ]
    if missing:
        # SES refuses to send (a RenderingFailure) when a template variable has no value.
        raise aws_error("sesv2", "SendEmail", "BadRequestException", f"Template data lacks {sorted(set(missing))}")
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
    backend = ses_backends[response.current_account][response.region]
    source = params.get("FromEmailAddress", "")
    if not backend._is_verified_address(source):
        from moto.ses.exceptions import MessageRejectedError

        raise MessageRejectedError(f"Email address not verified {source}")
    template_name = content["Template"]["TemplateName"]
    template = backend.get_template(template_name)
    data = json.loads(content["Template"].get("TemplateData", "{}"))
    message = RenderedEmail(
        id=str(uuid.uuid4()),
        source=source,
        destinations={key: list(value) for key, value in params.get("Destination", {}).items()},
        template=template_name,
        template_data=data,
        subject=render_template(template["subject_part"], data, escape_html=False),
        text=render_template(template["text_part"], data, escape_html=False),
        html=render_template(template["html_part"], data, escape_html=True),
    )
    backend.sent_messages.append(message)
    backend.sent_message_count += sum(len(addresses) for addresses in message.destinations.values())
    return json.dumps({"MessageId": message.id})


_original_send_email = SESV2Response.send_email


def _send_email(self: SESV2Response) -> str:
    try:
        return _send_templated_email(self)
    except ClientError as error:
        from moto.core.exceptions import JsonRESTError

        raise JsonRESTError(error.response["Error"]["Code"], error.response["Error"]["Message"]) from error


@contextmanager
def installed() -> Iterator[None]:
    """For the block, SESv2 SendEmail of a template renders and records it."""
    with mock.patch.object(SESV2Response, "send_email", _send_email):
        yield


def sent_emails(account_id: str, region: str) -> list[RenderedEmail]:
    """Every templated email sent through SESv2 in the account and region, oldest first."""
    return [m for m in ses_backends[account_id][region].sent_messages if isinstance(m, RenderedEmail)]
