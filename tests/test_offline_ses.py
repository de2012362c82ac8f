"""offline/ses/: SESv2 templated email rendered as SES renders it."""

from __future__ import annotations

import threading

import pytest
from botocore.exceptions import ClientError

from offline.ses.templates import render_template


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
