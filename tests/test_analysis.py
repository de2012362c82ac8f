"""Analysis service: asl/analyse-review.asl.json executed on moto, and its synthesized wiring."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from modules.common import event_schema
from offline.engine.aws import aws_error
from tests.events import review, review_submitted
from tests.sfn_harness import BUS, aws, scores
from tests.tf import decoded, only


class FakeComprehend:
    """Scripted Comprehend and Translate: records every call, answers or fails as told."""

    def __init__(self, sentiment: dict[str, Any], language: str | None = "en", throttle: int = 0):
        self.sentiment = sentiment
        self.language = language
        self.throttle = throttle
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def handlers(self) -> dict[tuple[str, str], Any]:
        return {
            ("comprehend", "detectSentiment"): self.detect_sentiment,
            ("comprehend", "detectDominantLanguage"): self.detect_language,
            ("translate", "translateText"): self.translate,
        }

    def detect_sentiment(self, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("detectSentiment", params))
        if self.throttle:
            self.throttle -= 1
            raise aws_error("comprehend", "DetectSentiment", "ThrottlingException", "Rate exceeded")
        return self.sentiment

    def detect_language(self, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("detectDominantLanguage", params))
        # None: Comprehend found no language (the model leaves Languages a possibly empty list).
        return {"Languages": [{"LanguageCode": self.language, "Score": 0.99}] if self.language else []}

    def translate(self, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("translateText", params))
        return {
            "TranslatedText": f"[en] {params['Text']}",
            "SourceLanguageCode": params["SourceLanguageCode"],
            "TargetLanguageCode": "en",
        }

    def called(self) -> list[str]:
        return [name for name, _ in self.calls]


def analyse(comprehend: FakeComprehend, data: dict[str, Any], retry_waits: list[float] | None = None):
    with aws(comprehend.handlers(), retry_waits=retry_waits) as harness:
        machine = harness.state_machine("analyse-review", {"EventBusName": BUS}, kind="STANDARD")
        execution = harness.run(machine, review_submitted(**data))
        return execution, harness.published()


def test_a_review_in_a_named_supported_language_costs_one_comprehend_call():
    comprehend = FakeComprehend(scores("POSITIVE", positive=0.97, neutral=0.03))
    execution, _ = analyse(comprehend, review(languageCode="en"))
    assert execution["status"] == "SUCCEEDED"
    assert comprehend.called() == ["detectSentiment"]
    assert comprehend.calls[0][1] == {"Text": "Lovely crust, will order again.", "LanguageCode": "en"}


def test_the_review_analysed_event_carries_the_review_the_scores_and_the_idempotency_key():
    comprehend = FakeComprehend(scores("POSITIVE", positive=0.97, neutral=0.03))
    _, events = analyse(comprehend, review(languageCode="en"))
    [analysed] = [e for e in events if e["detail-type"] == "ReviewAnalysed"]
    assert analysed["source"] == "reviews.analysis"
    assert analysed["detail"]["metadata"] == {"idempotency-key": "review-1"}
    data = analysed["detail"]["data"]
    assert data["sentiment"] == "POSITIVE"
    assert data["sentimentScore"] == {"positive": 0.97, "negative": 0.0, "neutral": 0.03, "mixed": 0.0}
    assert (data["reviewId"], data["languageCode"], data["translated"]) == ("review-1", "en", False)
    jsonschema.Draft4Validator(event_schema("review-analysed")).validate(analysed)


def test_a_review_without_a_language_is_detected_first():
    comprehend = FakeComprehend(scores("NEUTRAL", neutral=0.9, positive=0.1), language="fr")
    execution, _ = analyse(comprehend, review(text="C'est une pizza."))
    assert execution["status"] == "SUCCEEDED"
    assert comprehend.called() == ["detectDominantLanguage", "detectSentiment"]
    assert comprehend.calls[1][1]["LanguageCode"] == "fr"


def test_a_requested_language_that_comprehend_cannot_score_is_detected_then_translated():
    comprehend = FakeComprehend(scores("NEGATIVE", negative=0.9, neutral=0.1), language="nl")
    execution, events = analyse(comprehend, review(languageCode="nl", text="De pizza was koud."))
    assert execution["status"] == "SUCCEEDED"
    assert comprehend.called() == ["detectDominantLanguage", "translateText", "detectSentiment"]
    assert comprehend.calls[2][1] == {"Text": "[en] De pizza was koud.", "LanguageCode": "en"}
    [analysed] = [e for e in events if e["detail-type"] == "ReviewAnalysed"]
    assert (analysed["detail"]["data"]["languageCode"], analysed["detail"]["data"]["translated"]) == ("nl", True)
    assert analysed["detail"]["data"]["text"] == "De pizza was koud."


def test_throttling_is_retried_with_growing_backoff_and_then_succeeds():
    comprehend = FakeComprehend(scores("POSITIVE", positive=0.9, neutral=0.1), throttle=2)
    waits: list[float] = []
    execution, events = analyse(comprehend, review(languageCode="en"), retry_waits=waits)
    assert execution["status"] == "SUCCEEDED"
    assert comprehend.called() == ["detectSentiment"] * 3
    assert len(waits) == 2
    assert [e["detail-type"] for e in events] == ["ReviewAnalysed"]


def test_persistent_throttling_publishes_analysis_failed_with_the_whole_review_and_fails_the_execution():
    comprehend = FakeComprehend(scores("POSITIVE"), throttle=99)
    waits: list[float] = []
    execution, events = analyse(comprehend, review(languageCode="en"), retry_waits=waits)
    assert execution["status"] == "FAILED"
    assert len(comprehend.calls) == 5  # the first call and four retries
    [failed] = events
    assert failed["detail-type"] == "ReviewAnalysisFailed"
    # Comprehend models no throttling error for DetectSentiment: AWS names it after the SDK's base exception.
    assert failed["detail"]["data"]["error"] == "Comprehend.ComprehendException"
    assert failed["detail"]["data"]["text"] == review()["text"]
    jsonschema.Draft4Validator(event_schema("review-analysis-failed")).validate(failed)


def test_no_detected_language_publishes_analysis_failed_instead_of_a_runtime_error():
    comprehend = FakeComprehend(scores("POSITIVE"), language=None)
    execution, events = analyse(comprehend, {k: v for k, v in review().items() if k != "languageCode"})
    assert execution["status"] == "FAILED"
    [failed] = events
    assert (failed["detail"]["data"]["error"], failed["detail-type"]) == (
        "Analysis.NoLanguageDetected",
        "ReviewAnalysisFailed",
    )
    assert comprehend.called() == ["detectDominantLanguage"]
    jsonschema.Draft4Validator(event_schema("review-analysis-failed")).validate(failed)


def test_a_sentiment_answer_without_scores_publishes_analysis_failed():
    comprehend = FakeComprehend({"Sentiment": "POSITIVE"})
    _, events = analyse(comprehend, review(languageCode="en"))
    [failed] = events
    assert failed["detail"]["data"]["error"] == "Analysis.NoSentiment"


def test_a_review_submitted_without_its_fields_fails_naming_it_and_publishes_nothing():
    comprehend = FakeComprehend(scores("POSITIVE"))
    incomplete = {k: v for k, v in review(languageCode="en").items() if k != "reviewerEmail"}
    with aws(comprehend.handlers()) as harness:
        machine = harness.state_machine("analyse-review", {"EventBusName": BUS}, kind="STANDARD")
        execution = harness.run(machine, {**review_submitted(), "detail": {"metadata": {}, "data": incomplete}})
        published = harness.published()
    assert (execution["status"], execution.get("error")) == ("FAILED", "Analysis.MalformedReviewSubmitted")
    assert published == [] and comprehend.calls == []


def test_the_analysis_workflow_is_express(dev):
    _, machine = only(dev, "aws_sfn_state_machine", "analysis")
    assert machine["type"] == "EXPRESS"


def test_the_analysis_rule_listens_to_review_submitted_only(dev):
    _, rule = only(dev, "aws_cloudwatch_event_rule", "analysis")
    assert decoded(rule, "event_pattern") == {"detail-type": ["ReviewSubmitted"], "source": ["reviews.frontend"]}


@pytest.mark.parametrize(
    "action", ["comprehend:DetectSentiment", "comprehend:DetectDominantLanguage", "translate:TranslateText"]
)
def test_the_analysis_role_may_call_the_language_apis(dev, action):
    _, policy = only(dev, "aws_iam_role_policy", "analysis_workflow")
    actions = {a for s in decoded(policy, "policy")["Statement"] for a in s["Action"]}
    assert action in actions
