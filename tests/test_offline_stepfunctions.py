"""offline/stepfunctions/: the gap-fillers of moto's Step Functions interpreter, each on its own."""

from __future__ import annotations

import json

from offline.engine.aws import aws_error
from offline.engine.cloud import OfflineCloud
from offline.stepfunctions import fixes
from offline.stepfunctions.fixes import extract_json, match_input_shape
from tests.offline_stacks import small_stack
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
    with fixes.installed():
        assert StateTaskServiceAwsSdk._eval_service_task is not before
    assert StateTaskServiceAwsSdk._eval_service_task is before


def test_a_state_machine_from_terraform_gets_its_logging_and_tracing():
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    machine = {
        "name": "test-machine",
        "definition": definition,
        "role_arn": "arn:aws:iam::123456789012:role/test",
        "logging_configuration": {
            "level": "ALL",
            "include_execution_data": True,
            "log_destination": "arn:aws:logs:eu-west-1:123456789012:log-group:/test:*",
        },
        "tracing_configuration": {"enabled": True},
    }
    with OfflineCloud(small_stack({"aws_sfn_state_machine": {"m": machine}})) as running:
        arn = running.resource("aws_sfn_state_machine", "m")["arn"]
        described = running.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    assert described["loggingConfiguration"]["level"] == "ALL" and described["tracingConfiguration"] == {
        "enabled": True
    }
