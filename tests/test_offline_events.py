"""offline/events/: EventBridge delivering to Step Functions and Firehose targets, with input paths and
transformers, retries and dead-letter queues, on small stacks written here in Terraform JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from offline.engine.cloud import OfflineCloud
from tests.offline_stacks import small_stack

REGION = "eu-west-1"
SOURCE = "test.source"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
ECHO = json.dumps({"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}})
WAIT = json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 1, "End": True}}})
DETAIL = {"review": {"id": "r-1", "text": 'Said "wow"'}, "stars": 5}


def document(target: dict[str, Any], *, pattern: dict[str, Any] | None = None, definition: str = ECHO) -> dict:
    """A bus, one rule with one target (the ``echo`` state machine unless ``target`` says otherwise) and a DLQ."""
    bus = "${aws_cloudwatch_event_bus.bus.name}"
    return {
        "provider": {"aws": [{"region": REGION}]},
        "resource": {
            "aws_cloudwatch_event_bus": {"bus": {"name": "test-bus"}},
            "aws_sqs_queue": {"dlq": {"name": "test-dlq"}, "inbox": {"name": "test-inbox"}},
            "aws_iam_role": {"role": {"name": "test-role", "assume_role_policy": TRUST}},
            "aws_sfn_state_machine": {
                "echo": {"name": "echo", "role_arn": "${aws_iam_role.role.arn}", "definition": definition}
            },
            "aws_cloudwatch_event_rule": {
                "rule": {
                    "name": "test-rule",
                    "event_bus_name": bus,
                    "event_pattern": json.dumps(pattern or {"source": [SOURCE]}),
                }
            },
            "aws_cloudwatch_event_target": {
                "target": {
                    "rule": "${aws_cloudwatch_event_rule.rule.name}",
                    "event_bus_name": bus,
                    "target_id": "echo",
                    "arn": "${aws_sfn_state_machine.echo.arn}",
                    "role_arn": "${aws_iam_role.role.arn}",
                    "dead_letter_config": {"arn": "${aws_sqs_queue.dlq.arn}"},
                    **target,
                }
            },
        },
    }


@contextmanager
def cloud(target: dict[str, Any] | None = None, **options: Any) -> Iterator[OfflineCloud]:
    with OfflineCloud(document(target or {}, **options)) as running:
        yield running


def deliver(running: OfflineCloud, detail: dict[str, Any] = DETAIL, source: str = SOURCE) -> str:
    event_id = running.put_event(source, "Tested", detail)
    running.drain(timeout=30)
    return event_id


def execution_input(running: OfflineCloud) -> Any:
    [delivery] = running.eventbridge.deliveries
    execution = running.client("stepfunctions").describe_execution(executionArn=delivery.result)
    return json.loads(execution["input"])


def dead_letters(running: OfflineCloud) -> list[dict[str, Any]]:
    sqs = running.client("sqs")
    url = running.resource("aws_sqs_queue", "dlq")["url"]
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])


def attributes(message: dict[str, Any]) -> dict[str, str]:
    return {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}


def test_a_state_machine_target_receives_the_whole_event():
    with cloud() as running:
        event_id = deliver(running)
        received = execution_input(running)
    assert (received["id"], received["source"], received["detail"]) == (event_id, SOURCE, DETAIL)


def test_the_event_a_target_receives_has_an_iso_time_and_no_moto_fields():
    with cloud() as running:
        deliver(running)
        received = execution_input(running)
    assert received["time"].endswith("Z") and "ingestion-time" not in received


def test_input_path_sends_only_the_selected_part():
    with cloud({"input_path": "$.detail.review"}) as running:
        deliver(running)
        assert execution_input(running) == DETAIL["review"]


def test_a_constant_input_replaces_the_event():
    with cloud({"input": json.dumps({"constant": True})}) as running:
        deliver(running)
        assert execution_input(running) == {"constant": True}


def test_an_input_transformer_quotes_values_placed_outside_strings():
    transformer = {
        "input_paths": {"stars": "$.detail.stars", "id": "$.detail.review.id"},
        "input_template": '{"s": <stars>, "i": <id>}',
    }
    with cloud({"input_transformer": transformer}) as running:
        deliver(running)
        assert execution_input(running) == {"s": 5, "i": "r-1"}


def test_an_input_transformer_places_a_texts_characters_inside_a_string_as_they_are():
    transformer = {"input_paths": {"id": "$.detail.review.id"}, "input_template": '{"path": "reviews/<id>/stars"}'}
    with cloud({"input_transformer": transformer}) as running:
        deliver(running)
        assert execution_input(running) == {"path": "reviews/r-1/stars"}


def test_an_input_transformer_whose_json_breaks_on_an_unescaped_quote_delivers_nothing():
    # EventBridge does not escape the text it places inside a string: 'Said "wow"' ends the string early.
    transformer = {"input_paths": {"text": "$.detail.review.text"}, "input_template": '{"said": "Review: <text>"}'}
    with cloud({"input_transformer": transformer}) as running:
        deliver(running)
        [delivery] = running.eventbridge.deliveries
        # Nothing reaches the target (AWS does not document a failed invocation or a dead letter for it either).
        assert (delivery.outcome, delivery.attempts, running.eventbridge.executions) == ("dropped", 0, [])
        assert "invalid JSON" in (delivery.error_message or "") and dead_letters(running) == []


def test_an_input_transformer_gives_an_empty_string_for_a_path_that_selects_nothing():
    transformer = {"input_paths": {"missing": "$.detail.nothing"}, "input_template": '{"m": <missing>}'}
    with cloud({"input_transformer": transformer}) as running:
        deliver(running)
        assert execution_input(running) == {"m": ""}


def test_an_input_transformer_knows_the_rule_name():
    transformer = {"input_paths": {}, "input_template": '{"rule": <aws.events.rule-name>}'}
    with cloud({"input_transformer": transformer}) as running:
        deliver(running)
        assert execution_input(running) == {"rule": "test-rule"}


def test_an_event_no_rule_matches_is_delivered_nowhere():
    with cloud() as running:
        deliver(running, source="other.source")
        assert running.eventbridge.deliveries == []


def test_a_rule_matching_on_detail_delivers_only_matching_events():
    with cloud(pattern={"detail": {"stars": [{"numeric": [">=", 4]}]}}) as running:
        deliver(running, detail={"stars": 2})
        deliver(running, detail={"stars": 5})
        assert [d.outcome for d in running.eventbridge.deliveries] == ["delivered"]


def test_every_delivery_is_logged_with_its_event_rule_target_and_outcome():
    with cloud() as running:
        event_id = deliver(running)
        [delivery] = running.eventbridge.deliveries
    assert (delivery.event_id, delivery.rule, delivery.target_id, delivery.attempts, delivery.outcome) == (
        event_id,
        "test-rule",
        "echo",
        1,
        "delivered",
    )


def test_a_failing_target_is_retried_as_its_policy_allows_then_dead_lettered():
    with cloud({"retry_policy": {"maximum_retry_attempts": 2, "maximum_event_age_in_seconds": 3600}}) as running:
        running.eventbridge.fail_target(running.resource("aws_sfn_state_machine", "echo")["arn"], times=10)
        deliver(running)
        [delivery] = running.eventbridge.deliveries
    assert (delivery.attempts, delivery.outcome) == (3, "dead-lettered")


def test_a_dead_lettered_event_carries_the_attributes_eventbridge_adds():
    with cloud({"retry_policy": {"maximum_retry_attempts": 1, "maximum_event_age_in_seconds": 3600}}) as running:
        machine = running.resource("aws_sfn_state_machine", "echo")["arn"]
        running.eventbridge.fail_target(machine, times=10, code="ThrottlingException", message="Rate exceeded")
        deliver(running)
        [message] = dead_letters(running)
        rule_arn = running.resource("aws_cloudwatch_event_rule", "rule")["arn"]
    assert attributes(message) == {
        "ERROR_CODE": "THROTTLING",
        "ERROR_MESSAGE": "Rate exceeded",
        "RULE_ARN": rule_arn,
        "TARGET_ARN": machine,
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
        "RETRY_ATTEMPTS": "1",
    }


def test_a_dead_lettered_message_holds_the_event():
    with cloud({"retry_policy": {"maximum_retry_attempts": 0, "maximum_event_age_in_seconds": 3600}}) as running:
        running.eventbridge.fail_target(running.resource("aws_sfn_state_machine", "echo")["arn"])
        event_id = deliver(running)
        [message] = dead_letters(running)
    assert json.loads(message["Body"])["id"] == event_id


def test_a_target_that_recovers_within_its_retries_gets_the_event():
    with cloud({"retry_policy": {"maximum_retry_attempts": 8, "maximum_event_age_in_seconds": 3600}}) as running:
        running.eventbridge.fail_target(running.resource("aws_sfn_state_machine", "echo")["arn"], times=2)
        deliver(running)
        [delivery] = running.eventbridge.deliveries
        assert (delivery.attempts, delivery.outcome, dead_letters(running)) == (3, "delivered", [])


def test_retry_waits_grow_exponentially_and_are_not_slept():
    with cloud({"retry_policy": {"maximum_retry_attempts": 3, "maximum_event_age_in_seconds": 3600}}) as running:
        running.eventbridge.fail_target(running.resource("aws_sfn_state_machine", "echo")["arn"], times=10)
        deliver(running)
        assert running.eventbridge.retry_waits == [1.0, 2.0, 4.0]


def test_the_event_age_limit_ends_the_retries():
    with cloud({"retry_policy": {"maximum_retry_attempts": 185, "maximum_event_age_in_seconds": 60}}) as running:
        running.eventbridge.fail_target(running.resource("aws_sfn_state_machine", "echo")["arn"], times=500)
        deliver(running)
        [message] = dead_letters(running)
    assert attributes(message)["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"


def test_a_missing_target_is_dead_lettered_without_retries():
    missing = f"arn:aws:states:{REGION}:123456789012:stateMachine:no-such-machine"
    with cloud(
        {"arn": missing, "retry_policy": {"maximum_retry_attempts": 8, "maximum_event_age_in_seconds": 3600}}
    ) as running:
        deliver(running)
        [delivery] = running.eventbridge.deliveries
        [message] = dead_letters(running)
    assert (delivery.attempts, attributes(message)["ERROR_CODE"]) == (1, "RESOURCE_NOT_FOUND")


def test_without_a_dead_letter_queue_an_undeliverable_event_is_dropped():
    with cloud(
        {"dead_letter_config": None, "retry_policy": {"maximum_retry_attempts": 0, "maximum_event_age_in_seconds": 60}}
    ) as running:
        running.eventbridge.fail_target(running.resource("aws_sfn_state_machine", "echo")["arn"])
        deliver(running)
        [delivery] = running.eventbridge.deliveries
        assert (delivery.outcome, dead_letters(running)) == ("dropped", [])


def test_targets_moto_delivers_itself_still_receive_the_event():
    with cloud({"arn": "${aws_sqs_queue.inbox.arn}", "role_arn": None}) as running:
        event_id = deliver(running)
        url = running.resource("aws_sqs_queue", "inbox")["url"]
        [message] = running.client("sqs").receive_message(QueueUrl=url)["Messages"]
    assert json.loads(message["Body"])["id"] == event_id


def test_drain_returns_once_the_started_execution_has_finished():
    with cloud(definition=WAIT) as running:
        deliver(running)
        [delivery] = running.eventbridge.deliveries
        status = running.client("stepfunctions").describe_execution(executionArn=delivery.result)["status"]
    assert status == "SUCCEEDED"


def test_drain_reads_an_ended_execution_once_and_never_again():
    from unittest import mock

    from offline.stepfunctions import executions

    reads: list[str] = []
    real = executions.state

    def counted(account_id: str, region: str, arn: str) -> executions.State:
        reads.append(arn)
        return real(account_id, region, arn)

    with cloud(definition=WAIT) as running, mock.patch.object(executions, "state", counted):
        deliver(running)
        [first] = running.eventbridge.executions
        settled = reads.count(first)
        deliver(running)
        running.drain(timeout=30)
        second = running.eventbridge.executions[1]
    assert reads.count(first) == settled  # no read once it was seen ended
    assert reads[-1] == second and reads.count(second) >= 1


@pytest.fixture
def firehose_document() -> dict[str, Any]:
    doc = document({"arn": "${aws_kinesis_firehose_delivery_stream.stream.arn}", "target_id": "trail"})
    doc["resource"]["aws_s3_bucket"] = {"trail": {"bucket": "test-trail"}}
    doc["resource"]["aws_kinesis_firehose_delivery_stream"] = {
        "stream": {
            "name": "test-stream",
            "destination": "extended_s3",
            "extended_s3_configuration": {
                "bucket_arn": "${aws_s3_bucket.trail.arn}",
                "role_arn": "${aws_iam_role.role.arn}",
                "prefix": "events/",
            },
        }
    }
    return doc


def test_a_firehose_target_receives_the_event_as_one_record(firehose_document):
    with OfflineCloud(firehose_document) as running:
        event_id = deliver(running)
        [body] = running.objects("test-trail", "events/").values()
    assert json.loads(body)["id"] == event_id


# --- an archive encrypted with a customer managed key -----------------------------------------------------------


def _archive_stack(key_statements: list[dict[str, Any]]) -> dict[str, Any]:
    account = "123456789012"
    admin = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    return small_stack(
        {
            "aws_cloudwatch_event_bus": {"bus": {"name": "test-bus"}},
            "aws_kms_key": {
                "key": {"policy": json.dumps({"Version": "2012-10-17", "Statement": [admin, *key_statements]})}
            },
            "aws_cloudwatch_event_archive": {
                "archive": {
                    "name": "test-archive",
                    "event_source_arn": "${aws_cloudwatch_event_bus.bus.arn}",
                    "kms_key_identifier": "${aws_kms_key.key.arn}",
                }
            },
        }
    )


def _events_may(actions: list[str], condition: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": actions,
        "Resource": "*",
        **({"Condition": condition} if condition else {}),
    }


BUS_CONTEXT = "kms:EncryptionContext:aws:events:event-bus:arn"


def test_an_archive_is_encrypted_with_a_key_whose_policy_admits_eventbridge_for_its_bus():
    statements = [
        _events_may(["kms:DescribeKey"]),
        _events_may(
            ["kms:GenerateDataKey", "kms:Decrypt", "kms:ReEncrypt*"],
            {"StringLike": {BUS_CONTEXT: "arn:aws:events:eu-west-1:123456789012:event-bus/test-*"}},
        ),
    ]
    with OfflineCloud(_archive_stack(statements)) as running:
        archive = running.resource("aws_cloudwatch_event_archive", "archive")
        assert archive["kms_key_identifier"] == running.resource("aws_kms_key", "key")["arn"]
        assert running.client("events").describe_archive(ArchiveName="test-archive")["State"] == "ENABLED"


@pytest.mark.parametrize(
    ("statements", "refused"),
    [
        ([], "kms:DescribeKey, kms:GenerateDataKey, kms:Decrypt, kms:ReEncryptFrom, kms:ReEncryptTo"),
        (
            [_events_may(["kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"])],
            "kms:ReEncryptFrom, kms:ReEncryptTo",
        ),
        (
            [
                _events_may(["kms:DescribeKey"]),
                _events_may(
                    ["kms:*"], {"StringEquals": {BUS_CONTEXT: "arn:aws:events:eu-west-1:123456789012:event-bus/other"}}
                ),
            ],
            "kms:GenerateDataKey, kms:Decrypt, kms:ReEncryptFrom, kms:ReEncryptTo",
        ),
    ],
    ids=["no-statement-for-eventbridge", "no-re-encrypt", "another-bus-context"],
)
def test_an_archive_under_a_key_eventbridge_may_not_use_for_its_bus_is_refused(
    statements: list[dict[str, Any]], refused: str
):
    with pytest.raises(ClientError, match="AccessDeniedException") as raised, OfflineCloud(_archive_stack(statements)):
        pass
    assert f"does not allow events.amazonaws.com {refused} for the event bus " in str(raised.value)


# --- archive replay -------------------------------------------------------------------------------------------------


def replay_document() -> dict[str, Any]:
    """The rule's stack with an archive of the bus and a second rule sending to a queue."""
    stack = document({})
    resources = stack["resource"]
    resources["aws_cloudwatch_event_archive"] = {
        "archive": {"name": "test-archive", "event_source_arn": "${aws_cloudwatch_event_bus.bus.arn}"}
    }
    resources["aws_cloudwatch_event_rule"]["queued"] = {
        "name": "queued-rule",
        "event_bus_name": "${aws_cloudwatch_event_bus.bus.name}",
        "event_pattern": json.dumps({"source": [SOURCE]}),
    }
    resources["aws_cloudwatch_event_target"]["queued"] = {
        "rule": "${aws_cloudwatch_event_rule.queued.name}",
        "event_bus_name": "${aws_cloudwatch_event_bus.bus.name}",
        "target_id": "inbox",
        "arn": "${aws_sqs_queue.inbox.arn}",
    }
    return stack


def put_at(running: OfflineCloud, when: datetime, n: int) -> None:
    running.client("events").put_events(
        Entries=[
            {
                "Source": SOURCE,
                "DetailType": "Tested",
                "Detail": json.dumps({"n": n}),
                "EventBusName": "test-bus",
                "Time": when,
            }
        ]
    )


def inbox(running: OfflineCloud) -> list[dict[str, Any]]:
    sqs = running.client("sqs")
    url = running.resource("aws_sqs_queue", "inbox")["url"]
    found = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        found += [json.loads(m["Body"]) for m in messages]
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return found


def start_replay(running: OfflineCloud, name: str, start: datetime, end: datetime, **destination: Any) -> dict:
    events = running.client("events")
    archive = running.resource("aws_cloudwatch_event_archive", "archive")
    bus = running.resource("aws_cloudwatch_event_bus", "bus")
    events.start_replay(
        ReplayName=name,
        EventSourceArn=archive["arn"],
        EventStartTime=start,
        EventEndTime=end,
        Destination={"Arn": bus["arn"], **destination},
    )
    running.drain(timeout=30)
    return events.describe_replay(ReplayName=name)


T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_a_replay_sends_only_the_archived_events_of_its_window_with_its_name():
    with OfflineCloud(replay_document()) as running:
        for n, minutes in enumerate((0, 10, 20)):
            put_at(running, T0 + timedelta(minutes=minutes), n)
        running.drain(timeout=30)
        assert sorted(e["detail"]["n"] for e in inbox(running)) == [0, 1, 2]
        replay = start_replay(running, "window", T0 + timedelta(minutes=5), T0 + timedelta(minutes=20))
        replayed = inbox(running)
        executions = [d for d in running.eventbridge.deliveries if d.outcome == "delivered"]
    assert replay["State"] == "COMPLETED"
    # [start, end): the event at minute 20 is left for the next window.
    assert [e["detail"]["n"] for e in replayed] == [1]
    assert replayed[0]["replay-name"] == "window"
    # The state machine target (delivered offline) got the replayed event too: 3 originals and 1 replay.
    assert len(executions) == 4


def test_a_replay_with_filter_arns_reaches_only_those_rules():
    with OfflineCloud(replay_document()) as running:
        put_at(running, T0, 0)
        running.drain(timeout=30)
        inbox(running)
        rule_arn = running.resource("aws_cloudwatch_event_rule", "rule")["arn"]
        start_replay(
            running, "only-the-rule", T0 - timedelta(minutes=1), T0 + timedelta(minutes=1), FilterArns=[rule_arn]
        )
        assert inbox(running) == []
        assert len(running.eventbridge.deliveries) == 2


def test_replayed_events_are_not_archived_again():
    with OfflineCloud(replay_document()) as running:
        put_at(running, T0, 0)
        running.drain(timeout=30)
        start_replay(running, "first", T0 - timedelta(minutes=1), T0 + timedelta(minutes=1))
        archive = running.client("events").describe_archive(ArchiveName="test-archive")
    assert archive["EventCount"] == 1


def test_a_replay_name_cannot_be_used_twice():
    with OfflineCloud(replay_document()) as running:
        start_replay(running, "once", T0, T0 + timedelta(minutes=1))
        with pytest.raises(ClientError) as raised:
            start_replay(running, "once", T0, T0 + timedelta(minutes=1))
    assert raised.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"


def test_target_input_paths_are_parsed_once_and_each_event_gets_its_own_values():
    from unittest import mock

    import jsonpath_ng.ext
    from moto.events.utils import EventTemplateParser

    from offline.events import speedups

    paths = {"kind": "$.detail-type", "who": "$.detail.data.name"}
    template = '{"kind": "<kind>", "who": "<who>", "ingested": "<aws.events.event.ingestion-time>"}'
    parses = []
    real = jsonpath_ng.ext.parse
    with (
        mock.patch.object(jsonpath_ng.ext, "parse", lambda path: parses.append(path) or real(path)),
        speedups.installed(),
    ):
        first, second = (
            EventTemplateParser.parse(
                template,
                paths,
                {"detail-type": kind, "detail": {"data": {"name": name}}, "ingestion-time": "t"},
            )
            for kind, name in (("ReviewSubmitted", "Ada"), ("ReviewAnalysed", "Bo"))
        )
    assert (first, second) == (
        {"kind": "ReviewSubmitted", "who": "Ada", "ingested": "t"},
        {"kind": "ReviewAnalysed", "who": "Bo", "ingested": "t"},
    )
    assert sorted(parses) == sorted(paths.values())
