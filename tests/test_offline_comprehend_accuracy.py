"""The offline DetectSentiment against the labelled reviews of tests/fixtures/sentiment (see its README for the set
and how its split came about). Run with ``-rA`` or ``-s`` to see the per-class figures of both splits."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from offline.comprehend.language import LanguageServices

REVIEWS = Path(__file__).parent / "fixtures" / "sentiment" / "reviews.jsonl"
LABELS = ("POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED")
# The dev stack's negative_case_threshold: a review opens a case when NEGATIVE with at least this Negative score.
CASE_THRESHOLD = 0.5
TARGET = 0.9
# The held-out figures measured once in round 9 (counts agreeing, per class, and clear complaints
# routed to customer service), on the batch a separate labeller wrote without seeing the analyzer, added after the
# analyzer was frozen (see the set's README): a change to the analyzer may raise them, not lower them. Having been
# scored, this batch is no longer unseen: tune on it and it must join train, and a new batch be written first.
HELD_OUT_FLOOR = {"POSITIVE": 35, "NEGATIVE": 37, "NEUTRAL": 29, "MIXED": 34, "clear complaints": 32}
# True while a new held-out batch is being written (the held-out tests skip, and the set may hold no test rows).
HELD_OUT_BATCH_PENDING = False


@dataclass(frozen=True)
class Scored:
    review: dict[str, Any]
    answer: dict[str, Any]

    @property
    def agrees(self) -> bool:
        return bool(self.answer["Sentiment"] == self.review["label"])

    @property
    def opens_a_case(self) -> bool:
        return bool(
            self.answer["Sentiment"] == "NEGATIVE" and self.answer["SentimentScore"]["Negative"] >= CASE_THRESHOLD
        )


@dataclass(frozen=True)
class Figures:
    split: str
    scored: list[Scored]

    def of(self, label: str) -> list[Scored]:
        return [one for one in self.scored if one.review["label"] == label]

    def agreeing(self, label: str) -> int:
        return sum(one.agrees for one in self.of(label))

    def clear_complaints(self) -> list[Scored]:
        return [one for one in self.scored if one.review["clear_complaint"]]

    def routed(self) -> int:
        return sum(one.opens_a_case for one in self.clear_complaints())

    def report(self) -> str:
        confusion = Counter((one.review["label"], one.answer["Sentiment"]) for one in self.scored)
        lines = [f"{self.split} split, {len(self.scored)} reviews (rows: label, columns: offline DetectSentiment)"]
        lines.append(f"{'':>10}" + "".join(f"{label[:3]:>6}" for label in LABELS) + "   agreement")
        for label in LABELS:
            total, agreeing = len(self.of(label)), self.agreeing(label)
            row = "".join(f"{confusion[(label, answer)]:>6}" for answer in LABELS)
            lines.append(f"{label:>10}{row}   {agreeing}/{total} {agreeing / total:.0%}")
        cases = len(self.clear_complaints())
        lines.append(f"clear complaints opening a case: {self.routed()}/{cases} {self.routed() / cases:.0%}")
        return "\n".join(lines)


def _reviews() -> list[dict[str, Any]]:
    return [json.loads(line) for line in REVIEWS.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def figures() -> dict[str, Figures]:
    services = LanguageServices()
    scored = [
        Scored(review, services.detect_sentiment({"Text": review["text"], "LanguageCode": "en"}))
        for review in _reviews()
    ]
    return {
        split: Figures(split, [one for one in scored if one.review["split"] == split]) for split in ("train", "test")
    }


def _held_out(figures: dict[str, Figures]) -> Figures:
    if HELD_OUT_BATCH_PENDING:
        pytest.skip("round 9's held-out batch is not in the set yet (see tests/fixtures/sentiment/README.md)")
    return figures["test"]


def _shortfalls(figures: Figures) -> list[str]:
    return [
        f"{label}: {figures.agreeing(label)}/{len(figures.of(label))}"
        for label in LABELS
        if figures.agreeing(label) < TARGET * len(figures.of(label))
    ]


def test_the_set_has_at_least_150_reviews_every_label_and_topic_in_both_splits():
    reviews = _reviews()
    assert len(reviews) >= 150
    # No test row while the batch is pending, so that a half-added batch or a stray row cannot pass for one.
    assert any(review["split"] == "test" for review in reviews) is not HELD_OUT_BATCH_PENDING
    for split in ("train",) if HELD_OUT_BATCH_PENDING else ("train", "test"):
        part = [review for review in reviews if review["split"] == split]
        assert {review["label"] for review in part} == set(LABELS)
        assert {review["topic"] for review in part} == {"delivery", "food", "price", "staff", "app"}
    assert all(review["label"] == "NEGATIVE" for review in reviews if review["clear_complaint"])


def test_the_figures_of_both_splits_are_reported(figures):
    held_out = "" if HELD_OUT_BATCH_PENDING else figures["test"].report() + "\n\n"
    print("\n" + held_out + figures["train"].report())


def test_every_review_gets_four_scores_summing_to_one_and_the_highest_as_its_sentiment(figures):
    for one in figures["train"].scored + figures["test"].scored:
        scores = one.answer["SentimentScore"]
        assert sum(scores.values()) == pytest.approx(1.0), one.review["text"]
        assert one.answer["Sentiment"] == max(scores, key=scores.get).upper(), one.review["text"]


def test_the_train_split_agrees_with_at_least_90_percent_of_each_class(figures):
    assert not _shortfalls(figures["train"]), figures["train"].report()


def test_the_held_out_figures_do_not_fall_below_the_last_measured(figures):
    held_out = _held_out(figures)
    measured = {label: held_out.agreeing(label) for label in LABELS} | {"clear complaints": held_out.routed()}
    lower = {name: (measured[name], floor) for name, floor in HELD_OUT_FLOOR.items() if measured[name] < floor}
    assert not lower, f"(measured, floor): {lower}\n{held_out.report()}"


@pytest.mark.xfail(
    strict=True,
    reason="issue 9's target, not met on the round-9 held-out batch (NEGATIVE 37/44 = 84%, NEUTRAL 29/35 = 83%, "
    "MIXED 34/39 = 87%, POSITIVE 35/40 = 88%): a rule-based reader misses what its lexicons and expectations do not "
    "name; "
    "strict, so meeting it fails until this mark goes",
)
def test_the_held_out_split_agrees_with_at_least_90_percent_of_each_class(figures):
    held_out = _held_out(figures)
    assert not _shortfalls(held_out), held_out.report()


@pytest.mark.xfail(
    strict=True,
    reason="issue 9's target, not met on the round-9 held-out batch (32 of 39 clear complaints open a case); "
    "strict, so meeting it fails until this mark goes",
)
def test_every_held_out_clear_complaint_opens_a_case(figures):
    held_out = _held_out(figures)
    missed = [one.review["text"] for one in held_out.clear_complaints() if not one.opens_a_case]
    assert not missed, f"{missed}\n{held_out.report()}"
