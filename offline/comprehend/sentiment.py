"""DetectSentiment offline: VADER's English lexicon, a food-delivery lexicon and a few rules, shaped as Comprehend.

Comprehend's DetectSentiment is a trained model; this is not one. It is a lexicon and a few dozen explainable rules,
deterministic and cheap (about a millisecond a review), built so that the clear cases of a food-delivery review
get the answer Comprehend gives: a plain complaint NEGATIVE, praise POSITIVE, facts, questions and requests NEUTRAL,
praise and a complaint side by side MIXED. How a review is scored:

1. Cues become lexicon tokens. The multi-word cues of :data:`LEXICON_FILE` ("money back", "never arrived", "spot on",
   "can't wait", "sorted it out", "let us down") are joined into one token each, matching their inflections too
   ("lets us down", "hit the spot" / "hits the spot"). Idioms a word list reads wrong are phrases there ("can't wait"
   is praise, "a joke" a complaint, "a steal" a bargain, "way off" wrong), and so are words VADER scores as sentiment
   that a review uses as plain nouns or verbs: a gift card, loyalty points, free delivery, happy hour name a means of
   payment or a scheme; "treat" is a verb as often as praise ("how they treat customers"), "hand", "friend", "alone",
   "starving" say nothing of the order (0.0). Review emojis VADER cannot read ("thumbs up", "face with rolling eyes")
   become tokens of their own (:data:`_EMOJI`). Then the patterns of :data:`_CUES` turn a kind of complaint or praise
   that no single word carries into a token whose valence is in the lexicon's ``rules``, each pattern with its
   example beside it. The families: waits and lateness (an hour or more, days for a reply, "40 minutes after the
   estimated time", "40 min past the estimate"); the order's integrity (eaten or opened on the way, a diet ignored,
   an excluded item that turns up, a size or option swapped, "instead of"); the food itself (too X, tasted off, a
   foreign object, crunchy rice, warm drinks, chilled drinks); price (rises, drops, a cost judged "huge"); problems
   put right ("fixed my problem", "refunded the missing drink", "the refund landed"); decline ("gone downhill", "used
   to be great"); ratings ("five stars"); difficulty ("hard to read"); unmet expectations ("could have been
   crispier", "was hoping for a nice meal") and overturned ones ("expecting a long wait, had my noodles by 11:25": no
   complaint); a failure that recurs ("keeps freezing"); the circumstance rather than the complaint (the weather, "on
   a cold night", "after a rubbish day at work", the customer's own late hour: "running late at work"); a complaint
   that is praise in disguise ("my only complaint is that I didn't order more"); a complaint denied ("haven't had a
   bad meal yet", "never had to chase an order"); loyalty ("wouldn't go anywhere else") and comparison ("puts the
   others to shame"); treatment ("treated me like an idiot"); inaccuracy ("the estimates are always off"); food left
   on the pavement; chewiness where it belongs (a crust, a bagel). Complaints told as plain facts, with no evaluative
   word, are a family of their own: money taken wrongly ("billed twice", "still charged", "the menu said 9 but I was
   charged 12", "kept my money"), refunded only in part ("only gave back half"), less than was ordered ("only three
   of the five wings", "Mine had none", "came without the herbs", "not in the bag"), the wrong door ("to my old
   address", "handed my bag to a stranger"), someone else's things, what was done without the customer's say
   ("without telling me") or after they had paid, a status that was not true ("marked as delivered while..."), what
   was claimed and denied ("was supposed to be large", "said it included a free drink but"), what was done against
   the customer's choice ("billed for a large when I chose regular", "a different flavour from the one I picked"), an
   extra chore ("had to ring three times"), a recurrence ("the third time this has happened"), a status that has not
   moved ("my issue is still open", "sat on 'preparing' for 40 minutes"), time gone by ("it's been ten days", "on
   hold for forty minutes"), little for the price, cheaper elsewhere, custom taken elsewhere, a saving undone ("the
   fee wiped out the savings"), cut off calls, staff who would not. Some of them compute rather than match: a
   delivery time set and an arrival time stated ("ordered for 7pm and it turned up at 8:15": half an hour late, or an
   hour from the time the order was placed); two counts or amounts, one stated and one got, that differ ("the receipt
   lists six items and the bag had four"); and a concession in mid-sentence naming the customer's right ("charged a
   fee even though my order qualified for free delivery") or a promise followed by what came ("I was told three days
   but..."), each left alone when the words around it are praise ("it came hot even though I live miles away", "told
   45 minutes but it came in 25, brilliant"). Across sentences, :func:`_readings_disagree` compares two readings of
   one thing and marks the one that wrongs the customer: a price stated and a higher one taken ("Menu price: £11.00.
   Price on my receipt: £13.50", or any two for "the same dish"), a count ordered and a smaller one got ("Ordered 12
   wings. Counted 8."), a duration said and a longer one taken ("App said 25 minutes, it took 70"), a fee gone from
   one figure to a higher one, a door delivered to and the one the customer lives at, something free then charged
   for, two labels of one thing naming different things ("says coleslaw on the receipt, the pot says beans"). What
   the customer did is no complaint ("I cancelled my subscription", "Even though it was raining, I collected it",
   "Submitted a refund request in the app"). Before all of these, :func:`offline.comprehend.expectations.broken`
   reads what the customer expected and the review says was broken, from knowledge kept as data (a kind of thing and
   a state wrong for it: "the ice cream was liquid"; a diet and a food that breaks it; a courier's or support's act
   against the norm; see that module): the clause stating it is marked (:data:`BROKEN`) and weighs as a complaint of
   :data:`BROKEN_WEIGHT` at least, whatever VADER reads in its words ("warm" is praise to VADER, not of ice cream).
2. Suffix folding (:func:`stem`, :func:`_fold`): a word neither lexicon knows is read as the entry it inflects
   ("quickest", "quicker", "quickly" -> "quick"; "soaking" -> "soaked"; "politely" -> "polite"), and a domain entry
   speaks for VADER's inflections of it ("cancelled" -1.5 here, so "cancels" too). Only inflected words fold, verb
   forms only into verb forms; :data:`_NOT_FOLDED` lists the words whose suffix is no inflection ("lately",
   "toppings"). Degree words are read as degree words: "pretty slow", and a complaint word before praise ("dead
   impressed", "ridiculously good", "insanely tasty") or British "well" and "proper" before a judgement ("well
   rude") read as "really"; "the dessert was incredible" is praise.
3. Negation scope (:func:`_negations`): VADER reverses a sentiment word up to three words after a negator ("not
   bad"). Cases it gets wrong are rewritten before it scores: a negated plain verb ("couldn't eat it", "nothing
   happened", "without even reading it") is a failure and becomes ``negated_action``; a negated *wanted* cue ("won't
   refund me", "no refund", the lexicon's ``wanted`` list) stays a complaint; "never" before a complaint ("never
   disappoints", "never lets us down") is praise (``no_trouble``), stronger than VADER's reversal; "nobody" becomes a
   negator. A negated verb that states no failure is left alone (:func:`_no_failure`): a thought or an expectation
   ("wasn't expecting it so soon", "didn't know you did breakfast"), a diet or a habit ("my son doesn't eat spicy
   food", unlike "couldn't eat it"), what the customer has not done yet ("haven't eaten it yet"), an instruction
   ("don't ring the bell"), whereabouts ("won't be home until 7"), a condition ("if I don't answer"). "Don't bother",
   "don't waste your money" are advice against the place (``warning``), and "no" in a request ("no beer with the deal
   please") excludes rather than complains. A hedge before a complaint or a word that judges ("a bit slow", a bare
   "Bit steep" opening a clause, "a little on the small side") marks a mild complaint (``mild_complaint``) instead of
   dampening it to nothing: Comprehend calls those NEGATIVE; before a noun ("a little message on the box") it is a
   size.
4. The review is cut into clauses, at sentence ends, commas, colons and semicolons, and before a contrast word
   ("but", "though", "however", "shame", "unfortunately"): praise and complaint in one sentence ("Fast delivery, but
   the pizza was cold.") are weighed apart instead of cancelling out. VADER scores each clause (``compound``,
   -1..1). A clause in the evaluative frame "the X was Y" weighs :data:`FRAME_WEIGHT`; a question
   :data:`QUESTION_WEIGHT`; the praise of a request ("Please make sure it's hot") or of a courtesy closing one
   :data:`REQUEST_WEIGHT`. A clause that only denies the one before ("the app is great, the support is not", "the
   food less so") takes the opposite of its score. In a review that complains, praise exclaimed on its own ("Oh
   great, cold chips again") is sarcasm and counts as a complaint (:func:`_sarcasm`).
   A clause with next to no sentiment that a contrast word sets against praise ("Nice menus, but half the items shown
   are sold out", "took 3 tries to reach a human tho") is the complaint half, told as a fact: it counts as one of
   :data:`FACT_AGAINST_PRAISE` (:func:`_fact_against_praise`); with no praise in the review it stays a fact.
   A review of plain facts only, no question, that opens with a sentence stating what it was promised or shown
   (the lexicon's ``claims``: "The promo said 50% off the first order. Receipt shows full price.") sets what came
   against it: its last clause counts as a complaint of :data:`CLAIM_AGAINST_FACT` (:func:`_claim_against_fact`).
5. Each side's evidence is the sum of its clauses' scores. A complaint conceded before a verdict that it was
   worth it ("Pricey, but worth every penny") weighs :data:`CONCESSION_WEIGHT`: the verdict is the point.
   Otherwise a contrast word joining clauses of opposite sign makes both sides weigh :data:`CONTRAST_PAIR_WEIGHT`
   (the writer means both, however faint one is); otherwise, when both sides have some, both weigh
   :data:`CONTRAST_WEIGHT`. Evidence becomes a likelihood that the review holds praise
   (``p``) or a complaint (``n``): ``1 - exp(-evidence / EVIDENCE_SCALE)``, even odds at :data:`EVEN_ODDS_EVIDENCE`.
6. Taking the two as independent, the four scores are the four outcomes, and sum to 1:
   Positive ``p(1-n)``, Negative ``n(1-p)``, Mixed ``pn``, Neutral ``(1-p)(1-n)``. So the answer is MIXED when
   both sides are more likely than not, POSITIVE or NEGATIVE when one is, NEUTRAL when neither is (a review with no
   evaluative word at all is NEUTRAL with certainty, where Comprehend would hedge a little).

:func:`clauses` shows what is scored: the review after every rewrite above, cut into clauses. Cost: about a
millisecond a review; a 5,000-byte review of one unpunctuated sentence is cut into 60-word chunks, since VADER's cost
grows with the square of a clause's length.

The scores are calibrated heuristics, not a model's probabilities. The constants and the lexicon were tuned on the
train split of tests/fixtures/sentiment/reviews.jsonl; tests/test_offline_comprehend_accuracy.py reports both
splits. Words outside VADER's lexicon and this one score nothing, sarcasm and irony are read literally (but for the
exclaimed praise above), and context beyond a clause is not seen: that is where it differs from Comprehend most.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from vaderSentiment import vaderSentiment as vader
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from offline.comprehend.expectations import broken

LEXICON_FILE = Path(__file__).with_name("delivery-lexicon.json")
# A clause evidence at which a side is as likely as not: one clause with a single strong word ("Disgusting.",
# VADER compound -0.53) passes it, a faint one ("Nothing special", 0.31 before the lexicon's entry) does not.
EVEN_ODDS_EVIDENCE = 0.35
EVIDENCE_SCALE = EVEN_ODDS_EVIDENCE / math.log(2)
# A review that states praise and a complaint side by side means both ("Good food, slow delivery."): when each side
# has at least CONTRAST_FLOOR of evidence, both are weighted by CONTRAST_WEIGHT.
CONTRAST_FLOOR = 0.2
CONTRAST_WEIGHT = 1.5
# An explicit contrast between clauses of opposite sign ("Cheap, but cold.", "Lovely driver, wrong order though.")
# says the writer means both sides, however faint one of them is: each side then weighs CONTRAST_PAIR_WEIGHT.
CONTRAST_PAIR_WEIGHT = 2.0
# "The X was Y": a clause that states a judgement of its subject is the review's point, not an aside; it weighs more.
FRAME_WEIGHT = 1.25
# VADER strengthens a clause ending in "?"; a review's question asks rather than judges, so it weighs less.
QUESTION_WEIGHT = 0.5
# A request's praise word names a wish, not a judgement ("Please make sure it's hot", "I'd love to know if..."), and
# so does the courtesy closing a request or a question ("..., thank you."): such praise weighs REQUEST_WEIGHT. A
# complaint made as a request ("Please stop sending cold food") keeps its weight.
REQUEST_WEIGHT = 0.35
_REQUEST = re.compile(
    r"^\W*(?:(?:and|so|also)\s+)?(?:please|kindly|can\s+you|could\s+you|would\s+you|will\s+you|make\s+sure"
    r"|(?:i|we)(?:'d|\s+would)[\s_]+(?:like|love)|(?:i|we)[\s_]+would_like|is\s+it\s+possible)\b|\bplease\W*$"
    # An instruction put as a negation ("Don't need any cutlery", "No need to ring").
    r"|^\W*(?:(?:we|i)\s+)?(?:don't|do\s+not)\s+(?:need|ring|knock|buzz|call|leave|put|add|include|send|bring|forget)\b"
    r"|^\W*no\s+need\s+(?:for|to)\b",
    re.IGNORECASE,
)
_COURTESY = re.compile(
    r"^\W*(?:many\s+|thanks\s+and\s+)?(?:thanks|thank\s+you|cheers|ta)(?:\s+(?:so\s+much|very\s+much|in\s+advance"
    r"|a\s+lot))?\W*$",
    re.IGNORECASE,
)
_MAX_CLAUSE_WORDS = 60
# "let_down" is the lexicon's phrase token: "Delicious food let down by a rude driver."
_CONTRAST_WORDS = (
    r"(?:but|though|tho|although|however|whereas|except|apart\s+from|yet|shame|pity|unfortunately|sadly|let_down\s+by)"
)
# A contrast word starts a clause, unless it ends the sentence ("Wrong order though."), where it marks the contrast.
# "even though" concedes inside one clause ("charged a fee even though I chose collection") rather than contrasting.
_CLAUSE_BREAK = re.compile(rf"(?<=[.!?;,:])\s+|(?<!\beven)\s+(?={_CONTRAST_WORDS}\b(?!\s*(?:[.!?]|$)))", re.IGNORECASE)
_TRAILING_CONTRAST = re.compile(r"\b(?:though|tho|however)\W*$", re.IGNORECASE)
_CONTRAST = re.compile(rf"^\W*{_CONTRAST_WORDS}\b|{_TRAILING_CONTRAST.pattern}", re.IGNORECASE)
# The evaluative frame: a subject, a linking verb, then the judgement (possibly after a degree word).
_FRAME = re.compile(
    r"\b(?:the|my|our|your|this|that|these|those|his|her|their|it|they|everything|everyone)\b[^,;:]{0,60}?"
    r"\b(?:is|was|are|were|looked|looks|tasted|tastes|felt|feels|seemed|seems|smelled|smells|arrived|came)\s+"
    r"(?:(?:very|so|quite|really|pretty|super|too|extremely|absolutely|totally|completely|rather|a\s+bit|a\s+little"
    r"|slightly|somewhat|fairly|incredibly|still|just|always|never|not)\s+)*([a-z][\w'-]*)",
    re.IGNORECASE,
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
    # "Bit steep for two tacos": a clause may open with a bare "bit".
    r"(?:\b(?:a\s+(?:little\s+)?bit|a\s+little|a\s+tad|slightly|somewhat|rather)|(?:^|(?<=[.!?;,]\s))bit)\s+"
    r"(?=([a-z][\w'-]*))",
    re.I,
)
# After a hedge, words that make it something other than a softened judgement ("a bit of", "a little extra").
_NOT_HEDGED = frozenset(["of", "more", "extra", "less", "bit", "while", "longer", "than", "the", "my", "and"])
# Words after "too" that make it no excess ("me too", "too and").
_NOT_EXCESS = r"(?:and|or|but|so|as|the|a|an|to|i|we|it|me|you|they|he|she|is|was|were|are|had|have|has)\b"
_NUMBER_WORDS = r"(?:an?|one|two|three|four|five|\d+(?:\.\d+)?)"
# What is meant to come cold.
_CHILLED = (
    r"(?:drinks?|beers?|sodas?|cokes?|colas?|lemonades?|milkshakes?|shakes?|smoothies?|juices?|ice\s+cream|gelato"
    r"|wine|water|iced\s+(?:tea|coffee|latte)|sushi|sashimi|salads?|poke|ceviche|coleslaw|yogh?urt|cheesecake)"
)
# What a price is called, and up to four words between it and what is said of it ("the prices on the app are").
_COST = r"(?:prices?|fees?|charges?|costs?|bill|surcharge)"
_GAP = r"(?:\s+(?!(?:are|is|were|was|have|has|got)\b)[\w'-]+){0,4}?"
# Each cue: the rule token it becomes (valence in the lexicon's "rules") and the pattern, applied in this order.
_CUES: tuple[tuple[str, str], ...] = (
    (
        # A complaint that is praise in disguise ("my only complaint is that I didn't order more", "only gripe: there
        # wasn't enough of it", "only complaint? None."): read before the negations and "too" below see its parts.
        "no_real_complaint",
        r"\b(?:only|one|biggest|single)\s+(?:complaint|gripe|criticism|downside|issue|problem|negative|niggle|regret"
        r"|con)\b[^.!?]{0,40}?(?:\b(?:didn't|did\s+not|should(?:'ve|\s+have)|wish\s+(?:i|we)(?:'d|\s+had))\s+"
        r"(?:order(?:ed)?|get|got|buy|bought)\s+(?:more|extra|double|two|another|a\s+large(?:r)?|a\s+bigger)\b"
        r"|\b(?:not|wasn't|isn't|weren't|aren't)\s+(?:enough|more)\b|\bthere\s+(?:wasn't|isn't)\s+more\b"
        r"|\b(?:ran|run|runs)\s+out\b|\b(?:finished|gone|ate\s+it|over)\s+too\s+(?:fast|quickly|soon)\b"
        r"|[?:]\s*(?:none|nothing)\b|\b(?:is|was)\s+(?:none|nothing)\b)",
    ),
    (
        # The weather or the day had is the circumstance, not the complaint ("absolutely chucking it down", "on a
        # cold night", "despite the rain", "after a rubbish day at work"): a meal that helped is praise, the
        # circumstance itself no complaint. "Left in the rain" stays one.
        "circumstance",
        r"\b(?:chucking|pouring|tipping|bucketing|lashing|teeming|pissing)\s+(?:it\s+)?down\b"
        r"|\b(?:pouring|heavy|torrential|freezing|driving)\s+rain\b"
        r"|\b(?:despite|even\s+in|through)\s+(?:the|all\s+the|this)\s+(?:rain|snow|storm|weather|wind|ice|cold|heat)\b"
        r"|\b(?:(?:really|very|so|bitterly|freezing|wet|miserable|rainy|stormy|cold|chilly|icy|snowy|windy|frosty|grey)"
        r"\s+){1,3}(?:night|nights|evening|evenings|day|days|morning|afternoon|weather|outside)\b"
        r"|\b(?:horrible|awful|terrible|foul|filthy|dreadful|bad|nasty)\s+weather\b"
        r"|\bafter\s+(?:a|my|such\s+a|the)\s+(?:(?:really|very|so|long|rubbish|bad|hard|tough|stressful|awful|terrible"
        r"|horrible|crap|crappy|busy|exhausting|rough|miserable|nightmare|manic|hectic)\s+){1,3}"
        r"(?:day|week|shift|night|month)\b",
    ),
    (
        # What the customer expected is not what came ("Ordered at 11pm expecting a long wait, had my noodles by
        # 11:25", "expecting soggy fries and they were crispy"): the expectation itself is no complaint, and what
        # came is read on its own.
        "past_doubt",
        r"\b(?:expecting|braced\s+for|bracing\s+(?:myself\s+|ourselves\s+)?for|dreading)\s+(?:an?\s+|the\s+|some\s+)?"
        r"(?:[\w'-]+\s+){0,2}?[\w'-]+(?=\s*,\s|\s+(?:and|but)\s)",
    ),
    (
        # A request the customer filed ("Submitted a refund request in the app yesterday", "I requested a refund
        # through the app"): the filing is a fact; what became of it says whether there is a complaint.
        "filed_request",
        r"\b(?:submitted|requested|raised|filed|opened|logged|put\s+in|made)\s+(?:a|an|my|the)\s+(?:refund|return)"
        r"(?:\s+(?:request|claim))?\b(?=[^.!?]{0,40}\b(?:through|in|via|on|for|yesterday|today|this)\b)",
    ),
    (
        # The customer's own late hour ("Running late at work", "Ordering late tonight"): the circumstance of a
        # request, not a late delivery.
        "circumstance",
        r"\b(?:running|working|ordering|finishing|(?:i'm|i\s+am|we're|we\s+are|i'll\s+be|we'll\s+be)(?:\s+(?:home|back))?)\s+"
        r"(?:a\s+(?:bit|little)\s+)?late\b(?!\s+(?:again|because\s+of|thanks\s+to|due\s+to))",
    ),
    (
        # Chewiness as some foods should have it ("the crust was blistered and chewy", "chewy bagels"), unlike meat.
        "pleasantly_chewy",
        r"\b(?:crusts?|bases?|bagels?|cookies?|udon|mochi|dough|sourdough|bread)\s+(?:[\w'-]+\s+){0,4}?chewy\b"
        r"|\bchewy(?=\s+(?:crusts?|bases?|bagels?|cookies?|brownies?|noodles|udon|mochi|dough|sourdough|focaccia"
        r"|pretzels?|gnocchi|naan|bread)\b)",
    ),
    (
        # Attention elsewhere ("more interested in their phones than serving me").
        "indifferent",
        r"\bmore\s+interested\s+in\b",
    ),
    (
        # Better than the rest ("puts the other places to shame", "blows the chains out of the water").
        "outclasses",
        r"\bput(?:s|ting)?\s+(?:[\w'-]+\s+){1,4}?to\s+shame\b|\bblows?\s+(?:[\w'-]+\s+){1,4}?out\s+of\s+the\s+water\b",
    ),
    (
        # Loyalty ("wouldn't go anywhere else", "never ordering from anywhere else", "I keep coming back").
        "loyal",
        r"\b(?:wouldn't|won't|never|will\s+never|not)\s+(?:be\s+)?(?:go|order|going|ordering|use|using|eat|eating"
        r"|get|getting)\s+(?:(?:my|our)\s+[\w'-]+\s+)?(?:from\s+)?anywhere\s+else\b"
        r"|\b(?:keep|keeps|kept|always)\s+(?:coming|going)\s+back\b",
    ),
    (
        # Staff's treatment judged ("treated me like an idiot", "no way to treat a customer"): "treat" is no praise.
        "mistreated",
        r"\btreat(?:ed|s|ing)?\s+(?:me|us|customers?|people|them|him|her|everyone)\s+like\s+(?:an?\s+)?(?:\w+\s+)?"
        r"(?:idiots?|dirt|rubbish|criminals?|children|child|nuisances?|muck|garbage|trash|inconvenience|nothing|fools?"
        r"|suspects?|liars?)\b|\bno\s+way\s+to\s+treat\b",
    ),
    (
        # A time or a place shown wrongly ("the delivery estimates are always off", "the pin was off").
        "inaccurate",
        r"\b(?:estimates?|eta|etas|timings?|tracking|tracker|times|map|pin|location|gps)\s+(?:is|are|was|were)\s+"
        r"(?:(?:always|often|usually|completely|totally|a\s+bit|slightly|still|so|really)\s+)*off\b",
    ),
    (
        # "Haven't had a bad meal yet", "yet to have a bad order": a complaint denied is praise.
        "no_trouble",
        r"\b(?:haven't|hasn't|not|yet\s+to|never)\s+(?:once\s+|ever\s+)?(?:had|have|got|get|received)\s+(?:a|an|one|any)\s+"
        r"(?:single\s+)?(?:bad|poor|cold|late|wrong|disappointing|terrible|awful|dodgy|rubbish)\b"
        # "Never had to chase an order", "didn't have to wait": the chore a bad service makes, spared.
        r"|\b(?:never|didn't|haven't\s+ever|not\s+once)\s+(?:had|have|needed|need|having)?\s*to\s+"
        r"(?:chase|wait|ask|call|ring|complain|worry|contact|remind|queue|follow\s+up|send\s+(?:it|anything)\s+back)\b",
    ),
    (
        # A problem put right ("fixed my problem", "resolved the issue"): praise, though "problem" is a complaint word.
        "resolved",
        r"\b(?:fixed|solved|resolved|sorted(?:_out)?|dealt\s+with|handled|cleared\s+up|straightened\s+out)\s+(?:out\s+)?"
        r"(?:(?:my|the|our|this|that|every|all|any)\s+)?(?:(?:missing|wrong|cold|damaged|late|lost|forgotten|broken"
        r"|spilled|spilt)\s+)?(?:[\w-]+\s+)?(?:problems?|issues?|complaints?|query|queries|mix-up|mistakes?|errors?"
        r"|items?|order|meal|drinks?|food|refund|account|address|payment|booking|login|card)\b"
        r"|\b(?:replaced|remade|re-sent|resent|redelivered)\s+(?:(?:my|the|our|it|whole|entire)\s+){1,2}"
        r"(?:order|meal|food|items?|pizza|drinks?|dish)?",
    ),
    (
        # A delay stated against what was promised ("forty minutes after the estimated time").
        "late",
        r"\b(?:minutes|mins?|hours?|hrs?)\s+(?:after|past|later\s+than|beyond|behind)\s+(?:the\s+|my\s+|our\s+)?"
        # "50 minutes after the latest time on the tracker", "40 min past the estimate", "after the time shown".
        r"(?:(?:latest|last|original|first)\s+)?(?:estimated|estimate|expected|promised|quoted|scheduled|stated|given"
        r"|eta|delivery\s+window|window|slot|time\s+(?:shown|given|quoted|promised|stated|on|at|in|they))\b",
    ),
    (
        # Someone delivering waited for the customer: patience, not a complaint about waiting.
        "kindly_waited",
        r"\b(?:driver|rider|courier|he|she)\s+(?:(?:kindly|patiently|happily|even|also|then)\s+)?waited\b"
        r"|\bwaited\s+(?:patiently|kindly)\s+(?:at|outside|by|in|while)\b"
        r"|\beven\s+waited\b|\b(?<!\bi\s)(?<!\bwe\s)waited\s+(?:for\s+me\s+|for\s+us\s+)?(?:while|whilst|until|till)\s+"
        r"(?:i|we)\b",
    ),
    (
        # Texture that means undercooked for this food ("the rice was crunchy"), whatever it means for crisps.
        "undercooked_texture",
        r"\b(?:rice|pasta|noodles|beans|lentils|potatoes|chickpeas|spaghetti|risotto)\s+(?:was|were|is|are)\s+"
        r"(?:(?:still|really|so|very|a\s+bit|slightly)\s+)?(?:crunchy|hard|crispy|chalky)\b"
        # Meat that should be cooked through ("the chicken was pink inside").
        r"|\b(?:chicken|pork|turkey|sausages?)\s+(?:was|were|is|are)\s+(?:(?:still|really|so|very|a\s+bit|slightly)\s+)?"
        r"(?:pink|bloody|raw)\b",
    ),
    (
        # Left where food should not be ("left on the pavement", "dumped it on the floor"); a doorstep may be asked for.
        "dumped",
        r"\b(?:left|dumped|put|placed|dropped|thrown|threw)\s+(?:it\s+|them\s+|(?:my|our|the)\s+(?:food|order|bag|meal)\s+)?"
        r"(?:on|in)\s+the\s+(?:pavement|floor|ground|street|kerb|curb|road|gutter|grass|mud|puddle|bins?)\b",
    ),
    (
        # Standards that fell ("the quality has slipped").
        "decline",
        r"\b(?:quality|standards?|service|food|portions?|taste|cooking)\s+(?:has\s+|have\s+|had\s+)?"
        r"(?:really\s+|definitely\s+|noticeably\s+)?(?:slipped|dropped|declined|gone\s+down|went\s+down|fallen"
        r"|deteriorated|worsened|dipped|suffered)\b",
    ),
    ("recommend_enough", r"\b(?:can't|cannot|couldn't)\s+recommend\s+(?:[\w'-]+\s+){0,3}?enough\b"),
    (
        "top_rating",
        r"(?<![\d.])\b(?:five|5)\s+stars?\b|(?<![\d.])\b(?:10|ten)\s*(?:/|out\s+of)\s*(?:10|ten)\b"
        r"|(?<![\d.])\b5\s*(?:/|out\s+of)\s*5\b",
    ),
    ("bottom_rating", r"(?<![\d.])\b(?:zero|0|one|1|no)\s+stars?\b"),
    (
        "difficulty",
        r"\b(?:hard|difficult|impossible|tricky|awkward|a\s+pain)\s+to\s+"
        r"(?!(?:beat|fault|believe|resist|top|say|tell|complain|choose|pick|decide)\b)[a-z]+",
    ),
    (
        "quick_arrival",
        r"\b(?:[\w-]+\s+)?minutes\s+flat\b|\bwithin\s+(?:a\s+few\s+|just\s+|only\s+)?(?:minutes|a\s+minute)\b"
        r"|\b(?:in|took)\s+(?:just|only|under|less\s+than)\s+(?:[\w-]+\s+)?(?:minutes|mins)\b",
    ),
    (
        # What should be cold came warm ("the drinks were warm", "melted ice cream"): VADER reads "warm" as praise.
        "wrong_temperature",
        rf"\b{_CHILLED}(?:\s+(?:was|were|is|are|came|arrived))?(?:\s+(?:all|completely|totally|really|so|very))?\s+"
        r"(?:warm|hot|lukewarm|tepid|melted|flat|room\s+temperature)\b"
        rf"|\b(?:warm|lukewarm|tepid|melted|flat)\s+{_CHILLED}",
    ),
    (
        "well_chilled",
        rf"\b{_CHILLED}(?:\s+(?:was|were|is|are|came|arrived))?(?:\s+(?:still|nice\s+and|perfectly|really|so|very))?\s+"
        r"(?:ice[\s-]cold|cold|chilled|frosty|icy)\b|\b(?:ice[\s-]cold|chilled|frosty)\s+" + _CHILLED,
    ),
    (
        # A diet ordered and the food it excludes found in the order.
        "ignored_request",
        r"\b(?:vegetarian|vegan|veggie|meat-free|plant-based|halal|kosher|dairy-free|gluten-free)\b[^.!?]{0,120}?"
        # ("came with vegan cheese": the food is of the diet.)
        r"\b(?:came\s+with|contained|there\s+(?:was|were)|found|it\s+had|full\s+of|covered\s+in)\s+"
        r"(?:(?!(?:vegan|vegetarian|veggie|plant-based|dairy-free|meat-free|mock|faux|fake|no)\b)\w+\s+){0,2}?"
        r"(?<!vegan\s)(?<!veggie\s)(?<!mock\s)(?<!faux\s)(?<!fake\s)(?:meat|chicken|beef|pork|bacon|ham|sausage|pepperoni|lamb|fish|prawns?|shrimp|tuna|anchovies|cheese)\b",
    ),
    (
        # Decline: "gone downhill", "not what it used to be", "used to be great".
        "decline",
        r"\b(?:gone|went|going|goes)\s+downhill\b|\bnot\s+what\s+(?:it|they)\s+used\s+to\s+be\b"
        r"|\bused\s+to\s+be\s+(?:so\s+|really\s+|much\s+|a\s+lot\s+)?(?:good|great|better|amazing|nice|lovely"
        r"|excellent|brilliant|the\s+best|bigger|cheaper|hotter|nicer|tastier|fresher|faster|quicker)\b"
        r"|\b(?:half|a\s+fraction\s+of|a\s+third\s+of)\s+(?:the|what)\s+(?:size|amount|portion)\b"
        r"|\b(?:smaller|less|worse|fewer|pricier|slower|more\s+expensive)\s+than\s+(?:it|they)\s+used\s+to\b",
    ),
    (
        # Handled roughly on the way ("had been dropped", "all the toppings slid to one side").
        "mishandled",
        r"\b(?:been|was|were|got)\s+(?:really\s+)?(?:dropped|thrown|shaken|tipped\s+over|turned\s+upside\s+down|bashed)\b"
        r"|\b(?:slid|slidden|moved|pushed)\s+to\s+one\s+side\b",
    ),
    (
        # Too much of the cheap part ("more batter than chicken").
        "disproportion",
        r"\bmore\s+(?:batter|bread|bun|rice|bones?|fat|gristle|ice|water|foam|air|packaging|filler|pastry|dough|crust"
        r"|lettuce|onions?|sauce)\s+than\s+[a-z]+",
    ),
    (
        # The order's integrity: someone on the way ate or drank from it.
        "tampered",
        r"\b(?:half[\s-]eaten|partly\s+eaten|(?:been|was|were)\s+(?:eaten|nibbled|tampered\s+with)|tampered\s+with"
        r"|(?:rider|driver|courier|someone|somebody)\s+(?:had\s+)?(?:clearly\s+|obviously\s+|definitely\s+)?"
        r"(?:ate|eaten|drank|drunk|nibbled|helped\s+(?:himself|herself|themselves)\s+to|opened\s+(?:my|the|our)"
        # "took a photo of the door" is the courier's proof of delivery, "took a bite" is not.
        r"|took\s+(?:a\s+(?:bite|chip|fry|slice|piece|sip|swig|drink|handful|few|couple)|some|one|two|half)\b)"
        r"|\b(?:drove|ran|walked|went)\s+off\s+with\b|\bstole\b"
        r"|\b(?:took|left\s+with)\s+(?:my|the|our)\s+(?:food|order|bag|meal|delivery)\s+(?:with\s+(?:him|her|them)|away)\b)",
    ),
    (
        "best_possible",
        r"\b(?:couldn't|could\s+not|can't|cannot)\s+(?:be|have\s+been|get|have\s+got)\s+(?:any\s+)?"
        r"(?:happier|better|nicer|faster|quicker|tastier)\b"
        r"|\b(?:couldn't|could\s+not|can't|cannot)\s+(?:have\s+)?(?:asked|ask|wished|wish)\s+for\s+(?:a\s+|any\s+)?"
        r"(?:better|more|nicer|faster|quicker|tastier)\b",
    ),
    (
        "no_trouble",
        r"\b(?:no|zero|never(?:\s+had)?(?:\s+(?:a|an|any))?|not\s+(?:a|one)|without(?:\s+(?:a|an|any))?)\s+(?:single\s+)?"
        r"(?:issues?|problems?|complaints?|delays?|faults?|hiccups?|hassles?|trouble|glitch(?:es)?|bugs?|mix-ups?)\b",
    ),
    (
        # Money put back only in part ("only refunded the delivery fee", "refunded half", "only gave back 7 of the
        # 14"): read before a refund counts as a problem put right.
        "partial_refund",
        r"\bonly\s+(?:(?:been|got|get|was|were|being)\s+)?(?:refunded|reimbursed|credited|compensated|offered|gave\s+"
        r"(?:(?:me|us)\s+)?back|given\s+back|paid\s+back)\b"
        r"|\brefunded\s+(?:(?:me|us)\s+)?(?:for\s+)?(?:only\s+|just\s+)?(?:half|part|some|a\s+fraction|a\s+third|\d+\s*%)"
        r"|\b(?:got|get|given|gave\s+(?:me|us)|received)\s+(?:only\s+|just\s+)?(?:half|part|some|a\s+fraction)\s+"
        r"(?:of\s+(?:it|that|my\s+money|the\s+money|the\s+cost|the\s+price)\s+)?back\b"
        r"|\bonly\s+(?:got|get|received|given|gave\s+(?:me|us))\s+(?:[\w.%£$€-]+\s+){1,3}?back\b"
        r"|\brefunded\b[^.!?;]{0,40}?\bbut\s+not\b",
    ),
    (
        "refund_given",
        r"(?:(?<!n't\s)(?<!not\s)(?<!never\s)(?<!no\s)\b(?:got|received|given|issued|processed|approved|arranged"
        r"|sorted(?:\s+out)?|gave\s+(?:me|us))\s+(?:me\s+|us\s+)?(?:a\s+|my\s+|the\s+|our\s+)?(?:full\s+)?refund\b"
        r"|(?<!n't\s)(?<!not\s)(?<!never\s)(?<!been\s)\brefunded\s+(?:me\s+|us\s+)?(?:for\s+)?"
        r"(?:me|us|my|the|a|an|it|everything)\b"
        # What was refunded is the problem put right, not a fresh complaint ("refunded the missing drink").
        r"(?:\s+(?:missing|cold|wrong|late|damaged|spilled|spilt|burnt|soggy|lost|forgotten|broken|stale)\b)?"
        r"|\b(?:the|my|a|our)\s+(?:full\s+)?refund\s+(?:has\s+|had\s+|was\s+)?(?:landed|arrived|came\s+through"
        r"|went\s+through|cleared|appeared|showed\s+up|processed|went\s+back|came\s+back|was\s+returned)\b"
        r"|\bput\s+(?:the|my|a|our)\s+(?:full\s+)?refund\s+(?:back\s+)?(?:on|onto|into|through)\b)"
        # Unless only part of it came back ("refunded me for it but only gave back half", partial_refund above).
        r"(?![^.!?]{0,80}\b(?:only|partial_refund|partial|half\s+of\s+it|but\s+not|not\s+the)\b)",
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
        r"|didn't|can't|won't)\b"
        # "Where's my food??": asked of what should have come.
        r"|\bwhere(?:'s|\s+is|\s+the\s+hell\s+is)\s+(?:my|our)\s+(?:food|order|refund|delivery|driver|money|meal)\b",
    ),
    (
        # A status that has not moved: still showing what should be over ("my issue is still open", "still 'invalid
        # credentials'"), or stuck on one for a while ("the tracking map sat on 'preparing' for 40 minutes").
        "still_missing",
        r"\bstill(?:\s+(?:says|shows|showing|saying|reads|on|at|marked\s+as|listed\s+as|stuck\s+on))?(?=\s+['\"\u2018\u201c])"
        r"|\b(?:is|was|are|were|it's|remains|showing\s+as)\s+still\s+(?:open|pending|unresolved|processing|stuck)\b"
        r"|\bstill\s+(?:open|pending|unresolved|stuck)\b"
        r"|\b(?:sat|stuck|stayed|sitting|froze|frozen)\s+(?:on|at)\s+['\"\u2018\u201c]?[\w' -]{1,30}?['\"\u2019\u201d]?\s+for\s+"
        r"(?:over\s+|nearly\s+|almost\s+|about\s+)?(?:\d+|ages|an?\s+hour|hours|forever|twenty|thirty|forty|fifty)\b",
    ),
    (
        "foreign_object",
        r"\b(?:hairs?|plastic|glass|metal|insects?|bugs?|fly|flies|cockroach(?:es)?|maggots?|stones?|bones?|shells?"
        r"|string|paper|foil)\s+in\s+"
        r"(?:my|the|our|his|her|their)\b",
    ),
    (
        "price_rise",
        rf"\b{_COST}\s+(?:have\s+|has\s+|keep\s+|kept\s+|just\s+)?(?:gone|went|going|go|shot|crept|creeping|creep)\s+up\b"
        rf"|\b{_COST}\s+(?:keep|kept|are|have\s+been|has\s+been)\s+(?:climbing|rising|increasing|creeping\s+up)\b"
        rf"|\b{_COST}{_GAP}\s+(?:are|is|were|was|have|has|got)\s+(?:now\s+)?(?:much\s+|a\s+lot\s+|way\s+|so\s+much\s+)?"
        r"(?:higher|increased|doubled|tripled)\b",
    ),
    (
        # A cost above what it is for ("the delivery fee is more than the food itself").
        "price_high",
        rf"\b{_COST}{_GAP}\s+(?:is|was|are|were|costs?|came\s+to)\s+(?:more|higher)\s+than\s+(?:the|my|our|what)\s+"
        r"(?:food|meal|order|dish|pizza|itself)\b",
    ),
    (
        "long_wait",
        r"\b(?:(?:really|very|so|such\s+a)\s+)?long\s+(?:queues?|waits?|delays?|lines?)\b",
    ),
    (
        # The price's direction, read before "lower" folds to VADER's "low".
        "price_drop",
        rf"\b{_COST}{_GAP}\s+(?:are|is|were|was|have\s+been|has\s+been|got)\s+(?:now\s+)?"
        r"(?:much\s+|a\s+lot\s+|way\s+|a\s+bit\s+|slightly\s+)?(?:lower|reduced|down|cheaper)\b",
    ),
    (
        # A past worry conceded ("I was sceptical, but it was worth it"): no complaint.
        "past_doubt",
        r"(?:\b(?:i|we)\s+|^|(?<=[.!?]\s))(?:was|were|had\s+been|'d\s+been)\s+"
        r"(?:a\s+bit\s+|a\s+little\s+|quite\s+|really\s+|so\s+)?"
        r"(?:sceptical|skeptical|worried|unsure|doubtful|nervous|hesitant|apprehensive|dubious|wary|dreading"
        r"|expecting\s+the\s+worst)\b(?=[^.!?]{0,120}\bbut\b)"
        r"|\b(?:i|we)\s+(?:had\s+(?:my|our|some)\s+doubts|feared\s+the\s+worst)(?=[^.!?]{0,120}\bbut\b)"
        r"|\b(?:wasn't|weren't)\s+(?:too\s+|so\s+|really\s+|entirely\s+)?(?:sure|convinced)\b(?=[^.!?]{0,120}\bbut\b)",
    ),
    (
        # Days or weeks to get something ("took three days to get a reply", "waiting for two weeks").
        "long_wait",
        rf"\b(?:took|after|for|waited|waiting|over|nearly|almost)\s+(?:over\s+|nearly\s+|almost\s+)?{_NUMBER_WORDS}\s+"
        r"(?:days?|weeks?)\b(?!\s+ago)",
    ),
    (
        # Kept waiting on the phone or in a chat ("on hold for forty minutes", "in the queue for ages").
        "long_wait",
        r"\b(?:on_hold|in\s+(?:the|a)\s+(?:chat\s+)?queue)\s+for\s+(?:over\s+|nearly\s+|almost\s+|about\s+|around\s+)?"
        r"(?:[\w-]+\s+){0,2}?(?:minutes|mins|hours?|ages|forever)\b",
    ),
    (
        # A wait judged: "the wait was really long", "waiting time was ridiculous".
        "long_wait",
        r"\b(?:the\s+)?wait(?:ing)?(?:\s+times?)?\s+(?:was|is|were|felt|seemed)\s+(?:(?:so|really|very|far|way"
        r"|incredibly|ridiculously)\s+)?(?:long|ages|forever|ridiculous|insane|endless)\b",
    ),
    # Complaints told as plain facts, with no evaluative word: an expectation the customer had a right to, broken.
    (
        # What was done against what the customer chose or wrote ("billed for a large when I chose regular", "left
        # at the back door when I wrote front door in the note", "left it at reception when I'd asked for the door").
        "ignored_request",
        r"\b(?:got|billed|charged|left|sent|brought|came|delivered|gave|put|dropped|handed|rang|called|added)\b"
        r"[^.!?;]{0,60}?\bwhen\s+(?:i|we)(?:'d|\s+had)?\s+(?:specifically\s+|clearly\s+|already\s+|explicitly\s+)?"
        r"(?:asked|chose|chosen|selected|picked|ticked|wrote|written|requested|specified|put|added|said|paid\s+for)\b",
    ),
    (
        # Part of the order did not come ("It came without the herbs the menu lists", "Garlic dip: not in the bag",
        # "he left without it"); what came without trouble is praise ("arrived without a single spill").
        "short_changed",
        r"\b(?:came|arrived|turned\s+up|showed\s+up|was\s+delivered|were\s+delivered|delivered\s+it)\s+without\s+"
        r"(?!(?:a|any|the|so\s+much\s+as\s+a)?\s*(?:single\s+)?(?:spills?|scratch|scratches|fuss|hassle|delays?|issues?"
        r"|problems?|drama|mess|leaks?|dents?|spillage|damage|no_trouble)\b)(?:the|my|our|any|its|their|a|an)\b"
        r"|\b(?:left|drove\s+off|went)\s+without\s+(?:it|them|my|our|the)\b"
        r"|\b(?:not|wasn't|weren't|isn't|aren't|never\s+made\s+it)\s+in\s+(?:the|my|our)\s+(?:bag|box|order|delivery"
        r"|parcel)\b",
    ),
    (
        # Another thing than the one chosen ("a different flavour from the one I picked", "not the one I ordered").
        "substituted",
        r"\bdifferent\s+(?:[\w-]+\s+){0,2}?(?:from|than|to)\s+(?:the\s+one|the\s+ones|what)\s+(?:i|we)(?:'d|\s+had)?\s+"
        r"(?:picked|ordered|chose|selected|asked\s+for|paid\s+for|requested)\b"
        r"|\bnot\s+the\s+(?:one|ones|[\w-]+)\s+(?:i|we)(?:'d|\s+had)?\s+(?:picked|ordered|chose|selected|asked\s+for"
        r"|paid\s+for|requested)\b",
    ),
    (
        # Cancelled by the customer ("I cancelled my subscription last month"): an act, no complaint in itself.
        "cancelled_by_customer",
        r"\b(?:i|we)\s+(?:have\s+|had\s+|just\s+|then\s+|already\s+|finally\s+)?cancell?ed\b",
    ),
    (
        # Money taken wrongly: twice, after all, or above the price shown ("billed twice for one order", "still
        # charged for the missing chips", "the menu said 9 but I was charged 12", "the receipt shows I paid 42").
        "overcharged",
        r"\b(?:charged|billed|debited|paid|took\s+(?:the|my|our)\s+(?:payment|money))(?:_me)?\s+(?:(?:me|us|for|the|a|an|my|our|it)\s+)?(?:[\w-]+\s+){0,3}?"
        r"(?:twice|double|two\s+times|three\s+times|again)\b(?!\s+(?:as|if|for\s+(?:a|the)\s+(?:second|next)))"
        r"|\bdouble[\s-](?:charged|billed|charge|payment)\b"
        r"|\bstill\s+(?:(?:got|been|was|were|being)\s+)?(?:charged|billed|took\s+(?:my|the|our)\s+(?:money|payment)"
        r"|had\s+to\s+pay)"
        r"|\b(?:took|taken|kept)\s+(?:my|our|the)\s+(?:payment|money|cash)\b"
        r"(?=[^.!?]{0,60}\b(?:but|then|yet|without|and\s+(?:then\s+)?(?:cancel\w*|said|never|didn't)))"
        r"|\b(?:took|taken|charged|debited|billed)\b[^.!?]{0,40}?\bfor\s+(?:an?|the|my)\s+(?:order|item|meal|subscription"
        r"|delivery)\s+(?:that\s+|which\s+)?(?:(?:i|we)\s+)?(?:cancelled_by_customer|cancell?ed|never|didn't|wasn't|hadn't)"
        r"|(?<!\bwould\s)(?<!\bhappily\s)(?<!\bgladly\s)(?<!'d\s)\bpay\s+(?:for\s+it\s+)?(?:a\s+second\s+time|again|twice)\b"
        r"(?!\s+(?:next|if|when|the|as|that|over|for\s+(?:this|that)))"
        r"|\bkept\s+(?:my|our|the)\s+money\b|\b(?:paid|pay|paying)\s+(?:the\s+)?full\s+price\b",
    ),
    (
        # A status that was not true ("marked the order as delivered while it was still in his car").
        "false_status",
        r"\b(?:marked_as_delivered|marked_it_as_delivered|marked_it_delivered|(?:marked|showed|shows|listed)\s+(?:as\s+)?"
        r"(?:(?:it|my\s+order|the\s+order|my\s+food|the\s+food)\s+)?(?:as\s+)?(?:delivered|collected|completed?))\b"
        r"(?=[^.!?]{0,40}\b(?:while|when|but|though|before|yet|and\s+(?:i|we)\s+(?:have|got|received|had)\s+(?:nothing|no)"
        r"|and\s+(?:nothing|no\s+one|nobody)\s+(?:came|arrived|turned\s+up))\b)",
    ),
    (
        # Less than was ordered or shown ("only three of the five wings", "the app only took off 10%", "only one of
        # my two pizzas"); what the customer did in part is no complaint ("only two of us were eating").
        "short_changed",
        r"(?<!\bi\s)(?<!\bwe\s)\bonly\s+(?:(?:got|received|sent|gave|delivered|found|contained|included|applied|saved"
        r"|refunded|credited|counted|came\s+with|took\s+off|knocked\s+off|had)\b(?!\s+(?:home|there|back|in|round|to"
        r"|a\s+(?:minute|moment|second|few\s+minutes)|just|myself|ourselves)\b)"
        rf"|(?:{_NUMBER_WORDS}|half|some|part|a\s+few)\s+(?:of|out\s+of)(?=\s+(?!(?:us|them|you)\b))"
        # "only three came", "only two were in the bag"
        rf"|(?:{_NUMBER_WORDS}|half|some|part|a\s+few)\s+(?:[\w-]+\s+)?(?:came|arrived|turned\s+up|showed\s+up|were\s+delivered"
        r"|were\s+in|made\s+it))"
        rf"|\b{_NUMBER_WORDS}\s+(?:of|out\s+of)\s+(?:the|my|our)\s+(?:{_NUMBER_WORDS}\s+)?[\w-]+\s+(?:were|was)\s+"
        r"(?:left\s+out|missing|forgotten|not\s+(?:there|in)|absent|left\s+off)"
        r"|\b(?:were|was|got)\s+left\s+(?:out\s+of|off)\s+(?:the|my|our)\b"
        r"|\bhalf[\s-](?:empty|full|filled|cooked|done|raw|melted|eaten|frozen|defrosted)\b"
        r"|\bonly\s+half\s+(?:of\s+)?(?:my|our|the|it|what|an?)\b"
        # "There was no drink in the bag", "no sign of the dessert": what should have come, absent.
        r"|\bthere\s+(?:was|were)\s+no\s+(?:[\w'-]+\s+){1,3}?in\s+(?:the|my|our)\s+(?:bag|box|order|delivery|meal|parcel)\b"
        r"|\bno\s+sign\s+of\s+(?:the|my|our|any)\b"
        # "three of the four we ordered"
        rf"|\b{_NUMBER_WORDS}\s+(?:of|out\s+of)\s+the\s+{_NUMBER_WORDS}\s+(?:[\w-]+\s+)?(?:that\s+)?(?:i|we)\s+(?:had\s+)?"
        r"(?:ordered|paid_for|paid\s+for|asked\s+for|wanted)\b",
    ),
    (
        # The order taken to the wrong door ("sent my order to my old address", "handed my bag to a stranger").
        "wrong_place",
        r"\b(?:to|at)\s+(?:my|our|the|an?)\s+(?:old|previous|former|neighbour's|neighbor's|other|incorrect)\s+"
        r"(?:address|flat|house|building|door|street|postcode|office)\b"
        r"|\b(?:going|went|heading|headed|driving|drove|taken|took|sent|delivered|gone)\s+(?:(?:it|my\s+\w+|the\s+\w+)\s+)?"
        r"(?:off\s+)?to\s+(?:another|a\s+different|the\s+wrong|the\s+other)\s+(?:town|city|area|postcode|street|address"
        r"|side\s+of\s+town|village|borough|restaurant|branch)\b"
        r"|\b(?:handed|gave|delivered|left|passed|dropped|sent|took)\b[^.!?,;]{0,30}?\bto\s+the\s+(?:person|people|flat|house"
        r"|door|neighbours?|guy|woman|man|family)\s+(?:in\s+the\s+(?:flat|house)\s+)?(?:below|above|upstairs|downstairs"
        r"|opposite|next\s+door)\b"
        r"|\b(?:of|at|to|in|outside)\s+(?:a|the)\s+(?:different|wrong)\s+(?:building|address|house|flat|street|door|entrance|block"
        r"|office)\b"
        r"|\b(?:handed|gave|delivered|left|passed|dropped|sent|sending|delivering|giving|taking|took)\s+(?:it\s+|them\s+"
        r"|(?:my|our|the)\s+[\w-]+\s+)?(?:off\s+)?to\s+(?:a\s+stranger|some\s+(?:random\s+)?(?:stranger|guy|man|woman|bloke"
        r"|person|kid)|the\s+wrong|next\s+door|a\s+neighbou?r|the\s+neighbou?rs?)\b"
        r"(?![^.!?]{0,30}\bas\s+(?:i|we)\s+(?:asked|requested|said|wanted))"
        r"|\b(?:delivered|left|dropped|took|brought|went|sent|handed|gave)\b[^.!?,;]{0,30}?\bto\s+the\s+(?:house|flat|building|door"
        r"|address|shop|office)\s+(?:across\s+the\s+(?:road|street|way)|opposite|next\s+door|down\s+the\s+(?:road|street)"
        r"|(?:two|three|four|a\s+few)\s+doors\s+(?:down|up|along)|round\s+the\s+corner|behind)\b",
    ),
    (
        # Done without the customer's say ("renewed without any warning", "swapped my curry without asking me");
        # unprompted kindness ("without me asking") is praise and is not matched.
        "without_consent",
        r"\bwithout\s+(?:any\s+|a\s+|an\s+|so\s+much\s+as\s+a\s+)?(?:notice|notification|reminder|explanation|consent"
        r"|permission|heads[\s-]up|reason|apology|word|response|reply|refund|(?:the\s+)?(?:drinks?|sides?|food|bag|change)\b|(?:asking|telling|informing|warning|notifying|consulting|checking\s+with|letting)"
        r"\s+(?:me|us))\b"
        r"|\b(?:added|doubled|tripled|charged|changed|swapped|increased|raised|renewed|upgraded|subscribed|cancell?ed|replaced"
        r"|substituted|signed\s+(?:me|us)\s+up)\b[^.!?]{0,30}?\bwithout\s+(?:even\s+)?asking\b"
        r"|\b(?:swapped|switched|substituted|changed)\s+(?:my|our|the|it)\b[^.!?;,]{0,30}?\b(?:for|with|to|into)\s+"
        r"(?:a\s+|an\s+|the\s+|some\s+)?(?:different|another|other|cheaper|smaller|random)\b",
    ),
    (
        # What should have been, said of what came ("the pizza was supposed to be large", "they were meant to be
        # hot", "after I had already paid"), or done against what the customer said ("charged my card anyway").
        "expectation_broken",
        r"\b(?:was|were|is|are|it's|they're|it\s+was|they\s+were)\s+(?:supposed|meant)\s+to\b(?!\s+(?:be\s+)?(?:ready|here)\s+at\b)"
        r"|\b(?:after|when|though|but|and)\s+(?:i|we)\s+(?:had\s+|'d\s+)?already\s+(?:paid|paid_for|ordered|been\s+charged|been\s+billed"
        r"|cancell?ed|confirmed|checked\s+out)\b"
        r"|\b(?:charged|closed|cancelled|canceled|sent|delivered|added|took|kept|left|put|rang|knocked|used|billed"
        r"|processed|renewed|applied|included|went\s+ahead)\b(?:\s+[\w'-]+){0,5}?\s+(?:anyway|anyways|regardless)\b",
    ),
    (
        # Short of what was stated ("not the whole order like it said", "not as advertised", "expected more than a few
        # slices for eighteen pounds").
        "expectation_broken",
        r"\bnot\s+(?:[\w'-]+\s+){0,4}?(?:like|as)\s+(?:it|they|the\s+\w+)\s+(?:said|says|promised|claimed|advertised|stated)\b"
        r"|\bnot\s+as\s+(?:advertised|described|pictured|shown|promised|stated|listed)\b"
        r"|\b(?:expected|expecting|deserved?)\s+(?:a\s+lot\s+|much\s+|far\s+|way\s+|a\s+bit\s+|so\s+much\s+|a\s+little\s+)?more\b",
    ),
    (
        # A request or a promise left for days ("told to wait, that was a week ago").
        "long_wait",
        r"\b(?:that|this|which)\s+was\s+(?:over\s+|nearly\s+|almost\s+|more\s+than\s+)?(?:a|an|one|two|three|four|five|six"
        r"|\d+)\s+(?:days?|weeks?|months?)\s+ago\b",
    ),
    (
        # Time gone by, counted ("it's been three days", "stuck on 'preparing' for the last 40 minutes").
        "long_wait",
        rf"\b(?:it's|it\s+has|it\s+had|that's|it\s+is\s+now|it's\s+now|we're|i'm)\s+(?:been\s+|now\s+)(?:over\s+|nearly\s+|almost\s+"
        rf"|more\s+than\s+)?{_NUMBER_WORDS}\s+(?:days?|weeks?|months?)\b(?!\s+(?:since\s+(?:i|we)\s+(?:found|discovered|joined)))"
        r"|\bfor\s+the\s+(?:last|past)\s+(?:[\w-]+\s+)?(?:minutes|mins|hours?)\b",
    ),
    (
        # Cheaper elsewhere ("4 pounds cheaper in the restaurant", "less on the other app").
        "price_high",
        r"\b(?:cheaper|less)\s+(?:in\s+(?:the\s+)?(?:restaurant|shop|store|person|branch)|elsewhere|on\s+(?:the\s+)?other\s+apps?"
        r"|if\s+(?:you|i|we)\s+(?:go|collect|walk\s+in|order\s+direct(?:ly)?)|direct(?:ly)?\s+from)\b"
        r"|\b(?:costs?|priced|charges?|charged|paid|pay)\b[^.!?]{0,20}?\b(?:the\s+same\s+as|as\s+much\s+as|more\s+than|double"
        r"|twice)\b[^.!?]{0,40}?\b(?:elsewhere|somewhere\s+else|in\s+(?:the\s+)?(?:restaurant|shop|store|supermarket)"
        r"|a\s+(?:full|proper|whole|sit-down)\s+meal)\b",
    ),
    (
        # Custom taken away ("we ended up ordering from somewhere else", "I'll be going elsewhere").
        "went_elsewhere",
        r"(?<!\bused\sto\s)\b(?:order(?:ing|ed)?|eat(?:ing)?|go(?:ing)?|went|get(?:ting)?|got|take|taking|took|spend(?:ing)?)"
        r"\s+(?:(?:my|our|the|a|an|some|food|dinner|lunch|money|business|custom|takeaway|pizza|from|us|me)\s+){0,3}?"
        r"(?:elsewhere|somewhere\s+else)\b",
    ),
    (
        # Packaging that failed on the way ("the lid had come off", "the bag had split open").
        "mishandled",
        r"\b(?:lids?|tops?|seals?|bags?|boxes|box|containers?|cartons?|cups?)\s+(?:had\s+|has\s+|was\s+|were\s+)?"
        r"(?:come\s+(?:off|open|loose|undone)|split(?:\s+open)?|burst\s+open|popped\s+(?:off|open)|fallen\s+off|ripped)\b",
    ),
    (
        # What should have come, denied in a word ("Mine had none", "there were none").
        "short_changed",
        r"\b(?:mine|ours|it|they|there|the\s+(?:bag|box|order))\s+(?:had|has|was|were|came\s+with|contained)\s+none\b"
        # A token amount for what was paid ("paid 4.50 for guacamole and got a spoonful").
        r"|\b(?:got|received|came\s+with|was|were|had|gave\s+(?:me|us))\s+(?:a|one|just\s+a|only\s+a)\s+(?:single\s+|tiny\s+"
        r"|measly\s+)?(?:spoonful|teaspoon|teaspoonful|smear|sliver|scrap|dribble|splash|thimbleful|morsel|crumb)\b",
    ),
    (
        # Mostly the cheap part ("a salad that was mostly lettuce").
        "disproportion",
        r"\b(?:mostly|mainly|largely|basically\s+all|almost\s+all)\s+(?:lettuce|bread|rice|batter|bones?|fat|gristle|ice|water"
        r"|foam|air|packaging|sauce|onions?|bun|pastry|filler|crust|breadcrumbs|potato|cabbage)\b",
    ),
    (
        # Changed after the customer committed ("a fee was added after I had entered my card details").
        "expectation_broken",
        r"\b(?:added|charged|applied|appeared|changed|increased|went\s+up|doubled|removed)\b[^.!?]{0,30}?\bafter\s+(?:i|we)"
        r"(?:'d|\s+had)?\s+(?:already\s+)?(?:entered|paid|paid_for|checked\s+out|confirmed|placed|submitted|ordered)\b",
    ),
    (
        # Someone else's things in the bag ("we were given someone else's receipt").
        "not_mine",
        r"\b(?:someone|somebody)\s+else's\b|\banother\s+(?:customer|person|household|order)'s\b",
    ),
    (
        # Woken or disturbed ("rang the bell at 11pm and woke the baby").
        "disturbed",
        r"\bwoke\s+(?:up\s+)?(?:the\s+(?:baby|kids|children|whole\s+(?:house|street|building))|my\s+(?:baby|kids|son|daughter"
        r"|children|partner|wife|husband|neighbours)|us|me|everyone)\b",
    ),
    (
        # Food that has lost its form ("the ice cream was soup", "the chips had turned to mush").
        "ruined",
        r"\b(?:was|were|had\s+turned\s+(?:in)?to|turned\s+(?:in)?to|was\s+basically|were\s+basically)\s+(?:soup|a\s+puddle"
        r"|liquid|mush|slop|mush)\b",
    ),
    (
        # Kindness nobody asked for ("brought it up without being asked", "without me even asking").
        "unprompted",
        r"\bwithout\s+(?:being\s+asked|(?:me|us)\s+(?:even\s+)?(?:asking|saying\s+anything|having\s+to\s+ask|mentioning\s+it))\b",
    ),
    (
        # Still chasing ("at 2pm I was still phoning them").
        "still_missing",
        r"\bstill\s+(?:phoning|calling|chasing|ringing|emailing|messaging|trying\s+to|on\s+the\s+phone|on_hold|arguing"
        r"|fighting)\b",
    ),
    (
        # Staff who would not ("he didn't want to park", "they couldn't be bothered" is a phrase).
        "refused_service",
        r"\b(?:he|she|they|driver|rider|courier|restaurant|staff|shop|kitchen)\s+(?:didn't|did\s+not|wouldn't|won't|doesn't"
        r"|refused\s+to|wasn't\s+willing\s+to)(?:\s+want\s+to)?(?=\s+(?:park|come|walk|climb|deliver|bring|wait|help|listen"
        r"|answer|refund|replace|give|check|look|carry|leave|take|knock|call))",
    ),
    (
        # Cut off ("the call was ended", "they put the phone down on me", "the chat was disconnected").
        "cut_off",
        r"\b(?:call|chat|line|conversation)\s+(?:was\s+|got\s+)?(?:ended|cut\s+off|disconnected|dropped|terminated|closed)\b"
        r"|\bput\s+the\s+phone\s+down\s+on\b|\bended\s+the\s+(?:call|chat)\b",
    ),
    (
        # An extra chore a working service spares ("had to ring three times", "had to go down to the street").
        "extra_chore",
        r"(?<!\bnever\s)(?<!\bnot\s)(?<!\bonly\s)(?<!\bhardly\s)(?<!\bbarely\s)\bhad\s+to\s+(?:(?:keep|then|also|still)\s+)?(?:ring|call|phone|chase|ask|contact"
        r"|email|message|go\s+down|come\s+down|go\s+out|walk|reorder|re-order|complain|explain|queue|send|pay\s+"
        r"(?:again|extra|twice)|cook|make\s+(?:my|our|some)|throw|bin|spell|repeat|wait|track|hunt|search|find)\b",
    ),
    (
        # It has happened before ("the third time this has happened", "same mistake again").
        "recurring_fault",
        r"\btimes?\s+(?:this|that|it)\s+(?:has|'s|had)\s+happened\b|\bhappened\s+(?:again|before)\b"
        r"|\b(?:same|this)\s+(?:thing|issue|problem|mistake|error|mix-up)\s+(?:again|every\s+time|each\s+time)\b"
        r"|\bagain\s+and\s+again\b",
    ),
    (
        # Little for the money ("the portions are quite small for the price", "tiny for what they charge").
        "poor_value",
        r"\b(?:small|tiny|little|stingy|meagre|meager|measly|thin|skimpy|miserly|mean|few|minuscule|mingy)\b"
        r"(?:\s+[\w-]+){0,2}?\s+for\s+(?:the\s+|what\s+(?:you|we|they|i)\s+|how\s+much\s+(?:you|we|they|i)\s+)?"
        r"(?:price|money|cost|pay|paid|charge|charged|spent|spend)\b",
    ),
    (
        # A cost that undoes a saving ("the small order fee wiped out most of the savings").
        "saving_undone",
        rf"\b{_COST}{_GAP}\s+(?:wiped|wipes|cancel(?:led|s|ed)?|swallowed|swallows|ate|eats|eaten|undid|undoes|killed"
        r"|negated|outweighed|outweighs)\s+(?:out\s+|up\s+)?(?:(?:most|all|half|much)\s+of\s+)?(?:the|my|our|any|it|that)\b"
        # A saving taken away ("the voucher was removed from my basket", "my loyalty points disappeared").
        r"|\b(?:vouchers?|codes?|discounts?|promo|points|loyalty_points|reward_points|credit|account_credit|balance|offer"
        r"|stamps?|rewards?|basket|cart)\s+(?:[\w'-]+\s+){0,3}?(?:was\s+|were\s+|had\s+|have\s+|has\s+|got\s+)?(?:been\s+|just\s+)?"
        r"(?:removed|disappeared|vanished|wiped|reset|deducted|taken\s+off|taken\s+away|emptied|cleared)\b",
    ),
    (
        # Value said of a scheme or a deal ("the subscription saves me money", "saves us a fortune").
        "saves_money",
        r"\bsav(?:es|ed|ing)\s+(?:me|us)\s+(?:so\s+much\s+|a\s+lot\s+of\s+|loads\s+of\s+|heaps\s+of\s+|a\s+bit\s+of\s+)?"
        r"(?:money|a\s+fortune|a\s+packet|a\s+bomb|a\s+lot|loads|heaps|so\s+much|time|hassle)\b",
    ),
    (
        # Easy said as "simple" ("dead simple", "simple to use"), which neither lexicon reads as praise.
        "easy_use",
        r"\b(?:dead|so|really|super|very|incredibly|nice\s+and|beautifully|refreshingly|wonderfully)\s+simple\b"
        r"|\bsimple\s+to\s+(?:use|order|navigate|set\s+up|follow|reorder)\b",
    ),
    (
        # Food past its date ("well past its date", "out of date", "past the use-by").
        "expired",
        r"\b(?:(?:well|way|long|days|weeks)\s+)?(?:past|out\s+of|beyond|over)\s+(?:its|their|the)?\s*(?:use[\s-]by|sell[\s-]by"
        r"|best[\s-]before|expiry)?\s*dates?\b|\bpast\s+(?:its|the|their)\s+(?:use[\s-]by|sell[\s-]by|best[\s-]before"
        r"|expiry)\b",
    ),
    (
        "tasted_off",
        r"\b(?:tasted|tastes|taste|smelled|smelt|smells|smell)\s+(?:old|off|funny|weird|strange|odd|rancid|sour|bad)\b"
        r"|\b(?:a|an)\s+(?:\w+\s+)?(?:weird|strange|funny|odd|off|bad|sour|metallic|chemical|rancid|soapy)\s+"
        r"(?:taste|smell|aftertaste|texture|flavou?r)\b",
    ),
)
# "I asked for X and got Y", "asked for no nuts and there were nuts in it": a request and what came instead.
_IGNORED_REQUEST = re.compile(
    r"(\basked\s+for\b[^.!?;]{0,120}?)\b(?:and|but)\s+(?:got|received|there\s+(?:was|were)|it\s+(?:came|was|had)"
    r"|they\s+(?:sent|gave|brought|put))\b(?!\s+(?:it|them|exactly|just|what))"
    # "asked for the sauce on the side and it came in a separate pot": what was asked for came.
    r"(?![^.!?;]*\b(?:separate|on\s+the\s+side|as\s+(?:asked|requested)|its\s+own)\b)",
    re.IGNORECASE,
)


# "No beer with the deal please", "please no onions": "no" in a request excludes something, it is no complaint.
_EXCLUSION = re.compile(r"(?<=\bplease\s)no\b|\bno\b(?=[^.!?,;:]*\bplease\W*(?:$|[.!?]))", re.IGNORECASE)
# "I asked for no onions", "ordered it without cheese": what the customer excluded; if it turns up later in the review
# ("... and it was full of onions"), the request was ignored.
_EXCLUDED = re.compile(
    r"\b(?:asked\s+for|ordered(?:\s+it)?|requested|said|specified|wanted|ticked|wrote|put|noted|typed|selected|chose"
    r"|marked|added)\s+(no|without)\s+(?:any\s+)?([a-z]+)",
    re.IGNORECASE,
)
_LATER_WORD = re.compile(r"(?<!\bno\s)(?<!without\s)\b([a-z]+)\b", re.IGNORECASE)
_EXCLUDED_REACH = 160
# A cost judged by its size ("the service charge ... was huge", "a massive fee"): VADER reads "huge" as praise.
_COST_SIZE = re.compile(
    r"(\b(?:charges?|fees?|prices?|bill|costs?|surcharge)\b[^.!?;,]{0,40}?\b)(?:huge|massive|enormous|high|hefty|insane"
    r"|crazy|ridiculous|steep)\b"
    r"|\b(?:huge|massive|enormous|hefty|insane|crazy|ridiculous)(?=\s+(?:[\w-]+\s+)?(?:charges?|fees?|prices?|bill|costs?"
    r"|surcharge)\b)",
    re.IGNORECASE,
)
# "They sent a cola instead of the lemonade", "left my food at number 12 instead of 21": something else came, or
# went somewhere else. ("Instead of cash, I paid by card": the customer's choice, no verb of delivery before it.)
_SUBSTITUTED = re.compile(
    r"(\b(?:got|received|sent|brought|gave\s+(?:me|us)|came\s+with|delivered|left|dropped|handed|took|charged"
    r"|billed|applied|put)\b[^.!?;,]{0,40}?)\binstead\s+of\b",
    re.IGNORECASE,
)
# After a price or an offer, a charge contrasted with it ("the menu said 9 pounds but I was charged 12", "the order
# came to 30 but the receipt shows I paid 42"); the contrast word stays, for the clause cut.
_CHARGED_AFTER_ALL = re.compile(
    r"(\b(?:but|yet)\s+)(?:(?:(?:i|we)\s+(?:was|were|got|still|have\s+been)\s+|they\s+|the\s+app\s+|it\s+)?"
    r"(?:charged(?:_me)?|billed|debited|took\s+(?:(?:my|our|the)\s+)?(?:money|payment))"
    r"|(?:the\s+receipt|my\s+(?:bank|card|statement|receipt))\s+(?:shows?|says?|said))\b",
    re.IGNORECASE,
)


# A delivery time set and an arrival time stated ("ordered for 7pm and it turned up at 8:15", "due at 6:30, arrived
# at 7:45"): half an hour or more after the time set is late, whatever words the review uses; from the time the order
# was placed ("ordered at 6:10, arrived at 7:25"), an hour or more is.
def _clock(name: str) -> str:
    return rf"(?P<{name}_h>\d{{1,2}})(?:[:.](?P<{name}_m>\d{{2}}))?\s*(?P<{name}_half>am|pm|a\.m\.|p\.m\.)?"


_TIMED = re.compile(
    r"\b(?:(?P<placed>ordered\s+(?:at|around|about)|placed\s+(?:(?:my|the|our|an)\s+)?order\s+at)|for|due(?:\s+at|\s+by)?|expected(?:\s+at|\s+by)?|by|slot(?:\s+of|\s+at)?|booked\s+for|scheduled\s+for"
    r"|promised(?:\s+for|\s+by)?|estimated(?:\s+at)?|eta\s+(?:of|was|said)?|said"
    # "Delivery window was 2-3pm", "Estimated arrival 7:15": the time set, or the end of the window set.
    r"|window(?:\s+(?:was|is|of))?|(?:estimated|expected|promised)\s+(?:arrival|delivery)(?:\s+time)?(?:\s+(?:was|is|of|at))?)\s+"
    r"(?:\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)?\s*(?:-|\u2013|to)\s*)?"
    + _clock("due")
    + r"(?![\w:.]\d)(?=[^!?;]{0,80}?(?:\b(?:arrived|came|turned\s+up|showed\s+up|got\s+here|delivered|arriving"
    r"|rocked\s+up)\s+(?:(?:at|around|about|just\s+after|after|gone)\s+)+"
    # "Estimated arrival 7:15. It's now 8:40": still waiting at the time stated.
    r"|\b(?:it's|it\s+is)\s+(?:now|already)\s+)" + _clock("came") + r"(?![\w:]))",
    re.IGNORECASE,
)
LATE_MINUTES = 30
LONG_WAIT_MINUTES = 60


def _minutes(hour: str, minute: str | None, half: str | None) -> int:
    hours = int(hour) % 12 if half else int(hour)
    if half and half.lower().startswith("p"):
        hours += 12
    return hours * 60 + int(minute or 0)


def _late_by_the_clock(text: str) -> str:
    def mark(match: re.Match[str]) -> str:
        due_half, came_half = match.group("due_half"), match.group("came_half")
        stated = [bool(match.group(f"{name}_m") or match.group(f"{name}_half")) for name in ("due", "came")]
        # "ordered for 4 people and it came at 7": a bare number need not be a time; "due at 7 and came at 8:20" is.
        bare_for = not stated[0] and match.group().lower().startswith("for")
        if not any(stated) or bare_for:
            return match.group()
        due = _minutes(match.group("due_h"), match.group("due_m"), due_half or came_half)
        came = _minutes(match.group("came_h"), match.group("came_m"), came_half or due_half)
        # Without am/pm on both sides, "11:30 ... 1:15" is read on a 12-hour dial.
        lateness = (came - due) % (24 * 60 if due_half and came_half else 12 * 60)
        if match.group("placed"):
            return "long_wait " + match.group() if LONG_WAIT_MINUTES <= lateness <= 6 * 60 else match.group()
        return "late " + match.group() if LATE_MINUTES <= lateness <= 6 * 60 else match.group()

    return _TIMED.sub(mark, text)


# A concession in mid-sentence that names the customer's right ("charged a fee even though my order qualified for
# free delivery", "sent it to my old address even though I selected my new one", "a service charge despite my
# subscription covering it"): what came before it broke an expectation. An obstacle the service overcame ("it came
# hot even though I live miles away") is praise before it, and is left alone (see _broken_expectation); so is a
# concession at the start of a sentence ("Even though it was raining, I collected it") and one naming the
# customer's own doing ("even though I was late", "despite my doubts").
_CONCESSION = re.compile(
    r"(?<=[\w%)'])(,?\s+)(?:even\s+though|even\s+if|despite|although|in\s+spite\s+of)\s+"
    r"(?=(?:i|we|my|our|me|us|having|paying|asking|choosing|selecting|ordering|booking|being|it\s+(?:said|says|was\s+"
    r"(?:supposed|meant|marked|listed|advertised|shown|clearly))|there\s+(?:was|is)\s+a\s+note|the\s+(?:menu|app"
    r"|website|site|listing|offer|deal|promo|voucher|code|description|receipt|confirmation|tracker|tracking|notes?"
    r"|instructions?|order\s+(?:said|says|qualified|was\s+over)|restaurant\s+(?:said|confirmed|promised)))\b)"
    r"(?![^.!?;]*\b(?:wrong|late|mistake|fault|forgot|forgotten|messed|typo|last[\s-]minute|expectations|doubts"
    r"|worries|reservations|sceptic\w*|skeptic\w*|fears|live|lived|far\s+away|miles)\b)",
    re.IGNORECASE,
)


# Said one thing, did another ("I was told three days but it has been two weeks"), unless what came was better ("told
# 45 minutes but it arrived in 25, brilliant": the rest of the sentence is praise).
_PROMISED = re.compile(
    r"\b(?:was|were|been|i'm|we're|am)\s+(?:told|promised|assured|quoted|informed|guaranteed)\b"
    r"(?=([^.!?]{0,100}\b(?:but|yet|and\s+(?:i'm|i\s+am|we're|we\s+are|it's|it\s+has|still|nothing|no))\b[^.!?]*))",
    re.IGNORECASE,
)
# Two counts or amounts in one sentence, one stated and one got, that differ ("the receipt lists six items and the bag
# had four", "3.99 at checkout and 5.99 on my bank statement").
_NUMBER = r"(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_STATED_VS_GOT = re.compile(
    r"\b(?:receipt|menu|checkout|app|website|site|listing|advert|ad|photos?|pictures?|confirmation|description|said"
    r"|says|listed|lists|advertised|advertises|promised|showed|shows|stated|states|claimed|ordered|paid_for|paid\s+for"
    r"|asked\s+for|booked)\b[^.!?]{0,40}?(?<![\w.:])" + _NUMBER + r"(?![\w.:]\d|\s*(?:am|pm|a\.m|p\.m)\b)"
    r"[^.!?]{0,40}?\b(?:and|but|yet|while|whereas)\b[^.!?]{0,30}?\b(?:bag|box|statement|bank|card|charged|paid"
    r"|got|had|came|received|sent|delivered|took|contained|saved|there\s+(?:were|was))\b[^.!?]{0,20}?(?<![\w.:])"
    + _NUMBER
    + r"(?![\w.:]\d|\s*(?:am|pm|a\.m|p\.m)\b)|(?<![\w.:])"
    + _NUMBER
    + r"(?![\w.:]\d|\s*(?:am|pm|a\.m|p\.m)\b)[^.!?]{0,20}?\b(?:at\s+checkout|on\s+the\s+(?:menu|app|website|receipt))\b[^.!?]{0,20}?\b(?:and|but)\s+"
    r"(?:[\w'-]+\s+){0,2}?(?<![\w.:])"
    + _NUMBER
    + r"(?![\w.:]\d|\s*(?:am|pm|a\.m|p\.m)\b)"
    # "The box of twelve cookies had nine in it."
    + r"|\b(?:box|pack|packet|bag|set|tray|bucket|tub|carton|bundle|portion|plate|bowl)\s+of\s+"
    + _NUMBER
    + r"\b[^.!?]{0,30}?\b(?:had|has|contained|came\s+with|held)\s+(?:only\s+|just\s+)?"
    + _NUMBER
    + r"\b",
    re.IGNORECASE,
)
_NUMBER_VALUES = {
    word: value
    for value, word in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
    )
} | {"dozen": 12}


def _value(number: str) -> float:
    # "a dozen" is read by its last word.
    word = number.lower().split()[-1]
    return float(_NUMBER_VALUES.get(word, 0) if word.isalpha() else word)


def _counts_differ(text: str) -> str:
    def mark(match: re.Match[str]) -> str:
        stated, got = [number for number in match.groups() if number is not None]
        return match.group() + " mismatch_count" if _value(stated) != _value(got) else match.group()

    return _STATED_VS_GOT.sub(mark, text)


# Two readings of one thing, across sentences, that disagree: what the customer is told the review leaves the reader
# to compare ("Ordered 12 wings. Counted 8.", "Menu price in the app: £11.00. Price on my receipt: £13.50.", "App said
# 25 minutes, it took 70.", "handed to someone at number 14. I live at 41."). Each compares in the direction that
# wrongs the customer (fewer got, more charged, later came, another door), so a pleasant surprise stays praise.
_AMOUNT = r"(?:[£$€]\s?(\d+(?:\.\d{1,2})?)|(?<![\w.:])(\d+\.\d{2})(?![\w.:]))"
_MONEY_STATED = re.compile(
    r"\b(?:menu|price[ds]?|listed|listing|app|website|site|promo|advertised|said|says|shows?|showed|quoted|checkout"
    r"|total)\b[^.!?]{0,30}?" + _AMOUNT,
    re.IGNORECASE,
)
# A price given where it was shown, after the amount ("The delivery fee was £1.99 at checkout and £4.49 on the receipt").
_MONEY_SHOWN = re.compile(
    _AMOUNT + r"\s+(?:at\s+checkout|on\s+the\s+(?:menu|app|website|site|listing)|in\s+the\s+(?:app|basket|cart))\b",
    re.IGNORECASE,
)
# Something free, then charged for ("The free dessert from the offer went into my basket at £4.50").
_FREE_CHARGED = re.compile(
    r"\bfree\s+[\w-]+[^.!?]{0,40}?\b(?:went\s+(?:in|into)|added|charged|billed|came\s+up|showed\s+up|appeared|rang\s+up)"
    r"\b[^.!?]{0,30}?" + _AMOUNT,
    re.IGNORECASE,
)
# Two labels of one thing that name different things ("My side says coleslaw on the receipt, the pot says beans").
_SAYS = r"(?:says|said|reads|read|labelled|labeled|marked)"
_LABELS_DIFFER = re.compile(
    rf"\b{_SAYS}\s+['\"\u2018\u201c]?([a-z][\w-]*)\b[^.!?]{{0,40}}?[,.;]\s+(?:but\s+)?(?:the|my|our|its)\s+[\w-]+(?:\s+[\w-]+)?\s+"
    rf"{_SAYS}\s+['\"\u2018\u201c]?([a-z][\w-]*)\b",
    re.IGNORECASE,
)
_NO_LABEL = frozenset(
    ["it", "that", "the", "a", "an", "my", "i", "he", "she", "they", "we", "you", "to", "on", "in", "its"]
)
_MONEY_TAKEN = re.compile(
    r"\b(?:receipt|charged|statement|card|bank|bill|billed|took|taken|debited|paid)\b[^.!?]{0,40}?"
    + _AMOUNT
    + r"|"
    + _AMOUNT
    + r"[^.!?]{0,25}?\b(?:came\s+out|was\s+taken|taken|charged|on\s+(?:my|the)\s+(?:receipt|card"
    r"|statement|bill))\b",
    re.IGNORECASE,
)
# A fee's own two figures ("the service fee has gone from 50p to £2.50 since last month").
_PRICE_MOVED = re.compile(
    r"\b(?:gone|went|go|risen|rose|jumped|increased|crept|shot)\s+(?:up\s+)?from\s+[£$€]?\s?(\d+(?:\.\d{1,2})?)(p)?\s+to\s+"
    r"[£$€]?\s?(\d+(?:\.\d{1,2})?)(p)?\b",
    re.IGNORECASE,
)
_SAME_THING = re.compile(r"\b(?:the\s+)?same\s+(?:dish|item|meal|order|thing|product|burger|pizza|drink)\b", re.I)
_COUNT = r"(\d+|a\s+dozen|dozen|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_COUNT_ORDERED = re.compile(
    r"\b(?:ordered|paid\s+for|asked\s+for|bought|booked)\s+(?:(?:a|an|the|my|our)\s+)?(?:box\s+of\s+|pack\s+of\s+)?"
    + _COUNT
    + r"(?![\w.:]\d|\s*(?:am|pm|a\.m|p\.m|minutes|mins|hours|times|days|weeks)\b)[^.!?]{0,30}?[.!?,;]\s+"
    r"(?:(?:i|we|and|but|only)\s+)*(?:counted|got|received|there\s+(?:were|was)|found|came\s+with|had)\s+(?:only\s+|just\s+)?"
    + _COUNT
    + r"\b",
    re.IGNORECASE,
)
_SAID_DURATION = re.compile(
    r"\b(?:said|promised|quoted|estimated|estimate|eta|told\s+(?:me|us))\s+(?:was\s+|of\s+)?(?:\d+\s*-\s*)?(\d+)\s*"
    r"(?:min|mins|minutes)\b[^!?]{0,60}?\b(?:took|after|delivered\s+at|arrived\s+(?:at|after)|it's\s+been|been)\s+"
    r"(?:over\s+|nearly\s+|almost\s+|another\s+)?(?:(\d+)h(\d{2})|(\d+)\s*(min|mins|minutes|hours?|hrs?)?)\b",
    re.IGNORECASE,
)
_OTHER_DOOR = re.compile(
    r"\b(?:number|no\.|flat|house|door)\s*(\d+[a-z]?)\b[^.!?]{0,20}?[.!?,;]?\s+(?:but\s+)?(?:i|we)\s+(?:live|am|are|'m"
    r"|'re)\s+(?:at\s+|in\s+)?(?:number\s+|no\.\s*|flat\s+|house\s+)?(\d+[a-z]?)\b",
    re.IGNORECASE,
)


def _readings_disagree(text: str) -> str:
    def amount(match: re.Match[str]) -> float:
        return float(next(group for group in match.groups() if group is not None))

    shown = [match for match in (_MONEY_STATED.search(text), _MONEY_SHOWN.search(text)) if match is not None]
    stated = min(shown, key=lambda match: match.start(), default=None)
    if stated is not None:
        for taken in _MONEY_TAKEN.finditer(text, stated.end()):
            if amount(taken) > amount(stated) or (amount(taken) != amount(stated) and _SAME_THING.search(text)):
                text = text[: taken.end()] + " overcharged" + text[taken.end() :]
                break

    def rise(match: re.Match[str]) -> str:
        before, after = (float(match[number]) / (100 if match[pence] else 1) for number, pence in ((1, 2), (3, 4)))
        return match.group() + " price_rise" if after > before else match.group()

    def short(match: re.Match[str]) -> str:
        return match.group() + " short_changed" if _value(match[2]) < _value(match[1]) else match.group()

    def late(match: re.Match[str]) -> str:
        said = int(match[1])
        if match[2]:
            came = int(match[2]) * 60 + int(match[3])
        else:
            came = int(match[4]) * (60 if (match[5] or "").lower().startswith("h") else 1)
        return match.group() + " late" if came - said >= LATE_MINUTES else match.group()

    def other_door(match: re.Match[str]) -> str:
        if match[1].lower() == match[2].lower():
            return match.group()
        # The mark goes with the wrong door, where the act is told ("handed to someone at number 14").
        cut = match.end(1) - match.start()
        return match.group()[:cut] + " wrong_place" + match.group()[cut:]

    def free_charged(match: re.Match[str]) -> str:
        # What was to be free and was charged for is no praise of a free thing.
        return match.group()[len("free") :].lstrip() + " overcharged" if amount(match) > 0 else match.group()

    def labels_differ(match: re.Match[str]) -> str:
        first, second = match[1].lower(), match[2].lower()
        if first == second or first in _NO_LABEL or second in _NO_LABEL:
            return match.group()
        return match.group() + " mismatch_count"

    text = _FREE_CHARGED.sub(free_charged, text)
    text = _LABELS_DIFFER.sub(labels_differ, text)
    text = _PRICE_MOVED.sub(rise, text)
    text = _COUNT_ORDERED.sub(short, text)
    text = _SAID_DURATION.sub(late, text)
    return _OTHER_DOOR.sub(other_door, text)


def _broken_promise(text: str, analyzer: SentimentIntensityAnalyzer) -> str:
    def mark(match: re.Match[str]) -> str:
        if float(analyzer.polarity_scores(match.group(1))["compound"]) > 0.05:
            return match.group()
        return "broken_promise"

    return _PROMISED.sub(mark, text)


def _broken_expectation(text: str, analyzer: SentimentIntensityAnalyzer) -> str:
    def mark(match: re.Match[str]) -> str:
        # The clause the concession is of: praise in an earlier clause ("Big fan of the burger, it came with cheese
        # despite me ticking no cheese") is another matter than the obstacle overcome.
        sentence_start = max(text.rfind(end, 0, match.start()) for end in ".!?,;")
        before = text[sentence_start + 1 : match.start()]
        if float(analyzer.polarity_scores(before)["compound"]) > 0.05:
            return match.group()  # "hot and on time even though I ordered at 11": an obstacle overcome
        return match.group(1) + "expectation_broken "

    return _CONCESSION.sub(mark, text)


# "Ordered a large and got a small", "asked for mild but got spicy": one option ordered, another delivered.
_OPTIONS = frozenset(
    [
        "small",
        "medium",
        "large",
        "regular",
        "big",
        "extra-large",
        "mild",
        "medium-hot",
        "hot",
        "spicy",
        "diet",
        "still",
        "sparkling",
        "vegan",
        "vegetarian",
        "veggie",
        "chicken",
        "beef",
        "lamb",
        "pork",
        "fish",
        "prawn",
        "halloumi",
        "tofu",
        "plain",
        "salted",
        "sweet",
        "white",
        "brown",
        "vegetable",
        "meat",
        "margherita",
        "pepperoni",
        "cheese",
        "gluten_free",
        "dairy_free",
        "sugar_free",
        "decaf",
        "oat",
        "skimmed",
        "full-fat",
        "wholemeal",
    ]
)
_MISMATCH = re.compile(
    r"\b(?:ordered|paid\s+for|paid_for|billed\s+for|charged\s+for|asked\s+for|requested|chose|selected)\s+"
    r"(?:an?\s+|the\s+|one\s+|two\s+)?([a-z_-]+)\b[^.!?;]{0,40}?\b(?:but|and)\s+(?:got|received|they\s+sent|was\s+sent"
    r"|it\s+was|came|was\s+given|was\s+handed|handed|given|brought)\s+(?:(?:me|us)\s+)?(?:an?\s+|the\s+|one\s+|two\s+)?"
    r"([a-z_-]+)\b",
    re.IGNORECASE,
)


# "We got a vegetable korma when we ordered the chicken one": what came, then what was ordered.
_MISMATCH_AFTER = re.compile(
    r"\b(?:got|received|they\s+sent|was\s+sent|were\s+sent|came\s+with|was\s+given|were\s+given)\s+(?:an?\s+|the\s+|one\s+|two\s+)?"
    r"([a-z-]+)\b[^.!?;]{0,40}?\b(?:when|but|though|even\s+though|although|whereas|and)\s+(?:i|we)\s+(?:had\s+)?"
    r"(?:ordered|paid\s+for|paid_for|asked\s+for|requested|chose|selected)\s+(?:an?\s+|the\s+|one\s+|two\s+)?([a-z-]+)\b",
    re.IGNORECASE,
)


def _mismatch(text: str) -> str:
    def mark(match: re.Match[str]) -> str:
        ordered, delivered = match.group(1).lower(), match.group(2).lower()
        if ordered in _OPTIONS and delivered in _OPTIONS and ordered != delivered:
            return match.group()[: match.start(2) - match.start()] + "ignored_request " + match.group(2)
        return match.group()

    def mark_after(match: re.Match[str]) -> str:
        delivered, ordered = match.group(1).lower(), match.group(2).lower()
        if ordered in _OPTIONS and delivered in _OPTIONS and ordered != delivered:
            return "ignored_request " + match.group()
        return match.group()

    return _MISMATCH_AFTER.sub(mark_after, _MISMATCH.sub(mark, text))


# A failure that recurs ("the app keeps freezing", "kept calling"), unless what recurs is good ("keeps improving").
_RECURRING = re.compile(r"\b(keeps|kept|keep)\s+(?:on\s+)?([a-z]+ing)\b", re.IGNORECASE)
# What a customer keeps doing out of loyalty ("I keep coming back").
_RETURNING = frozenset(
    ["coming", "going", "ordering", "returning", "improving", "getting_better", "using", "recommending", "choosing"]
)
# "Could have been crispier", "could be better": the praise word names what was missing, so it is a complaint.
_UNMET = re.compile(
    r"\b(?:could_have_been|could(?:'ve|\s+have)\s+been|should(?:'ve|\s+have)\s+been|could\s+be|could\s+do)\s+"
    r"(?:(?:a\s+)?(?:lot|bit|little|much|far|way)\s+)?(?:more\s+)?([a-z][\w'-]*)"
    # An expectation stated ("I was hoping for a nice meal", "expected better"): the praise word is what did not come.
    r"|\b(?:hoping|hoped|expected|expecting|looking\s+forward\s+to)\s+(?:for\s+)?(?:a\s+|an\s+|some\s+|the\s+)?"
    r"(?:(?:much|far|a\s+lot|really|very)\s+)?([a-z][\w'-]*)"
    # Barely what it should be ("barely warm", "hardly cooked").
    r"|\b(?:barely|hardly|scarcely)\s+([a-z][\w'-]*)"
    # What was claimed, then denied ("the order said it included a free drink but there was none"): the praise word
    # names the claim.
    r"|\b(?:said|says|claimed|claims|advertised|promised|listed|showed|shows)\s+(?:it\s+|they\s+|there\s+)?(?:would\s+|was\s+"
    r"|were\s+|is\s+|are\s+|included\s+|includes\s+|came\s+with\s+|comes\s+with\s+|had\s+|has\s+)?(?:be\s+|come\s+with\s+)?"
    r"(?:a\s+|an\s+|some\s+)?([a-z][\w'-]*)(?=[^.!?]{0,80}\bbut\b)",
    re.IGNORECASE,
)
# Suffix folding: an inflection the lexicons lack is read as the entry it inflects ("quickest" as "quick", "soaking"
# as "soaked", "politely" as "polite"). Suffixes are tried longest first; the stem must keep at least 3 letters.
_SUFFIXES = (
    ("iest", "y"),
    ("ier", "y"),
    ("ily", "y"),
    ("ied", "y"),
    ("ies", "y"),
    ("ibly", "ible"),
    ("ably", "able"),
    ("est", ""),
    ("er", ""),
    ("ly", ""),
    ("ing", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
)
# Words whose suffix is no inflection of the entry it would fold to ("lately" is not "late", "toppings" not "top").
_NOT_FOLDED = frozenset(
    [
        "lately",
        "later",
        "latest",
        "likely",
        "hardly",
        "shortly",
        "only",
        "fairly",
        "toppings",
        "topping",
        "topped",
        "rider",
        "riders",
        "player",
        "sorely",
        "freely",
        "finely",
        "mostly",
        "partly",
        "nearly",
        "newly",
        "order",
        "ordered",
        "ordering",
        "orders",
        "supper",
        "super",
        "dinner",
        "helper",
        "cleaner",
        "stranger",
        "pointed",
        "liked",
        "likes",
        "charger",
        "freezer",
        "heater",
        "cooler",
        "handed",
        "handing",
        "hands",
        "wished",
        "wishes",
        "refunded",
        "stalled",
        "cooled",
        "cooling",
        "cools",
        "warmed",
        "warming",
        "treated",
        "treating",
        "hoped",
        "hoping",
        "hopes",
        "sharing",
        "shared",
        "savings",
        "shakes",
        "setting",
        "settings",
        "sets",
        "played",
        "playing",
        "stalling",
        "crisps",
    ]
)

# Entries nothing folds onto: VADER's slang, and praise whose other inflections are complaints or facts ("smashed",
# "cracked", "bangers", "guts").
_NOT_FOLD_TARGETS = frozenset(
    ["sete", "sfete", "hak", "smashing", "cracking", "belting", "banger", "banging", "gutted", "crisp", "stoked"]
)


@cache
def _lexicon() -> dict[str, Any]:
    entries: dict[str, Any] = json.loads(LEXICON_FILE.read_text(encoding="utf-8"))
    return entries


def _token(phrase: str) -> str:
    return phrase.replace(" ", "_")


def _inflectable(word: str) -> str:
    # A phrase's word also matches its inflections ("let us down": "lets us down"; "take ages": "taking ages").
    if not re.fullmatch(r"[a-z]{3,}", word):
        return re.escape(word)
    if word.endswith("e"):
        return re.escape(word[:-1]) + "(?:e|es|ed|ing)"
    return re.escape(word) + "(?:s|es|ed|ing)?"


@cache
def _phrases() -> re.Pattern[str]:
    # Longest first, so "couldn't ask for more" wins over any shorter phrase inside it.
    phrases = sorted(_lexicon()["phrases"], key=len, reverse=True)
    return re.compile(
        r"\b(?:" + "|".join(r"(?:\s+|-)".join(map(_inflectable, p.split())) for p in phrases) + r")\b", re.IGNORECASE
    )


def _phrase_key(words: list[str]) -> tuple[str, ...]:
    return tuple(stem(word) for word in words)


@cache
def _phrase_entries() -> dict[tuple[str, ...], str]:
    """The lexicon phrase an inflected match stands for, by the stems of its words."""
    return {_phrase_key(phrase.split()): phrase for phrase in sorted(_lexicon()["phrases"], key=len)}


def _phrase_token(match: re.Match[str]) -> str:
    words = match.group().lower().replace("-", " ").split()
    return _token(_phrase_entries().get(_phrase_key(words), " ".join(words)))


@cache
def _cues() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((token, re.compile(pattern, re.IGNORECASE)) for token, pattern in _CUES)


@cache
@cache
def _claim() -> re.Pattern[str]:
    cues = "|".join(r"\s+".join(map(re.escape, cue.split())) for cue in _lexicon()["claims"])
    return re.compile(rf"\b(?:{cues})\b", re.IGNORECASE)


def _wanted() -> frozenset[str]:
    return frozenset(_token(cue) for cue in _lexicon()["wanted"])


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    lexicon = _lexicon()
    analyzer.lexicon.update(lexicon["words"])
    analyzer.lexicon.update({_token(phrase): valence for phrase, valence in lexicon["phrases"].items()})
    analyzer.lexicon.update(lexicon["rules"])
    # A domain entry speaks for its inflections that VADER scores otherwise ("cancelled" -1.5 here, VADER's "cancels"
    # -0.9), where both agree in sign; a neutralized noun ("support" 0.0) leaves VADER's "supported" alone.
    domain: dict[str, float] = {}
    for word, valence in lexicon["words"].items():
        if valence:
            domain.setdefault(stem(word), valence)
    for word, valence in list(analyzer.lexicon.items()):
        inherited = domain.get(stem(word))
        if word in lexicon["words"] or word in _NOT_FOLDED or not _inflected(word) or inherited is None:
            continue
        if inherited * valence > 0:
            analyzer.lexicon[word] = inherited
    return analyzer


def stem(word: str) -> str:
    """``word`` (lower case) without its inflection: "quickest", "quicker", "quickly" -> "quick"; "soaked",
    "soaking" -> "soak"; "hotter" -> "hot"; "tastiest" -> "tasty"; "refused", "refuse" -> "refus"."""
    base = word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)] + replacement
            if len(base) > 3 and base[-1] == base[-2] and base[-1] not in "sz":
                base = base[:-1]  # "hott" -> "hot", "ripp" -> "rip", "cancell" -> "cancel"
            break
    return base[:-1] if len(base) > 3 and base.endswith("e") else base


def _suffix(word: str) -> str:
    return next((suffix for suffix, _ in _SUFFIXES if word.endswith(suffix) and len(word) - len(suffix) >= 3), "")


def _inflected(word: str) -> bool:
    # Only an inflected word folds: "bit" must not become "bitter", nor "made" "mad".
    return bool(_suffix(word))


# A verb's forms fold into each other ("soaking" -> "soaked"), and an adjective's ("neater" -> "neatly"), but not one
# into the other ("times" must not become "timely").
_VERB_SUFFIXES = frozenset(["ed", "ied", "ing", "s", "es", "ies"])


def _may_fold(word: str, entry: str) -> bool:
    entry_suffix = _suffix(entry)
    return not entry_suffix or (_suffix(word) in _VERB_SUFFIXES) == (entry_suffix in _VERB_SUFFIXES)


@cache
def _stems() -> dict[str, list[str]]:
    """Each stem of a one-word lexicon entry -> its entries, shortest first, when they agree in sign ("cheap",
    "cheaper")."""
    by_stem: dict[str, list[tuple[str, float]]] = {}
    for word, valence in _analyzer().lexicon.items():
        # Real words only: VADER's slang entries ("sete", "bfd") would catch inflections of other words.
        if re.fullmatch(r"[a-z][a-z'-]*[a-z]", word) and re.search("[aeiou]", word) and abs(valence) >= 0.5:
            if word in _NOT_FOLD_TARGETS:
                continue
            by_stem.setdefault(stem(word), []).append((word, valence))
    return {
        key: sorted((word for word, _ in entries), key=len)
        for key, entries in by_stem.items()
        if len({valence > 0 for _, valence in entries}) == 1
    }


@cache
def _unfoldable() -> frozenset[str]:
    return _NOT_FOLDED | _NEGATORS | frozenset(vader.NEGATE) | frozenset(vader.BOOSTER_DICT)


def _fold(text: str, lexicon: Mapping[str, float]) -> str:
    stems, unfoldable = _stems(), _unfoldable()

    def fold(match: re.Match[str]) -> str:
        word = match.group()
        lower = word.lower()
        if lower in lexicon or lower in unfoldable:
            return word
        entries = stems.get(stem(lower), []) if _inflected(lower) else []
        entry = next((entry for entry in entries if _may_fold(lower, entry)), None)
        if entry is None:
            return word
        return entry.upper() if word.isupper() and len(word) > 1 else entry

    return re.sub(r"(?<![\w'-])[A-Za-z][a-z'-]*[a-z](?![\w'-])|(?<![\w'-])[A-Z]+(?![\w'-])", fold, text)


def _recurring(text: str, lexicon: Mapping[str, float]) -> str:
    def mark(match: re.Match[str]) -> str:
        if lexicon.get(match.group(2).lower(), 0.0) > 0 or match.group(2).lower() in _RETURNING:
            return match.group()
        return "recurring_fault " + match.group()[len(match.group(1)) :].lstrip()

    return _RECURRING.sub(mark, text)


# "pretty slow", "pretty average": a degree adverb (VADER reads it as the adjective, 2.2), unless it follows an
# article or a degree word ("a pretty box", "so pretty").
_PRETTY = re.compile(r"\b(?:(a|an|the|so|very|really|too|how)\s+)?pretty\s+(?=[a-z])", re.IGNORECASE)
# VADER's intensifiers that are adjectives too: said of something ("the dessert was incredible."), they are praise.
_BOOSTER_PRAISE = re.compile(
    r"\b(?:incredible|exceptional|tremendous)\b(?=\s*(?:[.,;:!?]|$|\s+(?:and|but|though|too|as)\b))", re.IGNORECASE
)


# Stance adverbs VADER scores as praise ("clearly" 1.7, "honestly" 2.0) only strengthen what they go with, a complaint
# as much as praise ("had clearly been dropped"): read as the intensifier "really".
_STANCE = re.compile(
    r"\b(?:clearly|definitely|honestly|genuinely|truly|seriously|literally|obviously)\b", re.IGNORECASE
)


# Complaint words that are degree adverbs before praise ("dead impressed", "ridiculously good", "stupidly cheap",
# "insanely tasty"): read as "really" there; before anything else they keep their own sense ("dead battery").
_NEGATIVE_DEGREE = re.compile(
    r"\b(?:dead|mad|crazy|insanely|ridiculously|stupidly|obscenely|scarily|scary|sinfully|wickedly|dangerously"
    r"|disgustingly|criminally|unreasonably|absurdly|outrageously|ludicrously|unbelievably|bloody|damn|damned"
    r"|freaking|wildly|shockingly|awfully|terribly|insane)\s+(?=([a-z][\w'-]*))",
    re.IGNORECASE,
)


def _valence(word: str, lexicon: Mapping[str, float]) -> float:
    """A word's valence, read through its inflection when the lexicons lack it ("tastiest" as "tasty")."""
    if word in lexicon:
        return lexicon[word]
    entries = _stems().get(stem(word), []) if _inflected(word) else []
    return next((lexicon[entry] for entry in entries if _may_fold(word, entry)), 0.0)


# British degree adverbs that are words of their own too ("well rude", "proper tasty"; VADER's "well" is praise).
_PLAIN_DEGREE = re.compile(r"\b(?<!\bas\s)(?:well|proper)\s+(?=([a-z][\w'-]*))", re.IGNORECASE)


def _degree_words(text: str, lexicon: Mapping[str, float]) -> str:
    text = _NEGATIVE_DEGREE.sub(
        lambda match: "really " if _valence(match.group(1).lower(), lexicon) > 0 else match.group(), text
    )
    text = _PLAIN_DEGREE.sub(
        lambda match: "really " if _valence(match.group(1).lower(), lexicon) != 0 else match.group(), text
    )
    text = _STANCE.sub("really", text)
    text = _PRETTY.sub(lambda match: match.group() if match.group(1) else "quite ", text)
    return _BOOSTER_PRAISE.sub("booster_praise", text)


def _unmet(text: str, lexicon: Mapping[str, float]) -> str:
    def mark(match: re.Match[str]) -> str:
        praised = next(group for group in match.groups() if group is not None).lower()
        return "unmet_expectation" if lexicon.get(praised, 0.0) > 0 else match.group()

    return _UNMET.sub(mark, text)


def _excluded(text: str) -> str:
    """Marks an excluded item that turns up later as an ignored request; the exclusion itself negates nothing."""
    for match in reversed(list(_EXCLUDED.finditer(text))):
        item = stem(match.group(2).lower())
        tail = text[match.end() :]
        # Within the next two sentences or so: an item named much later is another matter.
        words = _LATER_WORD.finditer(tail, 0, _EXCLUDED_REACH)
        found = next((word for word in words if stem(word.group(1).lower()) == item), None)
        if found is not None:
            tail = tail[: found.start()] + "ignored_request " + tail[found.start() :]
        start, end = match.span(1)
        text = text[:start] + "excluding" + text[end : match.end()] + tail
    return text


_NEVER_SKIP = frozenset(["been", "once", "ever", "a", "an", "any", "is", "was", "gets", "got"])


def _complaint_after_never(following: list[str], lexicon: Mapping[str, float], wanted: frozenset[str]) -> bool:
    if not following:
        return False
    judged = following[1] if following[0] in _NEVER_SKIP and len(following) > 1 else following[0]
    return judged not in wanted and lexicon.get(judged, 0.0) < 0


def _plain_ing(following: list[str], lexicon: Mapping[str, float]) -> bool:
    verb = following[1] if following[0] == "even" and len(following) > 1 else following[0]
    # "without (even) asking" is left alone: whose asking it was decides ("got a discount" or "added a fee").
    return verb.endswith("ing") and len(verb) > 5 and verb not in lexicon and verb != "asking"


# A negated verb that states no failure: a thought or an expectation ("wasn't expecting it so soon", "didn't know
# you did breakfast", "don't mind"), a need ("we don't need cutlery").
_THOUGHT = frozenset(
    [
        "expect",
        "expecting",
        "expected",
        "think",
        "thinking",
        "thought",
        "know",
        "knew",
        "realise",
        "realize",
        "realised",
        "realized",
        "mind",
        "tell",
        "need",
        "needed",
        "want",
        "wanted",
        "usually",
        "normally",
        "tend",
        "often",
    ]
)
# A diet or a habit ("my son doesn't eat spicy food", "we can't have dairy", "I don't like onions"), unless what is
# refused is the order itself ("can't eat this", "didn't like the sauce").
_HABIT_NEGATORS = frozenset(["don't", "doesn't", "can't", "cannot", "won't"])
_HABITS = frozenset(["eat", "drink", "have", "like", "take", "do", "touch"])
_THE_ORDER = frozenset(
    [
        "it",
        "this",
        "that",
        "them",
        "these",
        "those",
        "the",
        "my",
        "our",
        "your",
        "any",
        "much",
        "more",
        "half",
        "a",
        "an",
        "anything",
        "one",
        "their",
        "his",
        "her",
        "its",
        "enough",
    ]
)
# Not done yet by the customer ("haven't eaten it yet", "haven't tried it yet"): a fact, not a failure.
_NOT_YET = frozenset(["eaten", "tried", "opened", "tasted", "had", "started", "finished", "used", "checked", "touched"])
# An instruction to whoever delivers ("Don't ring the bell", "don't forget the sauce").
_INSTRUCTIONS = frozenset(
    [
        "ring",
        "knock",
        "buzz",
        "call",
        "phone",
        "text",
        "leave",
        "put",
        "add",
        "include",
        "send",
        "bring",
        "worry",
        "forget",
        "honk",
        "wake",
        "use",
        "come",
    ]
)
# "won't be home until 7": where someone will be.
_WHEREABOUTS = frozenset(["home", "in", "around", "there", "available", "at", "out", "able", "here", "back"])
# What "Don't ..." advises others against, at the start of a clause.
_WARNED = frozenset(["bother", "waste", "order", "buy", "trust", "risk", "expect", "touch", "even"])


_CONDITIONS = frozenset(["if", "unless", "case", "whether"])


def _clause_start(words: list[str], index: int) -> bool:
    return index == 0 or words[index - 1][-1:] in ".!?,;:" or words[index - 1].lower() in ("just", "so", "and")


def _no_failure(words: list[str], bare: list[str], index: int) -> bool:
    """Whether the negator at ``index`` negates a thought, a habit, a customer's not-yet or an instruction."""
    word, following = bare[index], [other for other in bare[index + 1 : index + 6] if other]
    if not following:
        return False
    verb = following[0]
    if verb in _THOUGHT:
        return True
    # A condition put ("leave it with the concierge if I don't answer", "in case we can't hear the bell"): a
    # hypothetical, not something that happened.
    if any(other in _CONDITIONS for other in bare[max(0, index - 3) : index]) and (
        index and bare[index - 1] in ("i", "we", "you", "i'm", "we're")
    ):
        return True
    after = following[1] if len(following) > 1 else ""
    if word in _HABIT_NEGATORS and verb in _HABITS and after not in _THE_ORDER:
        return True
    if word == "don't" and verb == "have" and after in ("a", "an") and index and bare[index - 1] in ("i", "we"):
        return True  # "I don't have a car", "we don't have a doorbell"
    if verb in _NOT_YET and "yet" in following[1:4] and (index == 0 or bare[index - 1] in ("i", "we")):
        return True
    if verb == "be" and after in _WHEREABOUTS and after != "back":
        return True
    return word == "don't" and verb in _INSTRUCTIONS and _clause_start(words, index)


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
        elif word == "never" and _complaint_after_never(bare[index + 1 : index + 3], lexicon, wanted):
            # "never disappoints", "never lets us down", "never been late": a complaint denied is praise, and
            # stronger than VADER's reversal of the complaint word.
            words[index] = "no_trouble"
            skip = 1 if bare[index + 1] in _NEVER_SKIP else 0
            for offset in range(1, 2 + skip):
                words[index + offset] = re.sub(r"[\w'-]+", "", words[index + offset], count=1)
        elif word == "without" and _plain_ing(bare[index + 1 : index + 3], lexicon):
            words[index] = "negated_action"  # "closed it without even reading it": something not done
        elif word == "don't" and _clause_start(words, index) and following[0] in _WARNED:
            # "Don't bother", "Don't waste your money", "Don't order from here": advice to others, a complaint.
            words[index] = "warning"
            if following[0] in lexicon:
                words[index + 1] = re.sub(r"[\w'-]+", "", words[index + 1], count=1)
        elif word in _NEGATORS or word == "no":
            # "won't refund me", "no refund": VADER would reverse the cue into praise. "couldn't eat it": VADER
            # sees no sentiment word to negate. ("no" alone negates facts too: "no onions, as asked".)
            negates_a_want = any(other in wanted for other in following)
            if negates_a_want or (word != "no" and not judged and not _no_failure(words, bare, index)):
                words[index] = "negated_action"
    return " ".join(words)


# A hedge softens a judgement: an adjective or an adverb ("a bit slow", "a little on the small side", "slightly
# undercooked"). Before a noun "a little" is a size ("a little message on the box"), no judgement.
_ADJECTIVE_ENDINGS = ("y", "ish", "er", "ed", "ing", "ful", "less", "ous", "ive", "al", "ic", "ble", "ent", "ant", "ly")
_PLAIN_ADJECTIVES = frozenset(["slow", "late", "cold", "small", "thin", "long", "short", "hard", "soft", "weak", "off"])
_JUDGED_AFTER_HEDGE = frozenset(["on", "too", "under", "over", "below", "behind", "out"])


def _judgement(word: str, lexicon: Mapping[str, float]) -> bool:
    return (
        lexicon.get(word, 0.0) < 0
        or word in _PLAIN_ADJECTIVES
        or word in _JUDGED_AFTER_HEDGE
        or (word.endswith(_ADJECTIVE_ENDINGS) and len(word) > 3)
    )


def _hedges(text: str, lexicon: Mapping[str, float]) -> str:
    def mark(match: re.Match[str]) -> str:
        after = match.group(1).lower()
        if after in _NOT_HEDGED or lexicon.get(after, 0.0) > 0 or not _judgement(after, lexicon):
            return match.group()
        return "mild_complaint "

    return _HEDGE.sub(mark, text)


# Review emojis VADER's emoji descriptions score as nothing ("thumbs up", "face with rolling eyes"), as tokens.
_EMOJI = {
    "\U0001f44d": "thumbs_up",
    "\U0001f44e": "thumbs_down",
    "\U0001f644": "eye_roll",
    "\U0001f924": "drooling",
    "\U0001f60b": "drooling",
    "\U0001f4af": "hundred_points",
    "\U0001f64c": "applause",
    "\U0001f44f": "applause",
    "\u2764": "heart",
    "\u2665": "heart",
    "\U0001f621": "angry_face",
    "\U0001f92c": "angry_face",
    "\U0001f624": "angry_face",
    "\U0001f922": "sickened",
    "\U0001f92e": "sickened",
}
_EMOJIS = re.compile("(" + "|".join(_EMOJI) + ")\ufe0f?")


def clauses(text: str) -> list[str]:
    """``text`` with its cues turned into lexicon tokens, cut where praise and complaint are usually separated."""
    lexicon = _analyzer().lexicon
    text = " ".join(_EMOJIS.sub(lambda match: f" {_EMOJI[match.group(1)]} ", text.replace("\u2019", "'")).split())
    text = _UNCONTRACTED.sub(lambda match: _CONTRACTED[match.group(1).lower()], text)
    text = _mark_broken(text)
    text = _phrases().sub(_phrase_token, text)
    text = re.sub(r"\bno[\s-]one\b", "nobody", text, flags=re.IGNORECASE)
    text = _EXCLUSION.sub("without", text)
    text = _excluded(text)
    text = _mismatch(text)
    text = _IGNORED_REQUEST.sub(r"\1ignored_request", text)
    text = _SUBSTITUTED.sub(r"\1substituted", text)
    text = _COST_SIZE.sub(lambda match: (match.group(1) or "") + "price_high", text)
    for token, pattern in _cues():
        text = pattern.sub(token, text)
    text = _CHARGED_AFTER_ALL.sub(r"\1overcharged", text)
    text = _late_by_the_clock(text)
    text = _broken_expectation(text, _analyzer())
    text = _broken_promise(text, _analyzer())
    text = _counts_differ(text)
    text = _readings_disagree(text)
    text = _degree_words(text, lexicon)
    text = _fold(text, lexicon)
    text = _recurring(text, lexicon)
    text = _unmet(text, lexicon)
    text = _hedges(text, lexicon)
    text = _negations(text, lexicon)
    return [chunk for clause in _CLAUSE_BREAK.split(text) if clause.strip() for chunk in _chunks(clause)]


# A customer's expectation stated broken (offline/comprehend/expectations.py: "the ice cream was liquid"): the clause
# stating it is marked, and weighs as a complaint of BROKEN_WEIGHT whatever VADER reads in its words ("warm" is praise
# to VADER, not of ice cream).
BROKEN = "broken_expectation"
BROKEN_WEIGHT = 0.55
_CLAUSE_END = re.compile(rf"[.!?;,:]|\s(?={_CONTRAST_WORDS}\b)|$", re.IGNORECASE)


def _mark_broken(text: str) -> str:
    ends = sorted({_CLAUSE_END.search(text, end).start() for end in broken(text)}, reverse=True)  # type: ignore[union-attr]
    for end in ends:
        text = f"{text[:end]} {BROKEN}{text[end:]}"
    return text


def _chunks(clause: str) -> list[str]:
    # VADER's cost grows with the square of a clause's length (it re-reads the clause for each sentiment word); a
    # review's clauses are far shorter than this, an unpunctuated 5,000-byte text is not.
    # The mark of a broken expectation is no word of the review: it goes with the word before it.
    words: list[str] = []
    for word in clause.split():
        if word.startswith(BROKEN) and words:
            words[-1] += " " + word
        else:
            words.append(word)
    if len(words) <= _MAX_CLAUSE_WORDS:
        return [clause]
    return [" ".join(words[start : start + _MAX_CLAUSE_WORDS]) for start in range(0, len(words), _MAX_CLAUSE_WORDS)]


def _likelihood(evidence: float) -> float:
    return 1 - math.exp(-evidence / EVIDENCE_SCALE)


def _score(analyzer: SentimentIntensityAnalyzer, clause: str, asking: bool) -> float:
    if BROKEN in clause:
        unmarked = " ".join(clause.replace(BROKEN, " ").split())
        return max(-1.0, min(0.0, _score(analyzer, unmarked, asking)) - BROKEN_WEIGHT)
    compound = float(analyzer.polarity_scores(clause)["compound"])
    if clause.rstrip().endswith("?"):
        return compound * QUESTION_WEIGHT
    if compound > 0 and (_REQUEST.search(clause) or (asking and _COURTESY.search(clause))):
        return compound * REQUEST_WEIGHT
    frame = _FRAME.search(clause)
    if frame is not None and analyzer.lexicon.get(frame.group(1).lower(), 0.0) != 0.0:
        return compound * FRAME_WEIGHT
    return compound


# A clause that only denies what the one before it said ("The app is brilliant, the support is not.", "the food less
# so"): it has no sentiment word of its own, and takes the opposite of the clause before.
_ELLIPTIC = re.compile(
    r"(?:\b(?:is|was|are|were)\s+not|\b(?:isn't|wasn't|aren't|weren't|doesn't|didn't)|\bless\s+so"
    r"|\bnot\s+so\s+much|\bnot\s+really|\bnot\s+so)\W*$",
    re.IGNORECASE,
)
ELLIPTIC_WEIGHT = 0.8


def _elliptic(parts: list[str], scores: list[float]) -> list[float]:
    return [
        -scores[index - 1] * ELLIPTIC_WEIGHT if index and not score and _ELLIPTIC.search(parts[index]) else score
        for index, score in enumerate(scores)
    ]


def _contrasted(parts: list[str], scores: list[float]) -> bool:
    """Whether a contrast word joins two clauses of opposite sign ("Tasty, but cold.", "Cold food though.")."""
    for index, part in enumerate(parts):
        if _CONTRAST.search(part) is None:
            continue
        before = scores[index - 1] if index else 0.0
        if before * scores[index] < 0:
            return True
        trailing = _TRAILING_CONTRAST.search(part) is not None
        if trailing and index + 1 < len(parts) and scores[index] * scores[index + 1] < 0:
            return True  # "Lovely driver, wrong order though. ..." reads against what follows too
    return False


# Praise as an exclamation on its own ("Oh great,", "Just brilliant.", "Great, just great."): in a review that
# complains, it is sarcasm and says the complaint again.
_INTERJECTION = (
    r"(?:great|brilliant|lovely|wonderful|perfect|fantastic|marvell?ous|super|fab|fabulous|nice|amazing|excellent"
    r"|joy|cheers)"
)
_SARCASM = re.compile(rf"^\W*(?:oh|ah|well|just|yeah|wow)\W+{_INTERJECTION}\W*$", re.IGNORECASE)
_BARE_INTERJECTION = re.compile(rf"^\W*{_INTERJECTION}\W*$", re.IGNORECASE)


def _sarcasm(parts: list[str], scores: list[float]) -> list[float]:
    if not any(score < 0 for score in scores):
        return scores
    flipped = list(scores)
    for index, part in enumerate(parts):
        if _SARCASM.search(part):
            flipped[index] = -abs(scores[index])
            if index and _BARE_INTERJECTION.search(parts[index - 1]):
                flipped[index - 1] = -abs(scores[index - 1])
    return flipped


# Concessive praise: a complaint conceded before a contrast word and the verdict that it was worth it ("Pricey, but
# worth every penny", "A long wait but worth it"). The verdict is the review's point; the complaint weighs little.
_WORTH_VERDICT = re.compile(r"^\W*(?:but|though|although|yet)\b.*\b(?:well_)?worth", re.IGNORECASE)
CONCESSION_WEIGHT = 0.25


def _conceded(parts: list[str], scores: list[float]) -> bool:
    return any(
        score > 0 and _WORTH_VERDICT.search(part) and index and scores[index - 1] < 0
        for index, (part, score) in enumerate(zip(parts, scores, strict=True))
    )


# A fact set against praise by a contrast word ("Nice menus, but half the items shown are sold out", "Courier was a
# legend, but the order still turned up 45 min after the ETA", "took 3 tries to reach a human tho"): the writer
# contrasts it with the praise because it is the complaint, though no word of it judges. Only a clause with next to
# no sentiment of its own, in a review whose other clauses praise (at FACT_PRAISE_FLOOR at least, not a question's or a
# request's praise), so that facts and questions with no praise stay NEUTRAL.
FACT_AGAINST_PRAISE = 0.3
FACT_PRAISE_FLOOR = 0.3
# VADER's faint readings of plain words ("tries", "human": 0.03) are no sentiment of the clause's own.
FACT_FAINT = 0.1


def _fact_against_praise(parts: list[str], scores: list[float]) -> list[float]:
    praised = [
        index
        for index, (part, score) in enumerate(zip(parts, scores, strict=True))
        if score >= FACT_PRAISE_FLOOR and not part.rstrip().endswith("?")
    ]
    if not praised:
        return scores
    return [
        -FACT_AGAINST_PRAISE
        if abs(score) < FACT_FAINT
        and _CONTRAST.search(part)
        and not part.rstrip().endswith("?")
        and not _REQUEST.search(part)
        and any(other != index for other in praised)
        else score
        for index, (part, score) in enumerate(zip(parts, scores, strict=True))
    ]


# A review of plain facts that opens with what it was promised or shown ("The promo said 50% off the first order.
# Receipt shows full price.", "Support promised a call back within 24 hours. That was Monday. It's Friday."): told
# with no word that judges, the sentences after the claim are what came instead, and the last says where it ended.
# Only when no clause judges or asks, so a fact or a question stays NEUTRAL.
CLAIM_AGAINST_FACT = BROKEN_WEIGHT


def _claim_against_fact(text: str, parts: list[str], scores: list[float]) -> list[float]:
    sentences = [sentence for sentence in re.split(r"(?<=[.!?])\s+", text.strip()) if sentence]
    if (
        len(sentences) < 2
        or len(parts) < 2
        or "?" in text
        or any(abs(score) >= FACT_FAINT for score in scores)
        or _claim().search(sentences[0]) is None
    ):
        return scores
    # A figure claimed and then met ("The app said 7:30. It came at 7:30.") is an order that went as promised.
    claimed = set(re.findall(r"\d+(?:[:.]\d+)?", sentences[0]))
    if claimed & set(re.findall(r"\d+(?:[:.]\d+)?", " ".join(sentences[1:]))):
        return scores
    return [*scores[:-1], -CLAIM_AGAINST_FACT]


def sentiment(text: str) -> dict[str, Any]:
    """Comprehend's DetectSentiment answer for ``text`` (see the module docstring for how it is computed)."""
    analyzer = _analyzer()
    parts = clauses(text)
    asking = any(part.rstrip().endswith("?") or _REQUEST.search(part) for part in parts)
    scores = _sarcasm(parts, _elliptic(parts, [_score(analyzer, clause, asking) for clause in parts]))
    scores = _fact_against_praise(parts, scores)
    scores = _claim_against_fact(text, parts, scores)
    conceded = _conceded(parts, scores)
    if conceded:
        scores = [score * CONCESSION_WEIGHT if score < 0 else score for score in scores]
    praise_evidence = sum(score for score in scores if score > 0)
    complaint_evidence = -sum(score for score in scores if score < 0)
    if not conceded and _contrasted(parts, scores):
        praise_evidence *= CONTRAST_PAIR_WEIGHT
        complaint_evidence *= CONTRAST_PAIR_WEIGHT
    elif min(praise_evidence, complaint_evidence) >= CONTRAST_FLOOR:
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
