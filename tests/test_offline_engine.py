"""offline/engine/: the synthesized reviews-dev stack brought up on moto, and events run through it for real.

One cloud runs at a time (moto's state is per process), so each group of tests shares one, scoped to its class.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from modules.common import event_catalogue, event_schema
from offline.comprehend.language import LanguageServices
from offline.engine.cloud import CONFIGURATION_ONLY, HANDLERS, INERT, OfflineCloud, Quiescence, UnsupportedResource
from offline.engine.terraform import Stack
from tests.events import review_submitted
from tests.offline_stacks import small_stack


def review(text: str, review_id: str = "review-1") -> dict[str, Any]:
    """The detail of a ReviewSubmitted, per contracts/events/review-submitted.schema.json."""
    detail: dict[str, Any] = review_submitted(text=text, reviewId=review_id)["detail"]
    return detail


def submit(running: OfflineCloud, text: str) -> str:
    return running.put_event("reviews.frontend", "ReviewSubmitted", review(text))


def published(running: OfflineCloud, detail_type: str) -> list[dict[str, Any]]:
    return [event for event in running.eventbridge.events if event["detail-type"] == detail_type]


# --- bringing the stack up ---------------------------------------------------------------------------


def test_every_resource_type_of_the_dev_stack_has_a_handler(dev):
    assert Stack(dev).types() <= {*HANDLERS, *CONFIGURATION_ONLY}


def test_a_resource_type_without_a_handler_is_an_error_naming_type_and_resource():
    with pytest.raises(UnsupportedResource, match=r"aws_lambda_function\.handler.*aws_lambda_function"):
        OfflineCloud(small_stack({"aws_lambda_function": {"handler": {"function_name": "f"}}}))


def test_a_data_source_without_a_handler_is_an_error_naming_it():
    document = {**small_stack({}), "data": {"aws_vpc": {"default": {"default": True}}}}
    with pytest.raises(UnsupportedResource, match=r"data\.aws_vpc\.default"):
        OfflineCloud(document)


def test_a_configuration_only_type_is_recorded_and_not_created(monkeypatch):
    monkeypatch.setitem(CONFIGURATION_ONLY, "aws_xray_sampling_rule", "no X-Ray offline")
    document = small_stack({"aws_xray_sampling_rule": {"rule": {"rule_name": "r"}}})
    with OfflineCloud(document) as running:
        assert running.configuration_only == {("aws_xray_sampling_rule", "rule")}


def test_two_clouds_cannot_run_at_once():
    with OfflineCloud(small_stack({})), pytest.raises(RuntimeError, match="another OfflineCloud"):
        OfflineCloud(small_stack({})).__enter__()


def test_a_resource_rejected_for_want_of_a_sibling_in_its_wave_is_created_and_the_race_recorded():
    # Logging needs the target bucket's policy to admit the logging service; nothing orders the two.
    logs_policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": "${aws_s3_bucket.logs.arn}/*",
            }
        ]
    }
    document = small_stack(
        {
            "aws_s3_bucket": {"data": {"bucket": "test-data"}, "logs": {"bucket": "test-logs"}},
            "aws_s3_bucket_logging": {
                "a": {"bucket": "${aws_s3_bucket.data.id}", "target_bucket": "${aws_s3_bucket.logs.id}"}
            },
            "aws_s3_bucket_policy": {"z": {"bucket": "${aws_s3_bucket.logs.id}", "policy": json.dumps(logs_policy)}},
        }
    )
    with OfflineCloud(document) as running:
        assert [race.split(":")[0] for race in running.ordering_races] == ["aws_s3_bucket_logging.a"]


@pytest.fixture(scope="class")
def running(dev_stack_path) -> Iterator[OfflineCloud]:
    """The dev stack, up; used by one class at a time."""
    with OfflineCloud(dev_stack_path) as up:
        yield up


@pytest.fixture(scope="class")
def after_positive_review(dev_stack_path) -> Iterator[OfflineCloud]:
    with OfflineCloud(dev_stack_path) as up:
        submit(up, "Absolutely delicious, the best margherita in town!")
        up.drain(timeout=60)
        yield up


@pytest.fixture(scope="class")
def after_negative_review(dev_stack_path) -> Iterator[tuple[OfflineCloud, Quiescence]]:
    with OfflineCloud(dev_stack_path) as up:
        submit(up, "Cold, soggy and late. Worst pizza I have ever had.")
        yield up, up.drain(timeout=60)


class TestTheDevStackComesUp:
    def test_every_resource_is_created(self, running, dev):
        managed = {address for address, resource in Stack(dev).resources.items() if not resource.is_data}
        assert managed <= set(running.attributes)

    @pytest.mark.parametrize(
        ("kind", "attribute"),
        [
            ("aws_sfn_state_machine", "arn"),
            ("aws_dynamodb_table", "name"),
            ("aws_dynamodb_table", "arn"),
            ("aws_sqs_queue", "url"),
            ("aws_sqs_queue", "arn"),
            ("aws_cloudwatch_event_bus", "name"),
            ("aws_cloudwatch_event_rule", "arn"),
            ("aws_kms_key", "arn"),
            ("aws_cognito_user_pool", "id"),
            ("aws_cognito_user_pool", "arn"),
            ("aws_cognito_user_pool_client", "id"),
            ("aws_sesv2_configuration_set", "arn"),
            ("aws_sesv2_configuration_set", "configuration_set_name"),
            ("aws_kinesis_firehose_delivery_stream", "arn"),
            ("aws_kinesis_firehose_delivery_stream", "name"),
            ("aws_s3_bucket", "arn"),
            ("aws_s3_bucket", "bucket"),
            ("aws_s3_bucket", "id"),
            ("aws_iam_role", "arn"),
            ("aws_iam_role", "name"),
            ("aws_iam_role", "id"),
            ("aws_cloudwatch_log_group", "arn"),
        ],
    )
    def test_each_resource_exposes_the_attributes_terraform_does(self, running, kind, attribute):
        resources = running.resources(kind)
        assert resources and all(attributes.get(attribute) for attributes in resources.values())

    def test_the_outputs_resolve_to_the_created_resources(self, running):
        bus = running.resource("aws_cloudwatch_event_bus", "events/bus")
        assert running.outputs["event_bus_name"] == bus["name"]

    def test_state_machines_are_created_with_resolved_definitions_and_roles(self, running):
        sfn = running.client("stepfunctions")
        for machine in running.resources("aws_sfn_state_machine").values():
            described = sfn.describe_state_machine(stateMachineArn=machine["arn"])
            assert "${" not in described["definition"] and described["roleArn"].startswith("arn:aws:iam::")

    def test_the_analysis_workflow_publishes_to_the_stacks_bus(self, running):
        machine = running.resource("aws_sfn_state_machine", "analysis/workflow")
        definition = json.loads(machine["definition"])
        scores = definition["States"]["AnalyseEachLanguage"]["ItemProcessor"]["States"]["ReadScores"]
        [outgoing] = scores["ItemProcessor"]["States"]["Analysed"]["Parameters"]["analysed"]
        assert outgoing["entry"]["EventBusName"] == running.outputs["event_bus_name"]

    def test_rule_targets_carry_their_retry_policy_and_dead_letter_queue(self, running):
        rule = running.resource("aws_cloudwatch_event_rule", "analysis/on-review-submitted")
        [target] = running.client("events").list_targets_by_rule(
            Rule=rule["name"], EventBusName=rule["event_bus_name"]
        )["Targets"]
        dlq = running.resource("aws_sqs_queue", "analysis/on-review-submitted/dlq")
        assert target["DeadLetterConfig"]["Arn"] == dlq["arn"] and target["RetryPolicy"]["MaximumRetryAttempts"] == 8

    def test_tables_get_their_indexes_and_time_to_live(self, running):
        dynamodb = running.client("dynamodb")
        cases = running.resource("aws_dynamodb_table", "customer-service/cases")["name"]
        idempotency = running.resource("aws_dynamodb_table", "thank-you/idempotency")["name"]
        [index] = dynamodb.describe_table(TableName=cases)["Table"]["GlobalSecondaryIndexes"]
        ttl = dynamodb.describe_time_to_live(TableName=idempotency)["TimeToLiveDescription"]
        assert (index["IndexName"], ttl["TimeToLiveStatus"]) == ("open-cases", "ENABLED")

    def test_the_sender_identity_is_verified_so_emails_can_be_sent(self, running):
        identity = running.resource("aws_sesv2_email_identity", "email/sender")["email_identity"]
        assert identity in running.client("ses").list_verified_email_addresses()["VerifiedEmailAddresses"]

    def test_the_audit_bucket_is_versioned_encrypted_and_private(self, running):
        s3 = running.client("s3")
        bucket = running.resource("aws_s3_bucket", "audit/bucket")["bucket"]
        encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        assert encryption["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert all(block.values())

    def test_the_registry_holds_one_schema_per_catalogued_event(self, running):
        assert set(running.schemas) == {f"{e['source']}@{e['detailType']}" for e in event_catalogue()}

    def test_an_event_its_schema_rejects_is_recorded_as_a_violation(self, running):
        event_id = running.put_event("reviews.thankyou", "ThankYouSent", {"metadata": {}, "data": {}})
        [violation] = [v for v in running.schema_violations if v.event_id == event_id]
        assert violation.schema == "reviews.thankyou@ThankYouSent" and violation.errors

    def test_an_event_without_a_registered_schema_is_recorded_as_a_violation(self, running):
        event_id = running.put_event("reviews.unknown", "SomethingHappened", {"a": 1})
        [violation] = [v for v in running.schema_violations if v.event_id == event_id]
        assert violation.errors == ("no schema registered",)


class TestAPositiveReview:
    @pytest.fixture
    def running(self, after_positive_review: OfflineCloud) -> OfflineCloud:
        return after_positive_review

    def test_the_submitted_event_matches_its_schema(self):
        event = {"source": "reviews.frontend", "detail-type": "ReviewSubmitted", "detail": review("Nice.")}
        jsonschema.Draft4Validator(event_schema("review-submitted")).validate(event)

    def test_the_analysis_workflow_publishes_review_analysed_as_positive(self, running):
        [analysed] = published(running, "ReviewAnalysed")
        assert analysed["detail"]["data"]["sentiment"] == "POSITIVE"

    def test_the_reviewer_gets_one_thank_you_email(self, running):
        [email] = running.emails()
        assert email.destinations == {"ToAddresses": ["ada@example.com"]} and "Thank you" in email.subject

    def test_thank_you_sent_follows(self, running):
        assert len(published(running, "ThankYouSent")) == 1

    def test_every_event_matches_its_registered_schema(self, running):
        assert running.schema_violations == []

    def test_every_event_is_in_the_audit_trail_under_its_source(self, running):
        bucket = running.resource("aws_s3_bucket", "audit/bucket")["bucket"]
        trail = running.json_lines(bucket, "events/")
        assert sorted(e["detail-type"] for e in trail) == ["ReviewAnalysed", "ReviewSubmitted", "ThankYouSent"]

    def test_audit_objects_are_partitioned_by_source_and_gzipped(self, running):
        bucket = running.resource("aws_s3_bucket", "audit/bucket")["bucket"]
        keys = running.objects(bucket, "events/source=reviews.frontend/date=")
        assert len(keys) == 1 and next(iter(keys)).endswith(".gz")

    def test_no_execution_is_left_waiting(self, running):
        assert running.waiting() == []

    def test_comprehend_usage_is_counted(self, running):
        assert running.language.calls["comprehend:BatchDetectSentiment"] == 1


class TestANegativeReview:
    @pytest.fixture
    def drained(self, after_negative_review: tuple[OfflineCloud, Quiescence]) -> tuple[OfflineCloud, Quiescence]:
        return after_negative_review

    def test_it_opens_a_case(self, drained):
        running, _ = drained
        [opened] = published(running, "CaseOpened")
        assert opened["detail"]["data"]["caseId"] == "review-1"

    def test_the_case_workflow_waits_for_an_agent_and_drain_reports_it(self, drained):
        _, quiescence = drained
        [waiting] = quiescence.waiting
        assert ":execution:" in waiting and "handle-negative-review" in waiting

    def test_support_is_emailed_and_the_reviewer_is_not_thanked(self, drained):
        running, _ = drained
        assert [email.destinations["ToAddresses"] for email in running.emails()] == [["support@example.com"]]


def test_a_throttled_comprehend_call_is_retried_by_the_analysis_workflow(dev_stack_path):
    waits: list[float] = []
    with OfflineCloud(dev_stack_path, language=LanguageServices(throttle=1), retry_waits=waits) as running:
        submit(running, "Absolutely delicious, the best margherita in town!")
        running.drain(timeout=60)
        assert (len(published(running, "ReviewAnalysed")), running.language.throttled.total(), len(waits)) == (1, 1, 1)


def test_configuration_only_types_each_give_a_reason():
    assert all(isinstance(reason, str) and reason for reason in CONFIGURATION_ONLY.values())


def test_inert_types_each_say_what_does_not_happen_offline_and_have_a_handler():
    assert INERT and all(reason and kind in HANDLERS for kind, reason in INERT.items())


def test_the_backend_lookup_speedup_answers_as_moto_does():
    from moto import mock_aws
    from moto.sqs.models import sqs_backends

    from offline.engine import speedups

    with mock_aws():
        first = sqs_backends["123456789012"]["us-east-1"]
        with speedups.installed():
            assert sqs_backends["123456789012"]["us-east-1"] is first
            # An account not seen yet still goes through moto's own path, which creates its backends.
            assert sqs_backends["210987654321"]["us-east-1"] is not first
            assert "210987654321" in sqs_backends


def test_the_clients_are_made_once_per_service_even_when_threads_ask_at_once():
    from concurrent.futures import ThreadPoolExecutor

    from moto import mock_aws

    from offline.engine.clients import Clients

    with mock_aws():
        clients = Clients("eu-west-1")
        with ThreadPoolExecutor(max_workers=8) as pool:
            made = list(pool.map(clients, ["sqs"] * 16 + ["stepfunctions"] * 16))
        assert len({id(client) for client in made[:16]}) == 1
        assert len({id(client) for client in made[16:]}) == 1
        assert made[0].meta.service_model.service_name == "sqs"
        assert made[0].meta.region_name == "eu-west-1"
