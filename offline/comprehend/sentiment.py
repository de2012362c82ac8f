"""DetectSentiment offline: VADER's English lexicon, a food-delivery lexicon and a few rules, shaped as Comprehend.

How a review is scored:

1. Cues become lexicon tokens: the multi-word cues of :data:`LEXICON_FILE` ("money back", "never arrived", "on time")
   are joined into one token each, a wait of an hour or more ("90 minutes", "two hours") becomes ``long_wait``, and
   a negated plain verb ("couldn't find", "nothing happened") becomes ``negated_action``. The lexicon's words are
   added to VADER's: VADER alone knows "rude" but not "cold", "late" or "soggy", so plain complaints read as neutral.
2. The review is cut into clauses, at sentence ends, commas, colons and semicolons, and before a contrast word
   ("but", "though", "however"): praise and complaint in one sentence ("Fast delivery, but the pizza was cold.")
   are then weighed apart instead of cancelling out. VADER scores each clause (``compound``, -1..1), negation
   included ("not bad", "wasn't warm").
3. Each side's evidence is the sum of its clauses' scores; when both sides have some, both weigh more
   (:data:`CONTRAST_WEIGHT`). Evidence becomes a likelihood that the review holds praise (``p``) or a complaint
   (``n``): ``1 - exp(-evidence / EVIDENCE_SCALE)``, even odds at :data:`EVEN_ODDS_EVIDENCE`.
4. Taking the two as independent, the four scores are the four outcomes, and sum to 1:
   Positive ``p(1-n)``, Negative ``n(1-p)``, Mixed ``pn``, Neutral ``(1-p)(1-n)``. So the answer is MIXED when
   both sides are more likely than not, POSITIVE or NEGATIVE when one is, NEUTRAL when neither is.

The scores are calibrated heuristics, not a model's probabilities. The constants and the lexicon were tuned on the
train split of tests/fixtures/sentiment/reviews.jsonl; tests/test_offline_comprehend_accuracy.py reports both
splits. Words outside VADER's lexicon and this one ("dry", "aggressive", "plastic") score nothing, which is where
it misses most on held-out reviews.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

LEXICON_FILE = Path(__file__).with_name("delivery-lexicon.json")
# A clause evidence at which a side is as likely as not: one clause with a single strong word ("Disgusting.",
# VADER compound -0.53) passes it, a faint one ("Nothing special", 0.31 before the lexicon's entry) does not.
EVEN_ODDS_EVIDENCE = 0.35
EVIDENCE_SCALE = EVEN_ODDS_EVIDENCE / math.log(2)
# A review that states praise and a complaint side by side means both ("Good food, slow delivery."): when each side
# has at least CONTRAST_FLOOR of evidence, both are weighted by CONTRAST_WEIGHT.
CONTRAST_FLOOR = 0.2
CONTRAST_WEIGHT = 1.5
_CLAUSE_BREAK = re.compile(r"(?<=[.!?;,:])\s+|\s+(?=(?:but|though|although|however|whereas)\b)", re.IGNORECASE)
# VADER negates only sentiment words; a negated plain verb in a review ("couldn't find", "didn't ring", "nothing
# happened") is a failure all the same. "not" and "no" are left out: they negate facts too ("not the app").
_NEGATORS = frozenset(
    [
        "can't",
        "cannot",
        "couldn't",
        "didn't",
        "doesn't",
        "don't",
        "won't",
        "wouldn't",
        "wasn't",
        "weren't",
        "isn't",
        "aren't",
        "never",
        "nothing",
    ]
)
# VADER's negation window: a sentiment word this close after a negator is VADER's to handle ("never had a bad meal").
_NEGATION_WINDOW = 3
_LONG_WAIT = re.compile(
    r"(?<!\bhalf\s)(?<!\bunder\s)(?<!\bwithin\s)\b(?:an?|one|two|three|four|five|\d+(?:\.\d+)?)\s+hours?\b"
    r"|\b(?:sixty|seventy|eighty|ninety|[6-9]\d|\d{3,})\s*(?:minutes|mins)\b",
    re.IGNORECASE,
)


@cache
def _lexicon() -> dict[str, dict[str, float]]:
    entries: dict[str, dict[str, float]] = json.loads(LEXICON_FILE.read_text(encoding="utf-8"))
    return entries


def _token(phrase: str) -> str:
    return phrase.replace(" ", "_")


@cache
def _phrases() -> re.Pattern[str]:
    # Longest first, so "couldn't ask for more" wins over any shorter phrase inside it.
    phrases = sorted(_lexicon()["phrases"], key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases) + r")\b", re.I)


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    lexicon = _lexicon()
    analyzer.lexicon.update(lexicon["words"])
    analyzer.lexicon.update({_token(phrase): valence for phrase, valence in lexicon["phrases"].items()})
    analyzer.lexicon.update(lexicon["rules"])
    return analyzer


def _negated_actions(text: str, lexicon: Mapping[str, float]) -> str:
    words = text.split(" ")
    bare = [word.strip('.,;:!?"()').lower() for word in words]
    for index, word in enumerate(bare):
        following = bare[index + 1 : index + 1 + _NEGATION_WINDOW]
        if word in _NEGATORS and following and not any(other in lexicon for other in following):
            words[index] = "negated_action"
    return " ".join(words)


def clauses(text: str) -> list[str]:
    """``text`` with its cues turned into lexicon tokens, cut where praise and complaint are usually separated."""
    text = " ".join(text.replace("\u2019", "'").split())
    text = _phrases().sub(lambda match: _token(" ".join(match.group().lower().split())), text)
    text = _LONG_WAIT.sub("long_wait", text)
    text = _negated_actions(text, _analyzer().lexicon)
    return [clause for clause in _CLAUSE_BREAK.split(text) if clause.strip()]


def _likelihood(evidence: float) -> float:
    return 1 - math.exp(-evidence / EVIDENCE_SCALE)


def sentiment(text: str) -> dict[str, Any]:
    """Comprehend's DetectSentiment answer for ``text`` (see the module docstring for how it is computed)."""
    analyzer = _analyzer()
    scores = [analyzer.polarity_scores(clause)["compound"] for clause in clauses(text)]
    praise_evidence = sum(score for score in scores if score > 0)
    complaint_evidence = -sum(score for score in scores if score < 0)
    if min(praise_evidence, complaint_evidence) >= CONTRAST_FLOOR:
        praise_evidence *= CONTRAST_WEIGHT
        complaint_evidence *= CONTRAST_WEIGHT
    praise, complaint = _likelihood(praise_evidence), _likelihood(complaint_evidence)
    result = {
        "Positive": praise * (1 - complaint),
        "Negative": complaint * (1 - praise),
        "Neutral": (1 - praise) * (1 - complaint),
        "Mixed": praise * complaint,
    }
    label = max(result, key=lambda name: result[name])
    return {"Sentiment": label.upper(), "SentimentScore": result}
