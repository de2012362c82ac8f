"""Analysis service: asl/analyse-review.asl.json executed on moto with batches as the pipe delivers them, and its
synthesized wiring (the queue, its dead-letter queue, the pipe, the rate table)."""

from __future__ import annotations

import json
import uuid
from typing import Any
from unittest import mock

import jsonschema
import pytest

from modules.common import event_schema
from offline.engine.aws import aws_error
from tests.events import review, review_submitted
from tests.sfn_harness import BUS, aws, scores
from tests.tf import decoded, only, ref

RATE_TABLE = "analysis-rate"
MAX_RECEIVE_COUNT = 3


def message(data: dict[str, Any], receive_count: int = 1, body: Any = None) -> dict[str, Any]:
    """One SQS message as EventBridge Pipes hands it to the target: the rule sent the event as the body."""
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "handle",
        "body": json.dumps(body if body is not None else review_submitted(**data)),
        "attributes": {"ApproximateReceiveCount": str(receive_count), "SentTimestamp": "1795000000000"},
        "messageAttributes": {},
        "md5OfBody": "ignored",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:reviews-test-analysis-queue",
        "awsRegion": "eu-west-1",
    }


def without_language(**overrides: Any) -> dict[str, Any]:
    return {k: v for k, v in review(**overrides).items() if k != "languageCode"}


class FakeComprehend:
    """Scripted batch Comprehend and Translate: records every call, answers or fails as told."""

    def __init__(
        self,
        *,
        languages: dict[str, str | None] | None = None,
        sentiment: dict[str, Any] | None = None,
        item_errors: dict[str, str] | None = None,
        throttle: dict[str, int] | None = None,
    ):
        self.languages = languages or {}  # text -> detected language (None: no language found)
        self.sentiment = sentiment or scores("POSITIVE", positive=0.97, neutral=0.03)
        self.item_errors = item_errors or {}  # text -> BatchItemError code
        self.throttle = dict(throttle or {})  # LanguageCode (or "detect") -> calls to throttle
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def handlers(self) -> dict[tuple[str, str], Any]:
        return {
            ("comprehend", "batchDetectSentiment"): self.batch_detect_sentiment,
            ("comprehend", "batchDetectDominantLanguage"): self.batch_detect_language,
            ("translate", "translateText"): self.translate,
        }

    def _throttled(self, key: str, operation: str) -> None:
        if self.throttle.get(key, 0) > 0:
            self.throttle[key] -= 1
            raise aws_error("comprehend", operation, "ThrottlingException", "Rate exceeded")

    def batch_detect_sentiment(self, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("batchDetectSentiment", params))
        self._throttled(params["LanguageCode"], "BatchDetectSentiment")
        results, errors = [], []
        for index, text in enumerate(params["TextList"]):
            if text in self.item_errors:
                errors.append({"Index": index, "ErrorCode": self.item_errors[text], "ErrorMessage": "refused"})
            else:
                results.append({"Index": index, **self.sentiment})
        return {"ResultList": results, "ErrorList": errors}

    def batch_detect_language(self, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("batchDetectDominantLanguage", params))
        self._throttled("detect", "BatchDetectDominantLanguage")
        results = []
        for index, text in enumerate(params["TextList"]):
            code = self.languages.get(text, "en")
            results.append({"Index": index, "Languages": [{"LanguageCode": code, "Score": 0.99}] if code else []})
        return {"ResultList": results, "ErrorList": []}

    def translate(self, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("translateText", params))
        return {
            "TranslatedText": f"[en] {params['Text']}",
            "SourceLanguageCode": params["SourceLanguageCode"],
            "TargetLanguageCode": "en",
        }

    def called(self) -> list[str]:
        return [name for name, _ in self.calls]


def analyse(
    comprehend: FakeComprehend,
    messages: list[dict[str, Any]],
    *,
    rate_limit: int = 10,
    max_rate_waits: int = 3,
    window: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Run one batch; returns (the execution's output, the events published, the execution's history)."""
    with aws(comprehend.handlers(), retry_waits=[]) as harness:
        harness.create_table(RATE_TABLE, "limit")
        if window is not None:
            harness.dynamodb.put_item(TableName=RATE_TABLE, Item=window)
        machine = harness.state_machine(
            "analyse-review",
            {
                "EventBusName": BUS,
                "RateTableName": RATE_TABLE,
                "RateLimit": str(rate_limit),
                "MaxRateWaits": max_rate_waits,
                "MaxReceiveCount": MAX_RECEIVE_COUNT,
                "TimeoutSeconds": 180,
            },
            kind="STANDARD",
        )
        execution = harness.wait(harness.start(machine, messages), timeout=120)
        assert execution["status"] == "SUCCEEDED", harness.history(execution["executionArn"])[-3:]
        return json.loads(execution["output"]), harness.published(), harness.history(execution["executionArn"])


def retried(output: dict[str, Any]) -> set[str]:
    return {failure["itemIdentifier"] for failure in output["batchItemFailures"]}


def test_a_batch_costs_one_language_detection_and_one_sentiment_call_per_language():
    comprehend = FakeComprehend(languages={"C'est bon.": "fr", "Sehr gut.": "de"})
    batch = [
        message(review(reviewId="en-1", languageCode="en")),
        message(review(reviewId="en-2", languageCode="en")),
        message(without_language(reviewId="fr-1", text="C'est bon.")),
        message(without_language(reviewId="de-1", text="Sehr gut.")),
    ]
    output, events, _ = analyse(comprehend, batch)
    assert output == {"batchItemFailures": []}
    assert sorted(comprehend.called()) == ["batchDetectDominantLanguage"] + ["batchDetectSentiment"] * 3
    detect = [params for name, params in comprehend.calls if name == "batchDetectDominantLanguage"]
    assert detect == [{"TextList": ["C'est bon.", "Sehr gut."]}]
    by_language = {p["LanguageCode"]: p["TextList"] for n, p in comprehend.calls if n == "batchDetectSentiment"}
    assert by_language == {
        "en": [review()["text"], review()["text"]],
        "fr": ["C'est bon."],
        "de": ["Sehr gut."],
    }
    assert sorted(e["detail"]["data"]["reviewId"] for e in events) == ["de-1", "en-1", "en-2", "fr-1"]


def test_each_review_analysed_event_carries_its_review_scores_and_idempotency_key():
    comprehend = FakeComprehend()
    _, events, _ = analyse(comprehend, [message(review(languageCode="en"))])
    [analysed] = events
    assert (analysed["source"], analysed["detail-type"]) == ("reviews.analysis", "ReviewAnalysed")
    assert analysed["detail"]["metadata"] == {"idempotency-key": "review-1"}
    data = analysed["detail"]["data"]
    assert data["sentimentScore"] == {"positive": 0.97, "negative": 0.0, "neutral": 0.03, "mixed": 0.0}
    assert (data["reviewId"], data["languageCode"], data["translated"], data["sentiment"]) == (
        "review-1",
        "en",
        False,
        "POSITIVE",
    )
    jsonschema.Draft4Validator(event_schema("review-analysed")).validate(analysed)


def test_a_language_comprehend_cannot_score_is_translated_and_scored_with_the_english_group():
    comprehend = FakeComprehend(languages={"De pizza was koud.": "nl"})
    batch = [
        message(review(reviewId="nl-1", languageCode="nl", text="De pizza was koud.")),
        message(review(reviewId="en-1", languageCode="en")),
    ]
    _, events, _ = analyse(comprehend, batch)
    [(_, scored)] = [(n, p) for n, p in comprehend.calls if n == "batchDetectSentiment"]
    assert scored == {"TextList": [review()["text"], "[en] De pizza was koud."], "LanguageCode": "en"}
    dutch = next(e["detail"]["data"] for e in events if e["detail"]["data"]["reviewId"] == "nl-1")
    assert (dutch["languageCode"], dutch["translated"], dutch["text"]) == ("nl", True, "De pizza was koud.")


def test_an_item_error_fails_only_its_review_with_review_analysis_failed_and_deletes_its_message():
    comprehend = FakeComprehend(item_errors={"too long": "TEXT_SIZE_LIMIT_EXCEEDED"})
    bad, good = message(review(reviewId="bad", languageCode="en", text="too long")), message(review(languageCode="en"))
    output, events, _ = analyse(comprehend, [bad, good])
    assert output == {"batchItemFailures": []}
    kinds = {e["detail"]["data"]["reviewId"]: e["detail-type"] for e in events}
    assert kinds == {"bad": "ReviewAnalysisFailed", "review-1": "ReviewAnalysed"}
    failed = next(e for e in events if e["detail-type"] == "ReviewAnalysisFailed")
    assert failed["detail"]["data"]["error"] == "Analysis.BatchItemError"
    assert failed["detail"]["data"]["cause"] == "TEXT_SIZE_LIMIT_EXCEEDED: refused"
    assert failed["detail"]["data"]["text"] == "too long"
    jsonschema.Draft4Validator(event_schema("review-analysis-failed")).validate(failed)


def test_an_internal_item_error_returns_only_its_message_to_the_queue():
    comprehend = FakeComprehend(item_errors={"flaky": "INTERNAL_SERVER_ERROR"})
    flaky, good = message(review(reviewId="flaky", languageCode="en", text="flaky")), message(review(languageCode="en"))
    output, events, _ = analyse(comprehend, [flaky, good])
    assert retried(output) == {flaky["messageId"]}
    assert [e["detail"]["data"]["reviewId"] for e in events] == ["review-1"]


def test_throttling_past_the_retries_returns_that_language_group_to_the_queue_and_analyses_the_others():
    comprehend = FakeComprehend(throttle={"en": 99})
    english = message(review(reviewId="en-1", languageCode="en"))
    french = message(review(reviewId="fr-1", languageCode="fr", text="C'est bon."))
    output, events, _ = analyse(comprehend, [english, french])
    assert retried(output) == {english["messageId"]}
    assert [(e["detail-type"], e["detail"]["data"]["reviewId"]) for e in events] == [("ReviewAnalysed", "fr-1")]
    # The first call and four retries, each named as AWS names an unmodelled throttle: Comprehend.ComprehendException.
    assert [p["LanguageCode"] for n, p in comprehend.calls].count("en") == 5


def test_throttling_that_then_clears_is_retried_within_the_execution():
    comprehend = FakeComprehend(throttle={"en": 2})
    output, events, _ = analyse(comprehend, [message(review(languageCode="en"))])
    assert output == {"batchItemFailures": []}
    assert [e["detail-type"] for e in events] == ["ReviewAnalysed"]


def test_on_its_last_receive_a_throttled_review_is_given_up_with_an_event_and_still_returned_for_the_dlq():
    comprehend = FakeComprehend(throttle={"en": 99})
    last = message(review(languageCode="en"), receive_count=MAX_RECEIVE_COUNT)
    output, events, _ = analyse(comprehend, [last])
    assert retried(output) == {last["messageId"]}
    [failed] = events
    assert failed["detail-type"] == "ReviewAnalysisFailed"
    assert failed["detail"]["data"]["error"] == "Comprehend.ComprehendException"
    assert f"given up after {MAX_RECEIVE_COUNT} receives" in failed["detail"]["data"]["cause"]
    jsonschema.Draft4Validator(event_schema("review-analysis-failed")).validate(failed)


def test_a_failed_language_detection_returns_only_the_reviews_that_needed_it():
    comprehend = FakeComprehend(throttle={"detect": 99})
    unknown = message(without_language(reviewId="unknown"))
    known = message(review(reviewId="known", languageCode="en"))
    output, events, _ = analyse(comprehend, [unknown, known])
    assert retried(output) == {unknown["messageId"]}
    assert [e["detail"]["data"]["reviewId"] for e in events] == ["known"]


def test_no_detected_language_is_a_permanent_failure_of_that_review():
    comprehend = FakeComprehend(languages={"???": None})
    output, events, _ = analyse(comprehend, [message(without_language(text="???"))])
    assert output == {"batchItemFailures": []}
    [failed] = events
    assert (failed["detail-type"], failed["detail"]["data"]["error"]) == (
        "ReviewAnalysisFailed",
        "Analysis.NoLanguageDetected",
    )


def test_a_message_without_the_review_fields_returns_to_the_queue_and_publishes_nothing():
    incomplete = {k: v for k, v in review(languageCode="en").items() if k != "reviewerEmail"}
    malformed = message({}, body={**review_submitted(), "detail": {"metadata": {}, "data": incomplete}})
    good = message(review(reviewId="good", languageCode="en"))
    comprehend = FakeComprehend()
    output, events, _ = analyse(comprehend, [malformed, good])
    assert retried(output) == {malformed["messageId"]}
    assert [e["detail"]["data"]["reviewId"] for e in events] == ["good"]


def test_twenty_five_reviews_publish_one_event_each_in_calls_of_at_most_ten():
    comprehend = FakeComprehend()
    batch = [message(review(reviewId=f"r-{i}", languageCode="en")) for i in range(25)]
    output, events, history = analyse(comprehend, batch)
    assert output == {"batchItemFailures": []}
    assert sorted(e["detail"]["data"]["reviewId"] for e in events) == sorted(f"r-{i}" for i in range(25))
    assert comprehend.called() == ["batchDetectSentiment"]
    put_events = [
        json.loads(e["taskScheduledEventDetails"]["parameters"])["Entries"]
        for e in history
        if e["type"] == "TaskScheduled" and e["taskScheduledEventDetails"]["resource"] == "putEvents"
    ]
    assert sorted(len(entries) for entries in put_events) == [5, 10, 10]


def test_an_entry_eventbridge_refuses_returns_only_its_review_and_the_rest_of_its_call_is_not_put_again():
    from moto.events.models import EventsBackend

    put_events = EventsBackend.put_events

    def one_entry_fails(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # EventBridge answers an entry it could not put with an ErrorCode in its place and puts the others.
        failing = [i for i, event in enumerate(events) if '"r-refused"' in event.get("Detail", "")]
        results = put_events(self, [event for i, event in enumerate(events) if i not in failing])
        for i in failing:
            results.insert(i, {"ErrorCode": "InternalFailure", "ErrorMessage": "an internal failure"})
        return results

    comprehend = FakeComprehend()
    batch = [message(review(reviewId=f"r-{i}", languageCode="en")) for i in range(9)]
    batch.insert(4, message(review(reviewId="r-refused", languageCode="en")))
    with mock.patch.object(EventsBackend, "put_events", one_entry_fails):
        output, events, _ = analyse(comprehend, batch)
    assert retried(output) == {batch[4]["messageId"]}
    # Each of the nine is published once: a retry of the whole call would have put them again.
    assert sorted(e["detail"]["data"]["reviewId"] for e in events) == sorted(f"r-{i}" for i in range(9))


def test_a_second_without_calls_left_makes_the_batch_wait_then_return_to_the_queue():
    # The window of a far future second already holds the limit: no call is left until then.
    full = {"limit": {"S": "BatchDetectSentiment"}, "window": {"S": "9999-12-31T23:59:59"}, "calls": {"N": "10"}}
    comprehend = FakeComprehend()
    batch = [message(review(reviewId="r-1", languageCode="en"))]
    output, events, _ = analyse(comprehend, batch, rate_limit=10, max_rate_waits=1, window=full)
    assert retried(output) == {batch[0]["messageId"]}
    assert events == [] and comprehend.calls == []


def test_calls_are_counted_in_the_rate_window():
    comprehend = FakeComprehend(languages={"C'est bon.": "fr"})
    batch = [message(review(languageCode="en")), message(without_language(reviewId="fr", text="C'est bon."))]
    with aws(comprehend.handlers(), retry_waits=[]) as harness:
        harness.create_table(RATE_TABLE, "limit")
        machine = harness.state_machine(
            "analyse-review",
            {
                "EventBusName": BUS,
                "RateTableName": RATE_TABLE,
                "RateLimit": "10",
                "MaxRateWaits": 3,
                "MaxReceiveCount": MAX_RECEIVE_COUNT,
                "TimeoutSeconds": 180,
            },
            kind="STANDARD",
        )
        harness.wait(harness.start(machine, batch), timeout=120)
        item = harness.item(RATE_TABLE, "limit", "BatchDetectSentiment")
    assert item is not None and item["window"]["S"].count(":") == 2
    # Two languages, two calls, both within one second or the second one opening the next window.
    assert int(item["calls"]["N"]) in (1, 2)


# --- the synthesized wiring ---------------------------------------------------------------------------------------


def test_the_analysis_workflow_is_express_with_its_own_timeout(dev):
    _, machine = only(dev, "aws_sfn_state_machine", "analysis")
    assert machine["type"] == "EXPRESS"
    assert json.loads(machine["definition"])["TimeoutSeconds"] == 180


def test_the_analysis_rule_queues_review_submitted_only(dev):
    _, rule = only(dev, "aws_cloudwatch_event_rule", "analysis")
    assert decoded(rule, "event_pattern") == {"detail-type": ["ReviewSubmitted"], "source": ["reviews.frontend"]}
    _, target = only(dev, "aws_cloudwatch_event_target", "analysis")
    assert target["arn"] == ref("aws_sqs_queue", only(dev, "aws_sqs_queue", "analysis_buffer_queue")[0], "arn")


def test_the_queue_redrives_to_its_dead_letter_queue_and_outlasts_an_execution(dev):
    _, queue = only(dev, "aws_sqs_queue", "analysis_buffer_queue")
    dlq_name, dlq = only(dev, "aws_sqs_queue", "analysis_buffer_dlq")
    assert decoded(queue, "redrive_policy") == {
        "deadLetterTargetArn": ref("aws_sqs_queue", dlq_name, "arn"),
        "maxReceiveCount": 5,
    }
    # The batching window, the execution's 180 s and a margin: no message is delivered twice while in flight.
    assert queue["visibility_timeout_seconds"] == 2 + 180 + 30
    assert queue["kms_master_key_id"] and dlq["kms_master_key_id"]


def test_the_pipe_starts_the_workflow_synchronously_in_batches_and_logs_no_execution_data(dev):
    _, pipe = only(dev, "aws_pipes_pipe", "analysis")
    assert pipe["source_parameters"]["sqs_queue_parameters"] == {
        "batch_size": 7,
        "maximum_batching_window_in_seconds": 2,
    }
    assert pipe["target_parameters"]["step_function_state_machine_parameters"] == {
        "invocation_type": "REQUEST_RESPONSE"
    }
    assert pipe["log_configuration"]["level"] == "ERROR"
    assert "include_execution_data" not in pipe["log_configuration"]


def test_the_pipe_role_reads_only_its_queue_and_starts_only_its_workflow(dev):
    _, policy = only(dev, "aws_iam_role_policy", "analysis_buffer_policy")
    statements = {s["Sid"]: s for s in decoded(policy, "policy")["Statement"]}
    queue = only(dev, "aws_sqs_queue", "analysis_buffer_queue")[0]
    machine = only(dev, "aws_sfn_state_machine", "analysis")[0]
    assert statements["ReadTheQueue"]["Resource"] == [ref("aws_sqs_queue", queue, "arn")]
    assert statements["StartTheWorkflow"] == {
        "Sid": "StartTheWorkflow",
        "Effect": "Allow",
        "Action": ["states:StartSyncExecution"],
        "Resource": [ref("aws_sfn_state_machine", machine, "arn")],
    }
    _, role = only(dev, "aws_iam_role", "analysis_buffer_role")
    [trust] = decoded(role, "assume_role_policy")["Statement"]
    assert trust["Principal"] == {"Service": "pipes.amazonaws.com"}


@pytest.mark.parametrize(
    "action",
    [
        "comprehend:BatchDetectSentiment",
        "comprehend:BatchDetectDominantLanguage",
        "translate:TranslateText",
        "dynamodb:UpdateItem",
    ],
)
def test_the_analysis_role_may_call_what_its_workflow_calls(dev, action):
    _, policy = only(dev, "aws_iam_role_policy", "analysis_workflow")
    actions = {a for s in decoded(policy, "policy")["Statement"] for a in s["Action"]}
    assert action in actions
