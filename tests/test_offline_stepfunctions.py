"""offline/stepfunctions/: the gap-fillers of moto's Step Functions interpreter, each on its own."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from offline.engine.aws import aws_error
from offline.engine.cloud import OfflineCloud
from offline.stepfunctions import fixes
from offline.stepfunctions.fixes import extract_json, match_input_shape
from tests.events import envelope as event
from tests.events import review
from tests.offline_stacks import small_stack
from tests.sfn_harness import ACCOUNT, BUS, aws

ROLE = f"arn:aws:iam::{ACCOUNT}:role/test"
SENTIMENT = "arn:aws:states:::aws-sdk:comprehend:detectSentiment"
SEND_TASK_SUCCESS = "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess"


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


def _one_task(resource: str, parameters: dict[str, Any], **task: Any) -> str:
    return json.dumps(
        {
            "StartAt": "Call",
            "States": {"Call": {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True, **task}},
        }
    )


def _create(harness: Any, definition: str, name: str = "machine") -> str:
    return harness.sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE)["stateMachineArn"]


def _failure(harness: Any, execution_arn: str) -> dict[str, Any]:
    [failed] = [e for e in harness.history(execution_arn) if e["type"] == "ExecutionFailed"]
    return failed["executionFailedEventDetails"]


def _fails_with(resource: str, parameters: dict[str, Any], handler: fixes.Handler) -> str:
    service, action = resource.rsplit(":", 2)[-2:]
    with aws({(service, action): handler}) as harness:
        execution = harness.start(_create(harness, _one_task(resource, parameters)), {})
        assert harness.wait(execution)["status"] == "FAILED"
        return _failure(harness, execution)["error"]


def _raising(service: str, operation: str, code: str) -> fixes.Handler:
    def handler(params: dict[str, Any]) -> dict[str, Any]:
        raise aws_error(service, operation, code, "refused")

    return handler


def test_an_error_code_the_model_does_not_list_surfaces_as_the_sdks_base_exception():
    throttled = _raising("comprehend", "DetectSentiment", "ThrottlingException")
    assert _fails_with(SENTIMENT, {"Text": "x", "LanguageCode": "en"}, throttled) == "Comprehend.ComprehendException"


def test_a_modelled_error_gets_the_exception_suffix():
    parameters = {"TaskToken": "t", "Output": "{}"}
    timed_out = _raising("stepfunctions", "SendTaskSuccess", "TaskTimedOut")
    assert _fails_with(SEND_TASK_SUCCESS, parameters, timed_out) == "Sfn.TaskTimedOutException"


def test_a_modelled_error_keeps_the_service_prefix_as_step_functions_spells_it():
    parameters = {"FromEmailAddress": "a@example.com", "Content": {"Raw": {"Data": "x"}}}
    rejected = _raising("sesv2", "SendEmail", "MessageRejected")
    assert _fails_with("arn:aws:states:::aws-sdk:sesv2:sendEmail", parameters, rejected) == (
        "SesV2.MessageRejectedException"
    )


def test_a_modelled_error_that_already_ends_in_exception_is_kept():
    throttled = _raising("translate", "TranslateText", "TooManyRequestsException")
    parameters = {"Text": "x", "SourceLanguageCode": "fr", "TargetLanguageCode": "en"}
    assert _fails_with("arn:aws:states:::aws-sdk:translate:translateText", parameters, throttled) == (
        "Translate.TooManyRequestsException"
    )


def test_retry_waits_are_recorded_instead_of_slept():
    calls = []

    def flaky(params):
        calls.append(params)
        if len(calls) < 3:
            raise aws_error("comprehend", "BatchDetectSentiment", "ThrottlingException", "slow down")
        scores = {"Positive": 1, "Negative": 0, "Neutral": 0, "Mixed": 0}
        return {"ResultList": [{"Index": 0, "Sentiment": "POSITIVE", "SentimentScore": scores}], "ErrorList": []}

    waits: list[float] = []
    record = {
        "messageId": "m-1",
        "body": json.dumps(event("reviews.frontend", "ReviewSubmitted", review(languageCode="en"))),
        "attributes": {"ApproximateReceiveCount": "1"},
    }
    with aws({("comprehend", "batchDetectSentiment"): flaky}, retry_waits=waits) as harness:
        harness.create_table("rate", "limit")
        substitutions = {"EventBusName": BUS, "RateTableName": "rate", "RateLimit": "10", "MaxRateWaits": 1}
        machine = harness.state_machine(
            "analyse-review", {**substitutions, "MaxReceiveCount": 5, "TimeoutSeconds": 180}
        )
        assert harness.run(machine, [record])["status"] == "SUCCEEDED"
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


# --- CreateStateMachine refuses what AWS refuses --------------------------------------------------------------------


def _refusal(definition: str) -> dict[str, Any]:
    with aws() as harness, pytest.raises(ClientError) as refused:
        _create(harness, definition)
    return refused.value.response["Error"]


@pytest.mark.parametrize(
    ("parameters", "task", "message"),
    [
        (
            {"Textt": "x", "LanguageCode": "en", "Text": "x"},
            {},
            'The field "Textt" is not supported by Step Functions at /States/Call/Parameters',
        ),
        (
            {"text.$": "$.text", "LanguageCode": "en", "Text": "x"},
            {},
            'The field "text" is not supported by Step Functions at /States/Call/Parameters',
        ),
        (
            {"Text.$": "$.text"},
            {},
            'The field "LanguageCode" is required by DetectSentimentRequest at /States/Call/Parameters',
        ),
        (
            {"Text": ["x"], "LanguageCode": "en"},
            {},
            'The value of the field "Text" must be a string at /States/Call/Parameters/Text',
        ),
        (
            {"Text": "x", "LanguageCode": "en"},
            {"Retry": [{"ErrorEquals": ["Comprehend.ThrottlingException"]}]},
            f'The error "Comprehend.ThrottlingException" is never produced by {SENTIMENT} at /States/Call/Retry/0/ErrorEquals',
        ),
    ],
    ids=[
        "unknown member",
        "wrong-case member",
        "missing required member",
        "literal of the wrong type",
        "unknown error",
    ],
)
def test_create_state_machine_refuses_a_task_aws_refuses(parameters, task, message):
    error = _refusal(_one_task(SENTIMENT, parameters, **task))
    assert error == {
        "Code": "InvalidDefinition",
        "Message": f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: {message}'",
    }


def test_create_state_machine_refuses_an_optimized_integrations_unknown_member():
    parameters = {"TableName": "t", "Key": {"id": {"S": "1"}}, "consistentRead": True}
    error = _refusal(_one_task("arn:aws:states:::dynamodb:getItem", parameters))
    assert error["Code"] == "InvalidDefinition" and 'The field "consistentRead"' in error["Message"]


def test_a_definition_moto_cannot_parse_is_refused_with_the_invalid_definition_code():
    assert _refusal('{"StartAt": 1}')["Code"] == "InvalidDefinition"


def test_a_correct_definition_is_created():
    with aws() as harness:
        assert _create(harness, _one_task(SENTIMENT, {"Text.$": "$.text", "LanguageCode": "en"})).startswith("arn:")


# --- States.ALL -----------------------------------------------------------------------------------------------------


def _caught_by_all(parameters: dict[str, Any], **task: Any) -> str:
    definition = json.loads(_one_task(SENTIMENT, parameters, **task))
    definition["States"]["Call"]["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    definition["States"]["Call"]["Retry"] = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}]
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    positive = {"Sentiment": "POSITIVE", "SentimentScore": {"Positive": 1.0}}
    with aws({("comprehend", "detectSentiment"): lambda params: positive}, retry_waits=[]) as harness:
        execution = harness.start(_create(harness, json.dumps(definition)), {"text": "x"})
        description = harness.wait(execution)
        return f"{description['status']} {_failure(harness, execution)['error'] if description['status'] == 'FAILED' else ''}"


def test_states_all_does_not_catch_a_parameters_path_that_finds_nothing():
    assert _caught_by_all({"Text.$": "$.missing", "LanguageCode": "en"}) == "FAILED States.Runtime"


def test_states_all_does_not_catch_a_result_selector_path_that_finds_nothing():
    parameters = {"Text.$": "$.text", "LanguageCode": "en"}
    assert _caught_by_all(parameters, ResultSelector={"mixed.$": "$.SentimentScore.Mixed"}) == "FAILED States.Runtime"


def test_states_all_still_catches_a_task_failure():
    definition = json.loads(_one_task(SENTIMENT, {"Text": "x", "LanguageCode": "en"}))
    definition["States"]["Call"]["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    throttled = _raising("comprehend", "DetectSentiment", "ThrottlingException")
    with aws({("comprehend", "detectSentiment"): throttled}) as harness:
        assert harness.run(_create(harness, json.dumps(definition)), {})["status"] == "SUCCEEDED"


# --- States.MathAdd -------------------------------------------------------------------------------------------------


def _math_add(value: Any, step: Any = 1) -> dict[str, Any]:
    """The outcome of ``States.MathAdd($.value, $.step)`` in a Pass state whose failures States.ALL would catch."""
    definition = {
        "StartAt": "Add",
        "States": {
            "Add": {
                "Type": "Pass",
                "Parameters": {"sum.$": "States.MathAdd($.value, $.step)"},
                "Next": "Added",
            },
            "Added": {"Type": "Succeed"},
        },
    }
    with aws() as harness:
        execution = harness.start(_create(harness, json.dumps(definition)), {"value": value, "step": step})
        description = harness.wait(execution)
        if description["status"] == "SUCCEEDED":
            return json.loads(description["output"])
        return {"status": description["status"], **_failure(harness, execution)}


def test_math_add_adds_integers_up_to_the_top_of_awss_range():
    assert _math_add(2147483646) == {"sum": 2147483647}
    assert _math_add(-2147483647, -1) == {"sum": -2147483648}


def test_math_add_rounds_a_non_integer_as_aws_does_before_checking_the_range():
    assert _math_add(2147483646.4) == {"sum": 2147483647}
    assert _math_add(2147483647.5, 0)["error"] == "States.Runtime"


@pytest.mark.parametrize("value", [2_200_000_000, 2147483648, -2147483649], ids=["epoch-after-2038", "2^31", "-2^31-1"])
def test_math_add_refuses_an_argument_outside_awss_32_bit_range_as_a_runtime_error(value):
    assert _math_add(value, 0) == {
        "status": "FAILED",
        "error": "States.Runtime",
        "cause": "An error occurred while executing the state 'Add' (entered at the event id #2). The function "
        f"'States.MathAdd($.value, $.step)' had the following error: Argument 1 of States.MathAdd, {value}, "
        "is not an integer from -2147483648 to 2147483647",
    }


def test_math_add_refuses_a_sum_outside_the_range_too():
    failure = _math_add(2147483647, 1)
    assert failure["error"] == "States.Runtime"
    assert failure["cause"].endswith(
        "The sum of States.MathAdd, 2147483648, is not an integer from -2147483648 to 2147483647"
    )


def test_states_all_does_not_catch_a_math_add_out_of_range():
    definition = json.loads(
        _one_task(SENTIMENT, {"Text.$": "States.Format('{}', States.MathAdd($.value, 1))", "LanguageCode": "en"})
    )
    definition["States"]["Call"]["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    positive = {"Sentiment": "POSITIVE", "SentimentScore": {"Positive": 1.0}}
    with aws({("comprehend", "detectSentiment"): lambda params: positive}) as harness:
        execution = harness.start(_create(harness, json.dumps(definition)), {"value": 2_200_000_000})
        assert harness.wait(execution)["status"] == "FAILED"
        assert _failure(harness, execution)["error"] == "States.Runtime"


# --- task tokens ----------------------------------------------------------------------------------------------------


def _waiting_task(timeout_catch_next: str) -> str:
    return json.dumps(
        {
            "StartAt": "Wait",
            "States": {
                "Wait": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::events:putEvents.waitForTaskToken",
                    "Parameters": {
                        "Entries": [
                            {
                                "EventBusName": BUS,
                                "Source": "s",
                                "DetailType": "d",
                                "Detail": {"token.$": "$$.Task.Token"},
                            }
                        ]
                    },
                    "TimeoutSeconds": 1,
                    "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": timeout_catch_next}],
                    "End": True,
                },
                "Linger": {"Type": "Wait", "Seconds": 3, "Next": "Done"},
                "Done": {"Type": "Succeed"},
            },
        }
    )


def _timed_out_token(harness: Any, catch_next: str) -> tuple[str, str]:
    execution = harness.start(_create(harness, _waiting_task(catch_next), name=f"wait-{catch_next}"), {})
    deadline = time.monotonic() + 10
    while not any(e["type"] == "TaskTimedOut" for e in harness.history(execution)):
        assert time.monotonic() < deadline, "the task did not time out"
        time.sleep(0.05)
    return execution, harness.published("d")[-1]["detail"]["token"]


@pytest.mark.parametrize("catch_next", ["Linger", "Done"], ids=["execution still running", "execution ended"])
def test_the_token_of_a_task_that_timed_out_is_refused(catch_next):
    with aws() as harness:
        execution, token = _timed_out_token(harness, catch_next)
        with pytest.raises(ClientError) as refused:
            harness.sfn.send_task_success(taskToken=token, output="{}")
        harness.wait(execution)
    assert refused.value.response["Error"] == {
        "Code": "TaskTimedOut",
        "Message": "Task Timed Out: 'Provided task does not exist anymore'",
    }


def test_a_token_already_answered_is_refused():
    definition = json.loads(_waiting_task("Done"))
    definition["States"]["Wait"]["TimeoutSeconds"] = 30
    with aws() as harness:
        execution = harness.start(_create(harness, json.dumps(definition)), {})
        deadline = time.monotonic() + 10
        while not harness.published("d"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        token = harness.published("d")[-1]["detail"]["token"]
        harness.sfn.send_task_success(taskToken=token, output="{}")
        assert harness.wait(execution)["status"] == "SUCCEEDED"
        with pytest.raises(ClientError) as refused:
            harness.sfn.send_task_failure(taskToken=token, error="late")
    assert refused.value.response["Error"]["Code"] == "TaskTimedOut"


def test_an_aws_sdk_answer_of_a_camel_case_api_reaches_the_state_in_pascal_case():
    from offline.stepfunctions.fixes import pascal_case_output

    answer = pascal_case_output(
        "sfn",
        "describeExecution",
        {"executionArn": "arn:x", "status": "ABORTED", "startDate": datetime(2026, 12, 1, tzinfo=UTC)},
    )
    assert answer == {"ExecutionArn": "arn:x", "Status": "ABORTED", "StartDate": "2026-12-01T00:00:00+00:00"}


def test_a_stopped_execution_waiting_on_a_token_is_aborted_at_once_and_its_token_refused():
    definition = json.loads(_waiting_task("Done"))
    definition["States"]["Wait"]["TimeoutSeconds"] = 30
    with aws() as harness:
        execution = harness.start(_create(harness, json.dumps(definition)), {})
        deadline = time.monotonic() + 10
        while not harness.published("d"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        token = harness.published("d")[-1]["detail"]["token"]
        harness.sfn.stop_execution(executionArn=execution)
        assert harness.sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"
        with pytest.raises(ClientError) as refused:
            harness.sfn.send_task_success(taskToken=token, output="{}")
    assert refused.value.response["Error"]["Code"] == "TaskTimedOut"


def test_an_aws_sdk_send_task_success_with_a_timed_out_token_fails_with_sfn_task_timed_out():
    resume = _one_task(SEND_TASK_SUCCESS, {"TaskToken.$": "$.token", "Output": "{}"})
    with aws() as harness:
        waiting, token = _timed_out_token(harness, "Linger")
        execution = harness.start(_create(harness, resume, name="resume"), {"token": token})
        assert harness.wait(execution)["status"] == "FAILED"
        harness.wait(waiting)
        assert _failure(harness, execution)["error"] == "Sfn.TaskTimedOutException"


def test_waiting_for_an_execution_returns_once_its_output_is_there():
    from offline.stepfunctions import executions

    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": {"ok": 1}, "End": True}}})
    with aws() as harness:
        machine = _create(harness, definition)
        arn = harness.sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
        assert executions.wait(arn, timeout=30)
        # The ending is whole when wait returns: moto sets SUCCEEDED before the output.
        described = harness.sfn.describe_execution(executionArn=arn)
        assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"ok": 1})


def test_waiting_for_an_execution_gives_up_at_the_timeout():
    from offline.stepfunctions import executions

    definition = json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 30, "End": True}}})
    with aws() as harness:
        machine = _create(harness, definition)
        arn = harness.sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
        began = time.monotonic()
        assert not executions.wait(arn, timeout=0.2)
        assert time.monotonic() - began < 5
        harness.sfn.stop_execution(executionArn=arn)


def test_a_synchronous_callers_outcome_is_the_ended_execution_or_a_stopped_one_reported_timed_out():
    from offline.stepfunctions import executions

    done = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": {"ok": 1}, "End": True}}})
    slow = json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 30, "End": True}}})
    with aws() as harness:
        quick = harness.sfn.start_execution(stateMachineArn=_create(harness, done, name="quick"), input="{}")
        ended = executions.outcome(harness.sfn, quick["executionArn"], timeout=30)
        late = harness.sfn.start_execution(stateMachineArn=_create(harness, slow, name="slow"), input="{}")
        timed_out = executions.outcome(harness.sfn, late["executionArn"], timeout=0.2)
        stopped = harness.sfn.describe_execution(executionArn=late["executionArn"])["status"]
    assert (ended["status"], json.loads(ended["output"])) == ("SUCCEEDED", {"ok": 1})
    assert (timed_out["status"], stopped) == ("TIMED_OUT", "ABORTED")


def test_a_failed_entrys_cause_is_the_put_events_response_as_json():
    entries = [
        {"Source": "reviews.test", "DetailType": "Sent", "Detail": {"n": 1}, "EventBusName": BUS},
        {"Source": "", "DetailType": "Refused", "Detail": {"n": 2}, "EventBusName": BUS},
    ]
    definition = _one_task("arn:aws:states:::events:putEvents", {"Entries": entries})
    with aws() as harness:
        machine = _create(harness, definition)
        arn = harness.sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
        described = harness.wait(arn, timeout=30)
        assert (described["status"], described["error"]) == ("FAILED", "EventBridge.FailedEntry")
        cause = json.loads(described["cause"])
    assert cause["FailedEntryCount"] == 1
    assert "EventId" in cause["Entries"][0] and cause["Entries"][1]["ErrorCode"] == "InvalidArgument"


def test_the_execution_index_answers_as_moto_s_walk_does():
    import boto3
    from moto import mock_aws

    from offline.stepfunctions import speedups

    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
    with mock_aws(), speedups.installed():
        sfn = boto3.client("stepfunctions", region_name="eu-west-1")
        machine = sfn.create_state_machine(
            name="indexed", definition=definition, roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn"
        )["stateMachineArn"]
        started = [
            sfn.start_execution(stateMachineArn=machine, name=f"run-{i}", input=json.dumps({"i": i}))["executionArn"]
            for i in range(40)
        ]
        described = [sfn.describe_execution(executionArn=arn) for arn in started]
        assert [(d["executionArn"], d["name"], json.loads(d["input"])) for d in described] == [
            (arn, f"run-{i}", {"i": i}) for i, arn in enumerate(started)
        ]
        # The same name and input while it runs is the same request: the same execution, none added.
        again = sfn.start_execution(stateMachineArn=machine, name="run-7", input=json.dumps({"i": 7}))
        assert again["executionArn"] == started[7]
        assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 40
        with pytest.raises(ClientError) as refused:
            sfn.start_execution(stateMachineArn=machine, name="run-7", input=json.dumps({"i": 8}))
        assert refused.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
        with pytest.raises(ClientError) as missing:
            sfn.describe_execution(executionArn=started[0].replace("run-0", "run-99"))
        assert missing.value.response["Error"]["Code"] == "ExecutionDoesNotExist"
