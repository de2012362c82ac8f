"""DetectSentiment offline: VADER's English lexicon, a food-delivery lexicon and a few rules, shaped as Comprehend.

Comprehend's DetectSentiment is a trained model; this is not one. It is a lexicon and a handful of explainable rules,
deterministic and fast (well under a millisecond a review), built so that the clear cases of a food-delivery review
get the answer Comprehend gives: a plain complaint NEGATIVE, praise POSITIVE, facts, questions and requests NEUTRAL,
praise and a complaint side by side MIXED. How a review is scored:

1. Cues become lexicon tokens. The multi-word cues of :data:`LEXICON_FILE` ("money back", "never arrived", "on
   time") are joined into one token each, then the patterns of :data:`_CUES` turn a kind of complaint or praise that
   no single word carries into a token whose valence is in the lexicon's ``rules``: a wait of an hour or more
   ("90 minutes", "two hours"), an excess ("too salty", "way too much"; but "not too sweet" is praise), something
   still missing ("still no refund", "still hasn't arrived"), a foreign object ("a hair in my salad"), a request
   ignored ("I asked for X and got Y"), a price rise, food that tasted off ("tasted old"). The lexicon's words are
   added to VADER's: VADER alone knows "rude" but not "cold", "late" or "soggy", so plain complaints read as neutral.
2. Negation scope (:func:`_negations`): VADER reverses a sentiment word up to three words after a negator ("not
   bad", "never had an issue"). Three cases it gets wrong are rewritten before it scores: a negated plain verb
   ("couldn't eat it", "nothing happened") is a failure all the same and becomes ``negated_action``; a negated
   *wanted* cue ("won't refund me", "no refund", the lexicon's ``wanted`` list) is still a complaint, so its negator
   becomes ``negated_action`` instead of reversing it; "nobody" ("nobody will help"), which VADER does not treat as
   a negator, becomes one. A hedge before a complaint or an unknown word ("a bit slow", "slightly expensive") marks
   a mild complaint (``mild_complaint``) instead of dampening it to nothing: Comprehend calls those NEGATIVE.
3. The review is cut into clauses, at sentence ends, commas, colons and semicolons, and before a contrast word
   ("but", "though", "however", "except"): praise and complaint in one sentence ("Fast delivery, but the pizza was
   cold.") are then weighed apart instead of cancelling out. VADER scores each clause (``compound``, -1..1) with its
   intensifiers ("very", "absolutely"), and weighs the words after a leading "but" 1.5 times. A question weighs
   :data:`QUESTION_WEIGHT`: it asks rather than judges ("Can you help me change my address?").
4. Each side's evidence is the sum of its clauses' scores; when both sides have some, both weigh more
   (:data:`CONTRAST_WEIGHT`). Evidence becomes a likelihood that the review holds praise (``p``) or a complaint
   (``n``): ``1 - exp(-evidence / EVIDENCE_SCALE)``, even odds at :data:`EVEN_ODDS_EVIDENCE`.
5. Taking the two as independent, the four scores are the four outcomes, and sum to 1:
   Positive ``p(1-n)``, Negative ``n(1-p)``, Mixed ``pn``, Neutral ``(1-p)(1-n)``. So the answer is MIXED when
   both sides are more likely than not, POSITIVE or NEGATIVE when one is, NEUTRAL when neither is (a review with no
   evaluative word at all is NEUTRAL with certainty, where Comprehend would hedge a little).

The scores are calibrated heuristics, not a model's probabilities. The constants and the lexicon were tuned on the
train split of tests/fixtures/sentiment/reviews.jsonl; tests/test_offline_comprehend_accuracy.py reports both
splits. Words outside VADER's lexicon and this one score nothing, sarcasm and irony are read literally, and context
beyond a clause is not seen: that is where it differs from Comprehend most.
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
# VADER strengthens a clause ending in "?"; a review's question asks rather than judges, so it weighs less.
QUESTION_WEIGHT = 0.5
_CLAUSE_BREAK = re.compile(
    r"(?<=[.!?;,:])\s+|\s+(?=(?:but|though|although|however|whereas|except|apart from)\b)", re.IGNORECASE
)
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
        "hasn't",
        "haven't",
        "hadn't",
        "never",
        "nothing",
    ]
)
# "did not arrive" is read as "didn't arrive", so that the rules below see one negator whichever way it is written.
_CONTRACTED = {
    f"{verb} not": f"{verb}n't"
    for verb in ("do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "could", "would", "should")
} | {"will not": "won't", "can not": "can't"}
_UNCONTRACTED = re.compile(r"\b(" + "|".join(verb.replace(" ", r"\s+") for verb in _CONTRACTED) + r")\b", re.I)
# "Nobody answered", "nobody will help": a negator VADER does not know.
_NOBODY = frozenset(["nobody", "noone", "no-one"])
# VADER's negation window: a sentiment word this close after a negator is VADER's to handle ("never had a bad meal").
_NEGATION_WINDOW = 3
# Hedges ("a bit slow"): VADER dampens the word after them; in a review they soften a complaint, not cancel it.
_HEDGE = re.compile(
    r"\b(?:a\s+(?:little\s+)?bit|a\s+little|a\s+tad|slightly|somewhat|rather)\s+(?=([a-z][\w'-]*))", re.I
)
# After a hedge, words that make it something other than a softened judgement ("a bit of", "a little extra").
_NOT_HEDGED = frozenset(["of", "more", "extra", "less", "bit", "while", "longer", "than", "the", "my", "and"])
# Words after "too" that make it no excess ("me too", "too and").
_NOT_EXCESS = r"(?:and|or|but|so|as|the|a|an|to|i|we|it|me|you|they|he|she|is|was|were|are|had|have|has)\b"
_NUMBER_WORDS = r"(?:an?|one|two|three|four|five|\d+(?:\.\d+)?)"
# Each cue: the rule token it becomes (valence in the lexicon's "rules") and the pattern, applied in this order.
_CUES: tuple[tuple[str, str], ...] = (
    (
        "best_possible",
        r"\b(?:couldn't|could\s+not|can't|cannot)\s+(?:be|have\s+been|get|have\s+got)\s+(?:any\s+)?"
        r"(?:happier|better|nicer|faster|quicker|tastier)\b",
    ),
    (
        "no_trouble",
        r"\b(?:no|never(?:\s+had)?(?:\s+(?:a|an|any))?|not\s+(?:a|one)|without(?:\s+(?:a|an|any))?)\s+(?:single\s+)?"
        r"(?:issues?|problems?|complaints?|delays?|faults?|hiccups?|hassles?|trouble)\b",
    ),
    (
        "refund_given",
        r"(?<!n't\s)(?<!not\s)(?<!never\s)(?<!no\s)\b(?:got|received|given|issued|processed|gave\s+me)\s+"
        r"(?:me\s+|us\s+)?(?:a\s+|my\s+|the\s+|our\s+)?(?:full\s+)?refund\b"
        r"|(?<!n't\s)(?<!not\s)(?<!never\s)(?<!been\s)\brefunded\s+(?:me|us|my|the|a|an|it|everything)\b",
    ),
    ("just_right", r"\bnot\s+(?:too|overly)\s+[\w'-]+"),
    ("too_much", rf"\b(?:(?:far|way|much|a\s+bit|a\s+little|slightly)\s+)?too\s+(?!{_NOT_EXCESS})[a-z][\w'-]*"),
    (
        "long_wait",
        rf"(?<!\bhalf\s)(?<!\bunder\s)(?<!\bwithin\s)\b{_NUMBER_WORDS}\s+hours?\b"
        r"|\b(?:sixty|seventy|eighty|ninety|[6-9]\d|\d{3,})\s*(?:minutes|mins)\b",
    ),
    (
        "still_missing",
        r"\bstill\s+(?:no|not|nothing|none|missing|hasn't|haven't|hadn't|isn't|wasn't|aren't|weren't|don't|doesn't"
        r"|didn't|can't|won't)\b",
    ),
    (
        "foreign_object",
        r"\b(?:hairs?|plastic|glass|metal|insects?|bugs?|fly|flies|cockroach(?:es)?|maggots?|stones?)\s+in\s+"
        r"(?:my|the|our|his|her|their)\b",
    ),
    (
        "price_rise",
        r"\b(?:prices?|fees?|charges?)\s+(?:have\s+|has\s+|keep\s+|just\s+)?(?:gone|went|going|go|shot)\s+up\b",
    ),
    (
        "tasted_off",
        r"\b(?:tasted|tastes|taste|smelled|smelt|smells|smell)\s+(?:old|off|funny|weird|strange|odd|rancid|sour|bad)\b",
    ),
)
# "I asked for X and got Y", "asked for no nuts and there were nuts in it": a request and what came instead.
_IGNORED_REQUEST = re.compile(
    r"(\basked\s+for\b[^.!?;]*?)\b(?:and|but)\s+(?:got|received|there\s+(?:was|were)|it\s+(?:came|was|had)"
    r"|they\s+(?:sent|gave|brought|put))\b(?!\s+(?:it|them|exactly|just|what))",
    re.IGNORECASE,
)


@cache
def _lexicon() -> dict[str, Any]:
    entries: dict[str, Any] = json.loads(LEXICON_FILE.read_text(encoding="utf-8"))
    return entries


def _token(phrase: str) -> str:
    return phrase.replace(" ", "_")


@cache
def _phrases() -> re.Pattern[str]:
    # Longest first, so "couldn't ask for more" wins over any shorter phrase inside it.
    phrases = sorted(_lexicon()["phrases"], key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases) + r")\b", re.I)


@cache
def _cues() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((token, re.compile(pattern, re.IGNORECASE)) for token, pattern in _CUES)


@cache
def _wanted() -> frozenset[str]:
    return frozenset(_token(cue) for cue in _lexicon()["wanted"])


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    lexicon = _lexicon()
    analyzer.lexicon.update(lexicon["words"])
    analyzer.lexicon.update({_token(phrase): valence for phrase, valence in lexicon["phrases"].items()})
    analyzer.lexicon.update(lexicon["rules"])
    return analyzer


def _negations(text: str, lexicon: Mapping[str, float]) -> str:
    words = text.split(" ")
    bare = [word.strip('.,;:!?"()').lower() for word in words]
    wanted = _wanted()
    for index, word in enumerate(bare):
        following = bare[index + 1 : index + 1 + _NEGATION_WINDOW]
        if not following or (index and bare[index - 1] == "please"):
            continue  # nothing negated, or a request ("please don't ring the bell") rather than a failure
        judged = any(other in lexicon for other in following)
        if word in _NOBODY:
            # A failure in itself ("nobody answered"), and a negator of what follows ("nobody will help").
            words[index] = "negated_action not" if judged else "negated_action"
        elif word in _NEGATORS or word == "no":
            # "won't refund me", "no refund": VADER would reverse the cue into praise. "couldn't eat it": VADER
            # sees no sentiment word to negate. ("no" alone negates facts too: "no onions, as asked".)
            negates_a_want = any(other in wanted for other in following)
            if negates_a_want or (word != "no" and not judged):
                words[index] = "negated_action"
    return " ".join(words)


def _hedges(text: str, lexicon: Mapping[str, float]) -> str:
    def mark(match: re.Match[str]) -> str:
        after = match.group(1).lower()
        if after in _NOT_HEDGED or lexicon.get(after, 0.0) > 0:
            return match.group()
        return "mild_complaint "

    return _HEDGE.sub(mark, text)


def clauses(text: str) -> list[str]:
    """``text`` with its cues turned into lexicon tokens, cut where praise and complaint are usually separated."""
    lexicon = _analyzer().lexicon
    text = " ".join(text.replace("\u2019", "'").split())
    text = _UNCONTRACTED.sub(lambda match: _CONTRACTED[match.group(1).lower()], text)
    text = _phrases().sub(lambda match: _token(" ".join(match.group().lower().split())), text)
    text = re.sub(r"\bno[\s-]one\b", "nobody", text, flags=re.IGNORECASE)
    text = _IGNORED_REQUEST.sub(r"\1ignored_request", text)
    for token, pattern in _cues():
        text = pattern.sub(token, text)
    text = _hedges(text, lexicon)
    text = _negations(text, lexicon)
    return [clause for clause in _CLAUSE_BREAK.split(text) if clause.strip()]


def _likelihood(evidence: float) -> float:
    return 1 - math.exp(-evidence / EVIDENCE_SCALE)


def _score(analyzer: SentimentIntensityAnalyzer, clause: str) -> float:
    compound = float(analyzer.polarity_scores(clause)["compound"])
    return compound * QUESTION_WEIGHT if clause.rstrip().endswith("?") else compound


def sentiment(text: str) -> dict[str, Any]:
    """Comprehend's DetectSentiment answer for ``text`` (see the module docstring for how it is computed)."""
    analyzer = _analyzer()
    scores = [_score(analyzer, clause) for clause in clauses(text)]
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
