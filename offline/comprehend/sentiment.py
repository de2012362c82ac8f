"""DetectSentiment offline: VADER's English lexicon, a food-delivery lexicon and a few rules, shaped as Comprehend.

How a review is scored:

1. Multi-word cues of :data:`LEXICON_FILE` ("money back", "never arrived", "on time") are joined into one token each,
   and its words and phrases are added to VADER's lexicon: VADER alone knows "rude" but not "cold", "late" or
   "soggy", so plain complaints read as neutral.
2. The review is cut into clauses, at sentence ends, commas and semicolons, and before a contrast word ("but",
   "though", "however"): praise and complaint in one sentence ("Fast delivery, but the pizza was cold.") are then
   weighed apart instead of cancelling out. VADER scores each clause (``compound``, -1..1), negation included
   ("not bad", "wasn't warm").
3. Each side's evidence is the sum of its clauses' scores, and becomes a likelihood that the review holds praise
   (``p``) or a complaint (``n``): ``1 - exp(-evidence / EVIDENCE_SCALE)``, even odds at :data:`EVEN_ODDS_EVIDENCE`.
4. Taking the two as independent, the four scores are the four outcomes, and sum to 1:
   Positive ``p(1-n)``, Negative ``n(1-p)``, Mixed ``pn``, Neutral ``(1-p)(1-n)``. So the answer is MIXED when
   both sides are more likely than not, POSITIVE or NEGATIVE when one is, NEUTRAL when neither is.

The scores are calibrated heuristics, not a model's probabilities; :data:`EVEN_ODDS_EVIDENCE` and the lexicon were
tuned on the train half of tests/fixtures/sentiment/reviews.jsonl, and tests/test_offline_comprehend_accuracy.py
reports the held-out half.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

LEXICON_FILE = Path(__file__).with_name("delivery-lexicon.json")
# A clause evidence at which a side is as likely as not: one clause with a single strong word ("Disgusting.",
# VADER compound -0.53) passes it, a faint one ("Nothing special", 0.31 before the lexicon's entry) does not.
EVEN_ODDS_EVIDENCE = 0.35
EVIDENCE_SCALE = EVEN_ODDS_EVIDENCE / math.log(2)
_CLAUSE_BREAK = re.compile(r"(?<=[.!?;,])\s+|\s+(?=(?:but|though|although|however|whereas)\b)", re.IGNORECASE)


@cache
def _lexicon() -> tuple[dict[str, float], dict[str, float]]:
    entries = json.loads(LEXICON_FILE.read_text(encoding="utf-8"))
    return entries["words"], entries["phrases"]


def _token(phrase: str) -> str:
    return phrase.replace(" ", "_")


@cache
def _phrases() -> re.Pattern[str]:
    # Longest first, so "charged me twice" wins over any shorter phrase inside it.
    phrases = sorted(_lexicon()[1], key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases) + r")\b", re.I)


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    words, phrases = _lexicon()
    analyzer.lexicon.update(words)
    analyzer.lexicon.update({_token(phrase): valence for phrase, valence in phrases.items()})
    return analyzer


def clauses(text: str) -> list[str]:
    """``text`` with its cue phrases joined into tokens, cut where praise and complaint are usually separated."""
    joined = _phrases().sub(lambda match: _token(" ".join(match.group().lower().split())), text)
    return [clause for clause in _CLAUSE_BREAK.split(joined) if clause.strip()]


def _likelihood(evidence: float) -> float:
    return 1 - math.exp(-evidence / EVIDENCE_SCALE)


def sentiment(text: str) -> dict[str, Any]:
    """Comprehend's DetectSentiment answer for ``text`` (see the module docstring for how it is computed)."""
    analyzer = _analyzer()
    scores = [analyzer.polarity_scores(clause)["compound"] for clause in clauses(text)]
    praise = _likelihood(sum(score for score in scores if score > 0))
    complaint = _likelihood(-sum(score for score in scores if score < 0))
    result = {
        "Positive": praise * (1 - complaint),
        "Negative": complaint * (1 - praise),
        "Neutral": (1 - praise) * (1 - complaint),
        "Mixed": praise * complaint,
    }
    label = max(result, key=lambda name: result[name])
    return {"Sentiment": label.upper(), "SentimentScore": result}
