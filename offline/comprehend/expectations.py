"""What a food-delivery customer expects, and where a review says it was broken.

A complaint told as plain facts ("the ice cream was liquid", "marked the order as nut-free and it came topped with
cashews", "the driver demanded a cash tip") has no evaluative word for a lexicon to read: what makes it a complaint
is knowing what the customer expected. :data:`EXPECTATIONS_FILE` holds that knowledge as data, and the rules here
compose it rather than list phrases:

- a kind of thing and a state wrong for it: something frozen that arrived warm, melted or liquid; a chilled drink
  warm; a hot dish cold; cooked food raw or pink; a sealed bag, lid or seal open, torn or leaking; something fragile
  cracked or crushed; fresh food mouldy or past its date; an app, a code or a payment that crashed, failed, was
  declined or did not work. The state is read after its object and a linking verb ("the ice cream tub was soft",
  "the frozen yoghurt arrived as a warm puddle"), right after it ("came with the seal torn"), or before it as an
  adjective ("warm ice cream"). In a grocery order raw meat and dairy are chilled goods.
- a diet or an allergy and, after it in the review, a food that breaks it ("asked for vegan ... found chicken",
  "peanut allergy ... the satay sauce"), unless the food is itself of the diet ("vegan cheese") or denied ("no meat").
- a courier's act that breaks the norm of a delivery: a demand ("said I had to pay him extra", "asked me to come
  down"), a refusal of the job ("would not come up"), rough handling, food left exposed ("in the rain", "on the
  pavement"), a stop elsewhere with the order ("at a petrol station for forty minutes").

A break is not read in a question, a request or a condition ("Can you pack the ice cream so it doesn't melt?"), nor
when denied ("the ice cream hadn't melted at all"). :func:`broken` returns where each break ends, so that the
sentiment analyzer can weigh the clause that states it as a complaint.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

EXPECTATIONS_FILE = Path(__file__).with_name("expectations.json")

# Linking verbs between a thing and its state ("was", "arrived", "had gone"), and the words that may come between
# ("still", "all", "completely").
_LINK = (
    r"(?:is|was|were|are|arrived|came|come|comes|turned\s+up|showed\s+up|got\s+here|got\s+to\s+me|had\s+been|has\s+been"
    r"|have\s+been|had\s+gone|has\s+gone|have\s+gone|had\s+turned|had\s+become|had|has|have|'d|turned|went|looked"
    r"|looks|felt|feels|seemed|became|got|gets|ended\s+up|been|being|tasted|smelled|smelt|delivered|left"
    # "were sitting in a pool of melted cream", "went from 450 to zero"
    r"|(?:were|was|are|is)?\s*(?:sitting|sat|swimming|floating|lying)\s+in|went\s+(?:from\s+[\w.,]+|down)|dropped\s+from\s+[\w.,]+)"
)
_ADVERB = (
    r"(?:still|all|completely|totally|already|just|very|really|so|quite|partly|fully|basically|practically|almost"
    r"|entirely|half|properly|literally|absolutely|actually|clearly|visibly|somehow|even|kind\s+of|sort\s+of|pretty"
    r"|a\s+bit|slightly|now|mostly|largely|then)"
)
# A gap between a thing and its linking verb does not cross a new clause.
_GAP = (
    r"(?:\s+(?:and\s+then|then)|\s+(?!(?:and|but|or|though|although|while|because|so|yet|then|which|whereas|not|never|no"
    r"|without)\b|[\w'-]*n't\b)[\w'-]+){0,6}?"
)
# The words between a courier and the act, or between an act and where the food was left: no denial among them.
_SPAN = r"(?:\s+(?!(?:not|never|no|without|but)\b|[\w'-]*n't\b)[\w'-]+)"
# A thing named after one of these is of another kind ("iced coffee" is no hot coffee, "vegan cheese" no cheese).
_OTHER_KIND = r"(?<!\biced\s)(?<!\bcold\s)(?<!\bfrozen\s)(?<!\bchilled\s)(?<!\bhot\s)(?<!\bwarm\s)"
_NEGATED = re.compile(
    r"\b(?:not|no|never|without|hardly|barely|nothing|none|neither|nor|zero|free\s+of)\b|n't\b", re.IGNORECASE
)
# A sentence that asks, requests, supposes or fears rather than reports ("so it doesn't melt", "in case").
_NOT_REPORTED = re.compile(
    r"\?\s*$|^\W*(?:please|kindly|can|could|would|will|do|does|is|are|if|when|make\s+sure|how|what|why|which)\b"
    # "if" supposes, unless it states a courier's condition ("would only bring it up if I tipped").
    r"|^(?![^.!?;]*\bonly\b)[^.!?;]*\bif\b"
    r"|\b(?:please|in\s+case|so\s+(?:that\s+)?(?:it|they)\s+(?:don't|doesn't|won't|wouldn't|do\s+not|does\s+not)"
    r"|to\s+(?:stop|keep|prevent|avoid)|make\s+sure|worried|afraid|hope|hoping|might|may|could\s+(?:have|be|you)"
    r"|would\s+be"
    r"|in\s+the\s+past|used\s+to|no\s+longer|anymore|any\s+more|last\s+year"
    r"|(?:was|were|been|got|is|are|now|finally|quickly|soon)\s+(?:fixed|sorted|resolved|solved)|(?:fixed|sorted|solved)\s+(?:it|the|my|that|this))\b",
    re.IGNORECASE,
)
# What the customer did that explains it ("the app signed me out after I changed my password", "it melted after I
# left it on the side").
_CUSTOMER_CAUSED = re.compile(
    r"\b(?:after|when|because|since|as|once)\s+(?:i|we)\s+(?:had\s+)?(?:changed|updated|reset|reinstalled|deleted|cleared"
    r"|switched|entered\s+the\s+wrong|typed\s+the\s+wrong|used\s+an?\s+(?:old|expired)|left\s+(?:it|them)|forgot"
    r"|dropped\s+(?:it|them)|knocked)\b",
    re.IGNORECASE,
)
# The customer's own say-so ("left it in the rain as I asked").
_AS_ASKED = re.compile(
    r"(?<!\bsoon\s)\bas\s+(?:i|we)\s+(?:asked|requested|instructed|said)|\bas\s+(?:requested|instructed)\b", re.I
)
# "opened the bag" is what the customer did; "opened bags", "cracked brown eggs" are how things came.
_DETERMINERS = r"(?:the|a|an|my|our|his|her|their|your|this|that|these|those|it|its|up|one|two|three|some|all|of|in)"
_DIET_ADJECTIVES = (
    r"(?:vegan|vegetarian|veggie|plant[\s-]based|meat[\s-]free|dairy[\s-]free|gluten[\s-]free|nut[\s-]free|egg[\s-]free"
    r"|fake|mock|faux|oat|soy|soya|coconut|meatless|imitation|tofu|seitan|vegan-friendly|no|without|any|zero)"
)
# The word before a food that makes it of the diet ("vegan cheese", "oat milk", "no meat").
# A food named as what was left out ("halloumi instead of chicken") is not there.
_OF_THE_DIET = re.compile(
    rf"\b(?:{_DIET_ADJECTIVES}|instead\s+of|rather\s+than|in\s+place\s+of|swapped\s+for|replaced|replacing|free\s+from)[\s-]+$",
    re.IGNORECASE,
)
# "it had cashews in it after I mentioned my allergy": the diet named after the food that breaks it.
_AFTER_THE_FACT = re.compile(r"\b(?:after|even\s+though|although|though|despite|when|while)\b", re.IGNORECASE)
# Within a sentence: no end of one, a decimal point aside.
_WITHIN = r"(?:[^.!?;]|\.(?=\d))"
# Charged for what was said to be free ("charged 3.50 for delivery on an order that showed free delivery").
_CHARGED_FOR_FREE = re.compile(
    rf"\b(?:charged|billed|paid|took)\b{_WITHIN}{{0,40}}?\bfor\s+(?:the\s+|a\s+|my\s+)?([a-z]+)\b{_WITHIN}{{0,80}}?"
    r"(?:\bfree\s+\1\b|\b\1\s+(?:was|is|were|are|should\s+(?:have\s+)?be(?:en)?)\s+(?:meant\s+to\s+be\s+|supposed\s+to\s+be\s+"
    r"|listed\s+as\s+|advertised\s+as\s+|shown\s+as\s+)?free\b)",
    re.IGNORECASE,
)
_DURATION = (
    r"for\s+(?:over\s+|about\s+|around\s+|nearly\s+|almost\s+|at\s+least\s+)?(?:\d+|five|ten|fifteen|twenty|thirty"
    r"|forty|fifty|an?|half\s+an)\s*(?:minutes?|mins?|hours?|hour)|for\s+ages"
)


def _words(phrases: list[str]) -> str:
    # Longest first, so that "ice cream" wins over "ice".
    alternatives = sorted({re.escape(phrase).replace(r"\ ", r"\s+") for phrase in phrases}, key=len, reverse=True)
    return "(?:" + "|".join(alternatives) + ")"


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXPECTATIONS_FILE.read_text(encoding="utf-8"))
    return data


def _kind_pattern(objects: list[str], wrong: list[str], attributive: list[str], right_after: bool) -> re.Pattern[str]:
    thing = rf"{_OTHER_KIND}\b{_words(objects)}\b"
    # "arrived as coloured water", "turned into a sticky puddle": after "as", "into" or "like", any one word may come
    # before the state.
    state = (
        rf"(?:(?:as|like|into|to)\s+(?:(?:an?|the)\s+)?(?:[a-z]+\s+)??|(?:(?:an?|the)\s+)?(?:(?:total|complete|little"
        rf"|big|right|soggy)\s+)?){_words(wrong)}\b"
    )
    predicated = rf"{thing}{_GAP}\s+{_LINK}(?:\s+{_ADVERB})*\s+{state}"
    # "came with the seal torn", "the app crashed": the state right after its thing, with no linking verb.
    # "the code was accepted at checkout and then removed": a state after "then" is the thing's too.
    following = (
        rf"|{thing}(?:\s+{_ADVERB})?\s+(?!off\b|open\b|missing\b|empty\b|cut\b){state}"
        rf"|{thing}{_GAP}\s+(?:and|but)\s+then\s+(?:{_LINK}\s+)?{state}"
        if right_after
        else ""
    )
    # "the voucher from your email wasn't accepted": a failure stated with its own negation needs no linking verb.
    negated = [state for state in wrong if re.search(r"n't\b|\bnot\b|\bnever\b", state)]
    if right_after and negated:
        following += rf"|{thing}{_GAP}\s+{_words(negated)}\b"
    adjectives = [word for word in attributive if word in wrong]
    before = rf"|\b{_words(adjectives)}\s+(?:(?!{_DETERMINERS}\b)[a-z]+\s+)?{thing}" if adjectives else ""
    return re.compile(predicated + following + before, re.IGNORECASE)


@cache
def _kinds() -> tuple[tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]], ...]:
    """For each kind: its things, a thing with a state wrong for it, and a pronoun with such a state ("Ordered two
    tubs of ice cream. By the time they came they were basically milk."), read once a thing of the kind was named.
    A thing's state may come right after it for the kinds marked "right_after": packaging ("seal torn", "two packets
    opened"), app actions ("the app crashed", "my basket emptied"), spills ("broth all over the naan"), money ("took
    the payment twice")."""
    data = _data()
    attributive = data["attributive"]
    pronoun = rf"\b{_words(data['pronouns'])}"
    return tuple(
        (
            re.compile(rf"{_OTHER_KIND}\b{_words(kind['objects'])}\b", re.IGNORECASE),
            _kind_pattern(kind["objects"], kind["wrong"], attributive, kind["right_after"]),
            re.compile(
                rf"{pronoun}\s+{_LINK}(?:\s+{_ADVERB})*\s+(?:(?:as|like|into|to)\s+)?(?:(?:an?|the)\s+)?"
                # "it was cold outside" is the weather.
                rf"{_words(kind['wrong'])}\b(?!\s+(?:outside|out|today|tonight|this|that|day|night|evening|morning"
                rf"|afternoon|weather|here|in\s+here|in\s+the\s+(?:flat|house|room)))",
                re.IGNORECASE,
            ),
        )
        for kind in data["kinds"].values()
    )


@cache
def _kind_index() -> dict[str, frozenset[int]]:
    """Each word of a kind's things, and the kinds (by position in :func:`_kinds`) it may name."""
    index: dict[str, set[int]] = {}
    for position, kind in enumerate(_data()["kinds"].values()):
        for thing in kind["objects"]:
            for word in thing.lower().split():
                index.setdefault(word, set()).add(position)
    return {word: frozenset(kinds) for word, kinds in index.items()}


@cache
def _contexts() -> tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]:
    """Kinds a review's context makes of things: raw meat in a grocery order, raw fish with sushi, are chilled."""
    return tuple(
        (
            re.compile(rf"\b{_words(context['context'])}\b", re.IGNORECASE),
            _kind_pattern(context["objects"], context["wrong"], _data()["attributive"], False),
        )
        for context in _data()["contexts"]
    )


@cache
def _service() -> re.Pattern[str]:
    """Support that ends a contact without doing its job, or as soon as the customer asks for something."""
    service = _data()["service"]
    return re.compile(
        rf"\b{_words(service['ends'])}\b(?:\s+[\w'-]+){{0,6}}?\s+(?:without\s+(?:(?:even|ever|actually|any|properly)\s+)?"
        rf"{_words(service['undone'])}|(?:as\s+soon\s+as|the\s+moment|right\s+after|just\s+after|when|once)\s+(?:i|we)\s+"
        rf"{_words(service['triggers'])})\b",
        re.IGNORECASE,
    )


@cache
def _diets() -> tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]:
    diets = []
    for diet in _data()["diets"].values():
        breaks = list(diet["breaks"])
        swaps = diet.get("swaps")
        if swaps:
            breaks += [f"{adjective} {food}" for adjective in swaps["adjectives"] for food in swaps["foods"]]
        term = re.compile(rf"\b{_words(diet['terms'])}\b", re.IGNORECASE)
        # A food of the diet's own ("vegan cheese", "nut-free pesto") or denied ("no meat") breaks nothing.
        food = re.compile(
            rf"(?<![\w-])(?<!-){_words(breaks)}\b(?![\s-]*(?:free|alternative|substitute"
            rf"|replacement|allergy|allergies|intolerance|option))",
            re.IGNORECASE,
        )
        diets.append((term, food))
    return tuple(diets)


@cache
def _couriers() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    data = _data()
    courier = rf"\b{_words(data['couriers'])}\b"
    refusal = rf"(?:would\s+not|wouldn't|won't|will\s+not|refused\s+to|refusing\s+to)\s+(?:even\s+)?{_words(data['duty_verbs'])}"
    acts = [act for act in data["courier_acts"] if act not in ("would not", "wouldn't", "won't", "will not")]
    act = re.compile(
        rf"{courier}{_SPAN}{{0,6}}?\s+(?:(?!{_words(data['courier_not_acts'])}\b)(?:{_words(acts)}\b|{refusal}\b))",
        re.IGNORECASE,
    )
    exposed = re.compile(
        rf"\b(?:left|leaving|leave|dumped|dumping|put|placed|dropped|abandoned|thrown|threw|tossed|chucked)\b"
        rf"{_SPAN}{{0,8}}?\s+{_words(data['exposures'])}\b",
        re.IGNORECASE,
    )
    detour = re.compile(
        rf"\b(?:at|in|outside|inside|to)\s+(?:an?\s+|the\s+|his\s+|her\s+)?{_words(data['detour_places'])}\b"
        rf"(?:\s+[\w'-]+){{0,3}}?\s+{_DURATION}|{_DURATION}\s+(?:at|in|outside|inside)\s+(?:an?\s+|the\s+|his\s+|her\s+)?"
        rf"{_words(data['detour_places'])}\b",
        re.IGNORECASE,
    )
    # A courier gone before the customer could come to the door, whoever the sentence names.
    leaves = rf"|\b{_words(data['courier_leaves'])}\b"
    act = re.compile(act.pattern + leaves, re.IGNORECASE)
    mentioned = re.compile(
        rf"\b{_words([c for c in data['couriers'] if c not in ('he', 'she', 'they')])}\b|delivery", re.I
    )
    return act, exposed, detour, mentioned


_COUNTS = {
    word: value
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {"a": 1, "dozen": 12, "half": 0.5}
_COUNT = r"(\d+|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|a)"


def _count(word: str) -> float:
    return float(word) if word.isdigit() else float(_COUNTS[word.lower()])


@cache
def _short() -> tuple[re.Pattern[str], ...]:
    """Fewer in a container than it is of: "only six wings in the bucket of twelve", "a pack of ten with seven in it"
    (not "a box of twelve has four flavours": the count got ends the clause or is "in" it)."""
    container = _words(_data()["containers"])
    return (
        re.compile(
            rf"\b(?:only|just)\s+{_COUNT}\b(?!\s+of\s+(?:us|them|you|we)\b)(?:\s+[\w'-]+){{0,4}}?\s+(?:in|inside|from|out\s+of)\s+(?:the|a|my|our|this)\s+"
            rf"(?:[\w'-]+\s+)?{container}\s+of\s+{_COUNT}\b",
            re.IGNORECASE,
        ),
        re.compile(
            rf"\b(?:a|the|my|our|this)\s+{container}\s+of\s+{_COUNT}\b(?:\s+[\w'-]+){{0,5}}?\s+(?:with|had|has|contained"
            rf"|held|holding|containing)\s+(?:only\s+|just\s+)?{_COUNT}(?:\s+(?:in|inside)\b|\s*(?:[.!?;,]|$))",
            re.IGNORECASE,
        ),
    )


def _fewer(match: re.Match[str]) -> bool:
    first, second = _count(match.group(1)), _count(match.group(2))
    # The first pattern states what came, then the container's count; the second the other way round.
    return first < second if match.re is _short()[0] else second < first


@cache
def _since() -> tuple[re.Pattern[str], re.Pattern[str]]:
    promise = _data()["promise"]
    return (
        re.compile(rf"\b{_words(promise['promises'])}\b", re.IGNORECASE),
        re.compile(rf"\b(?:and\s+)?{_words(promise['since'])}\b", re.IGNORECASE),
    )


@cache
def _contaminated() -> re.Pattern[str]:
    """Something that has no place in food, found in it ("the salad had a slug in it", "a piece of glass in")."""
    return re.compile(
        rf"\b(?:an?|some|two|three|several|live|dead|tiny|small|little|big|long|the)\s+(?:[\w-]+\s+)?"
        rf"{_words(_data()['contaminants'])}\b(?=[^.!?;]*?\b(?:in|inside|on|under|crawling|baked|cooked|stuck|among"
        rf"|amongst)\b)|\b(?:found|had|there\s+(?:was|were)|came\s+with|spotted|noticed)\s+(?:an?|some|two|three"
        rf"|several|live|dead|tiny|small|little|big|long)\s+(?:[\w-]+\s+)?{_words(_data()['contaminants'])}\b",
        re.IGNORECASE,
    )


@cache
def _false_status() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A status that the rest of the review says was not true ("the tracking said delivered ... with nothing")."""
    statuses = _data()["statuses"]
    return (
        re.compile(
            rf"\b{_words(statuses['claims'])}\b|\b(?:marked|showed|shows|said|says|listed|changed|set|updated|confirmed)"
            r"\s+(?:(?:the|my|our)\s+(?:order|food|delivery|meal)\s+|it\s+)?(?:as\s+|to\s+)?(?:being\s+)?"
            r"(?:delivered|complete|completed|handed\s+over|dropped\s+off)\b",
            re.IGNORECASE,
        ),
        re.compile(rf"\b{_words(statuses['absent'])}\b", re.IGNORECASE),
    )


@cache
def _courier_reason() -> re.Pattern[str]:
    return re.compile(
        rf"\b(?:because|as|since|due\s+to)\b[^.!?;]*\b{_words(_data()['courier_reasons'])}\b", re.IGNORECASE
    )


_AMOUNT = r"(?:£|\$|€)?(\d+(?:\.\d\d)?)\b"

# Charged one amount for what was said to cost less ("billed 18.40 for an order the app said would cost 14.20").
_CHARGED_ABOVE = re.compile(
    rf"\b(?:billed|charged|paid|took|debited)\s+(?:me\s+|us\s+)?{_AMOUNT}{_WITHIN}{{0,60}}?\b(?:said|says|showed|shows"
    rf"|quoted|listed|advertised|would\s+cost|should\s+(?:have\s+)?cost|was\s+(?:meant|supposed)\s+to\s+cost|priced\s+at"
    rf"|costs?|total\s+(?:was|is|of|came\s+to)|price\s+(?:was|is)|came\s+to|comes\s+to)\s+(?:(?:it|that|the\s+order)\s+(?:would|should)\s+(?:be|cost)\s+|(?:would|should)\s+(?:be|cost)\s+"
    rf"|was\s+|is\s+)?{_AMOUNT}",
    re.IGNORECASE,
)


@cache
def _deflection() -> re.Pattern[str]:
    """Support that sends the customer to someone else, who sends them back: two deflections in one review."""
    return re.compile(rf"\b{_words(_data()['deflections'])}\b", re.IGNORECASE)


# A sentence; a decimal point ("18.40") ends none.
@cache
def _misdelivered() -> re.Pattern[str]:
    """The order taken somewhere it should not go ("left in the lobby of the building next door")."""
    return re.compile(
        rf"\b(?:left|leaving|delivered|dropped|handed|given|gave|taken|took|brought|sent)\b{_SPAN}{{0,8}}?\s+"
        rf"(?:to|at|with|in|on|outside|by)\s+(?:[\w'-]+\s+){{0,4}}?{_words(_data()['wrong_places'])}\b",
        re.IGNORECASE,
    )


# A price that rose between two places or moments ("the delivery fee changed from 1.99 to 4.99").
_PRICE_JUMP = re.compile(
    rf"\b(?:fee|fees|price|prices|total|charge|cost|bill|surcharge)\b{_WITHIN}{{0,30}}?\b(?:changed|went|jumped|increased"
    rf"|rose|shot|was\s+raised|got\s+raised|was\s+bumped|moved)\b(?:\s+up)?\s+from\s+{_AMOUNT}\s+to\s+{_AMOUNT}",
    re.IGNORECASE,
)
# Fewer portions than people ("three portions of rice for a meal for four").
_PORTIONS = re.compile(
    rf"\b(?:got|received|came\s+with|only|just|there\s+were|had|but)\s+(?:only\s+|just\s+)?{_COUNT}\s+(?:portions?"
    rf"|servings?|plates?|sets\s+of\s+cutlery|forks|cups|drinks|pieces)\b{_WITHIN}{{0,40}}?\bfor\s+(?:a\s+(?:meal|family"
    rf"|table|group)\s+(?:for|of)\s+)?{_COUNT}\b",
    re.IGNORECASE,
)


_SENTENCE = re.compile(r"(?:[^.!?;]|\.(?=\d))+[.!?;]*")


def _denied(sentence: str, start: int) -> bool:
    """Whether the three words before a match deny it ("no cracked eggs", "there wasn't any chicken"); the patterns
    let no denial inside a match but the stated failures' own ("the code didn't work", "he would not come up")."""
    return _NEGATED.search(" ".join(sentence[:start].split()[-3:])) is not None


def broken(text: str) -> list[int]:
    """Where in ``text`` each stated break of a customer's expectation ends (one offset per break)."""
    ends: list[int] = []
    in_context = [kind for context, kind in _contexts() if context.search(text)]
    # Only the kinds of thing the review may name (by a word of one of their things) are looked for.
    index = _kind_index()
    candidates = sorted({kind for word in re.findall(r"[a-z][a-z'-]*", text.lower()) for kind in index.get(word, ())})
    present = [_kinds()[kind] for kind in candidates if _kinds()[kind][0].search(text)]
    act, exposed, detour, courier_mentioned = _couriers()
    delivery = courier_mentioned.search(text) is not None
    diet_terms = [(term.search(text), food) for term, food in _diets()]
    promised, since = _since()
    first_promise = promised.search(text)
    status_claimed = _false_status()[0].search(text)
    for sentence_match in _SENTENCE.finditer(text):
        sentence = sentence_match.group()
        offset = sentence_match.start()
        found: list[tuple[int, int]] = []
        # "That was two weeks ago." is its own sentence after the promise, and reports.
        if first_promise is not None and first_promise.start() < offset + len(sentence):
            found += [(match.start(), match.end()) for match in since.finditer(sentence)]
        if _NOT_REPORTED.search(sentence) or _AS_ASKED.search(sentence) or _CUSTOMER_CAUSED.search(sentence):
            ends += [offset + end for start, end in found if not _denied(sentence, start)]
            continue
        found += [(match.start(), match.end()) for match in _contaminated().finditer(sentence)]
        absent = _false_status()[1]
        if status_claimed is not None and status_claimed.start() < offset + len(sentence):
            found += [
                (match.start(), match.end())
                for match in absent.finditer(sentence, max(status_claimed.end() - offset, 0))
            ]
        for pattern in _short():
            found += [(match.start(), match.end()) for match in pattern.finditer(sentence) if _fewer(match)]
        found += [
            (match.start(), match.end())
            for match in _CHARGED_ABOVE.finditer(sentence)
            if float(match.group(1)) > float(match.group(2))
        ]
        if len(_deflection().findall(text)) >= 2:
            found += [(match.start(), match.end()) for match in _deflection().finditer(sentence)]
        named_before = [pronoun for thing, _, pronoun in present if thing.search(text, 0, offset + len(sentence))]
        patterns = [*(kind for _, kind, _ in present), *named_before, *in_context, _service()]
        for pattern in patterns:
            found += [(match.start(), match.end()) for match in pattern.finditer(sentence)]
        found += [(match.start(), match.end()) for match in exposed.finditer(sentence)]
        # A courier's act for a reason outside their say ("because the road is closed") breaks no norm.
        if delivery and not _courier_reason().search(sentence):
            # "he", "she" and "they" are read as the courier only in a review that names a courier or delivery.
            for pattern in (act, detour):
                found += [(match.start(), match.end()) for match in pattern.finditer(sentence)]
        found += [(match.start(), match.end()) for match in _CHARGED_FOR_FREE.finditer(sentence)]
        found += [(match.start(), match.end()) for match in _misdelivered().finditer(sentence)]
        found += [
            (match.start(), match.end())
            for match in _PRICE_JUMP.finditer(sentence)
            if float(match.group(2)) > float(match.group(1))
        ]
        found += [
            (match.start(), match.end())
            for match in _PORTIONS.finditer(sentence)
            if _count(match.group(1)) < _count(match.group(2))
        ]
        for term, food in diet_terms:
            if term is None:
                continue
            for match in food.finditer(sentence, 0, max(term.start() - offset, 0)):
                if _AFTER_THE_FACT.search(sentence, match.end(), term.start() - offset):
                    found.append((match.start(), match.end()))
            after = max(term.end() - offset, 0)
            if after >= len(sentence):
                continue
            found += [
                (match.start(), match.end())
                for match in food.finditer(sentence, after)
                if not _OF_THE_DIET.search(sentence[: match.start()])
            ]
        ends += [offset + end for start, end in found if not _denied(sentence, start)]
    return sorted(set(ends))
