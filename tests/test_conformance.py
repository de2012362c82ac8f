"""Every Task of every synthesized state machine against AWS's machine-readable API definitions (botocore's models):
its Parameters, the reads of its result and its Retry/Catch error names (offline/stepfunctions/validation.py).
The checker's own tests, on small hand-written definitions, follow."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from offline.engine.terraform import strings_in
from offline.stepfunctions.validation import Problem, integration, problems, produced_errors, refusal, sdk_error_name
from offline.stepfunctions.validation import _states as validation_states


def _definitions(stacks: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every state machine's definition, by its name, in every synthesized stack."""
    return {
        machine["name"]: json.loads(machine["definition"])
        for stack in stacks.values()
        for machine in stack["resource"].get("aws_sfn_state_machine", {}).values()
    }


def _tasks(definition: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every Task, inside Map processors and Parallel branches too."""
    return [(name, state) for name, _, state, _ in validation_states(definition) if state.get("Type") == "Task"]


def test_every_task_calls_an_integration_the_checker_knows(synthesized):
    unknown = [
        f"{machine} / {name}: {state['Resource']}"
        for machine, definition in _definitions(synthesized).items()
        for name, state in _tasks(definition)
        if integration(state["Resource"]) is None
    ]
    assert unknown == [], "add these integrations to offline/stepfunctions/validation.py: " + "; ".join(unknown)


def test_every_task_does_what_aws_accepts_and_can_happen(synthesized):
    found = [
        f"{machine} / {problem.state}: {problem}"
        for machine, definition in _definitions(synthesized).items()
        for problem in problems(definition)
    ]
    assert found == [], "\n".join(found)


# States.MathAdd takes integers from -2147483648 to 2147483647 only
# (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html, Intrinsics for Math operations):
# epoch seconds leave that range on 2038-01-19, so a time is added by DynamoDB, never by MathAdd. The project names
# its times ...At, ...Until, ...Time or now.
_TIME_NAME = re.compile(r"(At|Until|Time|Timestamp|Epoch|^now)$")
_NESTED = ("Branches", "ItemProcessor", "Iterator")


def math_add_operands(text: str) -> list[str]:
    """Every argument of every States.MathAdd call in ``text``, as written, nested calls included."""
    operands = []
    for start in [m.end() for m in re.finditer(r"States\.MathAdd\(", text)]:
        depth, quoted, argument = 0, False, ""
        for char in text[start:]:
            if char == "'" and not argument.endswith("\\"):
                quoted = not quoted
            if not quoted and char == "(":
                depth += 1
            if not quoted and char == ")":
                if depth == 0:
                    break
                depth -= 1
            if not quoted and char == "," and depth == 0:
                operands.append(argument.strip())
                argument = ""
                continue
            argument += char
        operands.append(argument.strip())
    return operands


def names_a_time(operand: str) -> bool:
    """Whether a path operand's last name is one of a time (``$.submittedAt``, ``$.record.clock.now``)."""
    names = [name for name in re.split(r"[$.\[\]'\s]+", operand) if name]
    return operand.startswith("$") and bool(names) and bool(_TIME_NAME.search(names[-1]))


def test_no_states_math_add_adds_to_a_time(synthesized):
    found = [
        f"{machine} / {name}: {operand}"
        for machine, definition in _definitions(synthesized).items()
        for name, _, state, _ in validation_states(definition)
        for text in strings_in({key: value for key, value in state.items() if key not in _NESTED})
        for operand in math_add_operands(text)
        if names_a_time(operand)
    ]
    assert found == [], (
        "States.MathAdd of epoch seconds fails on AWS after 2038-01-19; add them in DynamoDB: " + "; ".join(found)
    )


@pytest.mark.parametrize(
    ("text", "operands"),
    [
        ("States.MathAdd($.submittedAt, 3600)", ["$.submittedAt", "3600"]),
        ("States.Format('{}', States.MathAdd($.record.clock.now, 1))", ["$.record.clock.now", "1"]),
        ("States.MathAdd(States.ArrayLength($.items), -1)", ["States.ArrayLength($.items)", "-1"]),
        ("States.Format('a, b')", []),
    ],
)
def test_math_add_operands_are_read_as_written(text, operands):
    assert math_add_operands(text) == operands


@pytest.mark.parametrize(
    ("operand", "time"),
    [
        ("$.submittedAt", True),
        ("$.record.clock.now", True),
        ("$.lease.leaseUntil", True),
        ("$.record.lease.waited", False),
        ("$.count.attempts", False),
        ("$.waits", False),
    ],
)
def test_a_time_is_told_from_a_counter_by_its_name(operand, time):
    assert names_a_time(operand) is time


# --- the checker ---------------------------------------------------------------------------------------------------


def _machine(resource: str, **task: Any) -> dict[str, Any]:
    return {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": resource, "End": True, **task}}}


SENTIMENT = "arn:aws:states:::aws-sdk:comprehend:detectSentiment"
SEND_EMAIL = "arn:aws:states:::aws-sdk:sesv2:sendEmail"
SEND_TASK_SUCCESS = "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess"
PUT_ITEM = "arn:aws:states:::dynamodb:putItem"
GET_ITEM = "arn:aws:states:::dynamodb:getItem"
PUT_EVENTS = "arn:aws:states:::events:putEvents"
GOOD_SENTIMENT = {"Text.$": "$.text", "LanguageCode": "en"}


def _only(definition: dict[str, Any]) -> Problem:
    [problem] = problems(definition)
    return problem


def test_a_correct_aws_sdk_task_has_no_problem():
    definition = _machine(
        SENTIMENT,
        Parameters=GOOD_SENTIMENT,
        ResultSelector={"sentiment.$": "$.Sentiment", "positive.$": "$.SentimentScore.Positive"},
        Retry=[{"ErrorEquals": ["Comprehend.ComprehendException", "Comprehend.InternalServerException"]}],
        Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Call"}],
    )
    assert problems(definition) == []


def test_an_unknown_member_is_refused_naming_the_members():
    problem = _only(_machine(SENTIMENT, Parameters={**GOOD_SENTIMENT, "Textt": "hello"}))
    assert problem.message == 'The field "Textt" is not supported by Step Functions'
    assert problem.where == "/States/Call/Parameters" and "Text, LanguageCode" in problem.expected


def test_a_wrong_case_member_is_refused_naming_the_right_case():
    problem = _only(_machine(SENTIMENT, Parameters={"text.$": "$.text", "LanguageCode": "en", "Text": "x"}))
    assert problem.message == 'The field "text" is not supported by Step Functions' and '"Text"' in problem.expected


def test_aws_sdk_members_are_pascal_case_even_where_the_api_is_camel_case():
    good = {"TaskToken.$": "$.token", "Output": "{}"}
    assert problems(_machine(SEND_TASK_SUCCESS, Parameters=good)) == []
    problem = _only(
        _machine(SEND_TASK_SUCCESS, Parameters={"taskToken.$": "$.token", "Output": "{}", "TaskToken": "t"})
    )
    assert problem.message == 'The field "taskToken" is not supported by Step Functions'


def test_a_nested_member_is_checked_too():
    parameters = {"Destination": {"toAddresses": ["a@example.com"]}, "Content": {"Raw": {"Data": "x"}}}
    problem = _only(_machine(SEND_EMAIL, Parameters=parameters))
    assert problem.where == "/States/Call/Parameters/Destination" and '"ToAddresses"' in problem.expected


def test_a_missing_required_member_is_refused():
    problem = _only(_machine(SENTIMENT, Parameters={"Text.$": "$.text"}))
    assert problem.message == 'The field "LanguageCode" is required by DetectSentimentRequest'


def test_a_literal_of_the_wrong_type_is_refused():
    problem = _only(
        _machine(GET_ITEM, Parameters={"TableName": "t", "Key": {"id": {"S": "1"}}, "ConsistentRead": "yes"})
    )
    assert problem.message == 'The value of the field "ConsistentRead" must be a boolean'
    assert problem.where == "/States/Call/Parameters/ConsistentRead"


def test_a_literal_list_where_an_object_is_expected_is_refused():
    problem = _only(_machine(PUT_ITEM, Parameters={"TableName": "t", "Item": [{"S": "1"}]}))
    assert problem.message == 'The value of the field "Item" must be an object'


def test_a_map_value_is_checked_against_its_shape():
    problem = _only(_machine(PUT_ITEM, Parameters={"TableName": "t", "Item": {"id": {"s": "1"}}}))
    assert problem.where == "/States/Call/Parameters/Item/id" and '"S"' in problem.expected


def test_put_events_takes_detail_as_an_object():
    entries = [{"Source": "s", "DetailType": "d", "Detail": {"a.$": "$.a"}, "EventBusName": "b"}]
    assert problems(_machine(PUT_EVENTS, Parameters={"Entries": entries})) == []


def test_put_events_entries_must_be_a_list():
    problem = _only(_machine(PUT_EVENTS, Parameters={"Entries": {"Source": "s"}}))
    assert problem.message == 'The value of the field "Entries" must be an array'


def test_a_result_selector_path_must_name_output_members_in_exact_case():
    problem = _only(_machine(SENTIMENT, Parameters=GOOD_SENTIMENT, ResultSelector={"s.$": "$.sentiment"}))
    assert problem.where == "/States/Call/ResultSelector" and '"Sentiment"' in problem.expected


def test_a_result_selector_path_inside_an_intrinsic_is_checked():
    selector = {"s.$": "States.Format('{}', $.SentimentScore.positive)"}
    problem = _only(_machine(SENTIMENT, Parameters=GOOD_SENTIMENT, ResultSelector=selector))
    assert '"Positive"' in problem.expected


def test_a_result_selector_index_into_a_list_is_followed():
    task = _machine("arn:aws:states:::aws-sdk:comprehend:detectDominantLanguage", Parameters={"Text.$": "$.t"})
    task["States"]["Call"]["ResultSelector"] = {"code.$": "$.Languages[0].LanguageCode"}
    assert problems(task) == []
    task["States"]["Call"]["ResultSelector"] = {"code.$": "$.Languages.LanguageCode"}
    assert "an index" in _only(task).expected


def test_a_choice_reading_the_raw_result_through_result_path_is_checked():
    definition = _machine(
        GET_ITEM, Parameters={"TableName": "t", "Key": {"id": {"S.$": "$.id"}}}, ResultPath="$.case", Next="Check"
    )
    del definition["States"]["Call"]["End"]
    definition["States"]["Check"] = {
        "Type": "Choice",
        "Choices": [
            {"Variable": "$.case.Item.status.S", "StringEquals": "x", "Next": "Done"},
            {"Variable": "$.case.item", "IsPresent": True, "Next": "Done"},
        ],
        "Default": "Done",
    }
    definition["States"]["Done"] = {"Type": "Succeed"}
    problem = _only(definition)
    assert problem.state == "Check" and '"Item"' in problem.expected


def test_an_error_the_operation_cannot_produce_is_refused():
    definition = _machine(
        SENTIMENT, Parameters=GOOD_SENTIMENT, Retry=[{"ErrorEquals": ["Comprehend.ThrottlingException"]}]
    )
    problem = _only(definition)
    assert problem.where == "/States/Call/Retry/0/ErrorEquals"
    assert problem.message == f'The error "Comprehend.ThrottlingException" is never produced by {SENTIMENT}'
    assert "Comprehend.ComprehendException" in problem.expected


def test_a_states_error_step_functions_does_not_define_is_refused():
    definition = _machine(
        SENTIMENT, Parameters=GOOD_SENTIMENT, Catch=[{"ErrorEquals": ["States.Throttled"], "Next": "Call"}]
    )
    assert _only(definition).message == '"States.Throttled" is not an error name Step Functions defines'


def test_modelled_errors_get_the_exception_suffix_and_unmodelled_ones_the_base_exception():
    assert sdk_error_name("sfn", "SendTaskSuccess", "TaskTimedOut") == "Sfn.TaskTimedOutException"
    assert sdk_error_name("sesv2", "SendEmail", "MessageRejected") == "SesV2.MessageRejectedException"
    assert sdk_error_name("comprehend", "DetectSentiment", "ThrottlingException") == "Comprehend.ComprehendException"
    assert sdk_error_name("translate", "TranslateText", "TooManyRequestsException") == (
        "Translate.TooManyRequestsException"
    )


@pytest.mark.parametrize(
    "name",
    ["DynamoDB.InternalServerError", "DynamoDB.InternalServerErrorException", "DynamoDB.AmazonDynamoDBException"],
)
def test_dynamodb_names_whose_suffix_is_unsettled_are_both_accepted(name):
    task = integration(PUT_ITEM)
    assert task is not None and name in produced_errors(task)


def test_put_events_fails_only_with_failed_entry():
    task = integration("arn:aws:states:::events:putEvents.waitForTaskToken")
    assert task is not None and produced_errors(task) == {"EventBridge.FailedEntry"}


def test_the_refusal_reads_as_aws_writes_it():
    found = problems(_machine(SENTIMENT, Parameters={**GOOD_SENTIMENT, "Textt": "x"}))
    assert refusal(found) == (
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: "
        'The field "Textt" is not supported by Step Functions at /States/Call/Parameters\''
    )


def test_tasks_inside_parallel_branches_are_checked():
    branch = _machine(SENTIMENT, Parameters={"Text.$": "$.t"})
    definition = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [branch], "End": True}}}
    assert _only(definition).where == "/States/P/Branches/0/States/Call/Parameters"
