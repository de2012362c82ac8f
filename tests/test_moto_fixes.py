"""The moto gap-fillers of offline/moto_fixes.py, each on its own."""

from __future__ import annotations

import threading

import pytest
from botocore.exceptions import ClientError

from offline import moto_fixes
from offline.moto_fixes import aws_error, extract_json, match_input_shape, render_template
from tests.sfn_harness import BUS, aws, event, review


def test_aws_sdk_parameters_are_renamed_to_the_apis_members_in_any_case():
    renamed = match_input_shape("sfn", "sendTaskSuccess", {"TaskToken": "t", "Output": "{}"})
    assert renamed == {"taskToken": "t", "output": "{}"}


def test_nested_parameters_are_renamed_too():
    renamed = match_input_shape("sesv2", "sendEmail", {"destination": {"toaddresses": ["a@example.com"]}})
    assert renamed == {"Destination": {"ToAddresses": ["a@example.com"]}}


def test_a_definite_path_through_an_index_yields_the_value_not_a_list():
    assert extract_json("$.Languages[0].LanguageCode", {"Languages": [{"LanguageCode": "fr"}]}) == "fr"


def test_an_indefinite_path_still_yields_a_list():
    assert extract_json("$.Languages[*].LanguageCode", {"Languages": [{"LanguageCode": "fr"}]}) == ["fr"]


def test_a_definite_path_to_a_list_yields_the_list_itself():
    assert extract_json("$.codes", {"codes": ["en"]}) == ["en"]


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


def test_aws_sdk_errors_are_named_service_dot_code_as_step_functions_names_them():
    def throttle(params):
        raise aws_error("comprehend", "DetectSentiment", "ThrottlingException", "slow down")

    with aws({("comprehend", "detectSentiment"): throttle}, retry_waits=[]) as harness:
        machine = harness.state_machine("analyse-review", {"EventBusName": BUS})
        harness.run(machine, event("reviews.frontend", "ReviewSubmitted", review(languageCode="en")))
        [failed] = harness.published("ReviewAnalysisFailed")
    assert failed["detail"]["data"]["error"] == "Comprehend.ThrottlingException"


def test_retry_waits_are_recorded_instead_of_slept():
    calls = []

    def flaky(params):
        calls.append(params)
        if len(calls) < 3:
            raise aws_error("comprehend", "DetectSentiment", "ThrottlingException", "slow down")
        return {"Sentiment": "POSITIVE", "SentimentScore": {"Positive": 1, "Negative": 0, "Neutral": 0, "Mixed": 0}}

    waits: list[float] = []
    with aws({("comprehend", "detectSentiment"): flaky}, retry_waits=waits) as harness:
        machine = harness.state_machine("analyse-review", {"EventBusName": BUS})
        assert (
            harness.run(machine, event("reviews.frontend", "ReviewSubmitted", review(languageCode="en")))["status"]
            == "SUCCEEDED"
        )
    assert len(waits) == 2 and all(w <= 8 for w in waits)


def test_the_fixes_are_gone_once_the_block_ends():
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )

    before = StateTaskServiceAwsSdk._eval_service_task
    with moto_fixes.installed():
        assert StateTaskServiceAwsSdk._eval_service_task is not before
    assert StateTaskServiceAwsSdk._eval_service_task is before
