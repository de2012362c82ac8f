"""Amazon Comprehend and Amazon Translate, offline: handlers for :func:`offline.stepfunctions.fixes.installed`.

moto answers DetectSentiment with a canned NEUTRAL, lacks DetectDominantLanguage and has no Translate. Here:

- ``("comprehend", "detectSentiment")`` scores English text with :mod:`offline.comprehend.sentiment`: VADER's lexicon
  (vaderSentiment) with a food-delivery lexicon and complaint cues, clause by clause, turned into Comprehend's four
  scores (summing to 1) and its label. Calibrated heuristics, not a model: see that module for how, and
  tests/test_offline_comprehend_accuracy.py for how often it agrees with hand-labelled reviews.

  Limits enforced as Comprehend does: Text over 5,000 UTF-8 bytes -> TextSizeLimitExceededException; a LanguageCode
  outside :data:`SENTIMENT_LANGUAGES` -> UnsupportedLanguageException; empty Text -> ValidationException.
- ``("comprehend", "detectDominantLanguage")`` ranks languages with py3langid: ``Languages`` holds every language
  scoring at least 0.05 (the best one always), best first, at most 5. Text limit: 100 KB.
- ``("translate", "translateText")``: no machine-translation model is available offline, so this is an honest
  *identity* translation: ``TranslatedText`` is the source text unchanged, with the requested language codes
  (``SourceLanguageCode`` "auto" is resolved with the language detector). Consequence: the sentiment of any
  non-English review, scored directly (fr, de, ...) or after "translation" (nl, ...), comes from VADER's English
  lexicon applied to the original words, which mostly scores it NEUTRAL, and now and then reads a foreign word as
  an English one (German "die" counts as negative). Offline sentiment of non-English reviews is therefore not
  meaningful; the workflow's paths through language detection and Translate are.
  Limit: 10,000 UTF-8 bytes per request.

- ``("comprehend", "batchDetectSentiment")`` and ``("comprehend", "batchDetectDominantLanguage")``: the same, for a
  ``TextList`` of 1 to 25 documents (BatchSizeLimitExceededException above), in one language for the sentiment
  (UnsupportedLanguageException for the whole request otherwise). A document over its size limit does not fail
  the call: it is an ``ErrorList`` entry (``Index``, ``ErrorCode`` TEXT_SIZE_LIMIT_EXCEEDED, ``ErrorMessage``) while
  the others are answered in ``ResultList``, sorted by ``Index``, as the batch APIs document. The codes in
  ErrorList are not enumerated in AWS's model or docs: this one is an assumption. Billed per document.

Quotas: with ``LanguageServices(quotas=Quotas(...))`` every Comprehend call first takes a token of its operation's
bucket (:mod:`offline.comprehend.quotas`); without one it fails with ThrottlingException, as Comprehend throttles,
and counts in ``throttled``. The offline cloud's own LanguageServices (when none is given) has AWS's default rates;
one built without ``quotas`` (a test calling the handlers directly) has none.

Fault injection: ``LanguageServices(throttle=N)`` (or :meth:`LanguageServices.throttle`) makes the next N calls, of
any of the three, fail as each service throttles (Comprehend's ThrottlingException, Translate's
TooManyRequestsException), which the workflows' Retry handles.

Usage, for the cost benchmark, counted only for calls that succeed (AWS bills no failed request): ``usage`` counts
billable quantities per ``"service:Action"``, Comprehend in units of 100 characters with a minimum of 3 units per
request, Translate in characters; ``calls`` counts requests; ``throttled`` counts injected throttles.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Mapping
from functools import cache
from typing import Any

from botocore.exceptions import ClientError
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from offline.comprehend.quotas import Quotas
from offline.comprehend.sentiment import sentiment
from offline.engine.aws import aws_error
from offline.stepfunctions.fixes import Handler

# https://docs.aws.amazon.com/comprehend/latest/dg/supported-languages.html (targeted sentiment excluded)
SENTIMENT_LANGUAGES = ("ar", "de", "en", "es", "fr", "hi", "it", "ja", "ko", "pt", "zh", "zh-TW")
DETECT_SENTIMENT_MAX_BYTES = 5_000
DETECT_LANGUAGE_MAX_BYTES = 100_000
TRANSLATE_MAX_BYTES = 10_000
# https://docs.aws.amazon.com/comprehend/latest/APIReference/API_BatchDetectSentiment.html (TextList)
BATCH_MAX_DOCUMENTS = 25
# The offline ErrorList code of a document over its size limit (see the module docstring).
TEXT_SIZE_ITEM_ERROR = "TEXT_SIZE_LIMIT_EXCEEDED"
_DEFAULT = object()
# https://aws.amazon.com/comprehend/pricing/ : units of 100 characters, 3-unit minimum per request.
COMPREHEND_UNIT_CHARACTERS = 100
COMPREHEND_MINIMUM_UNITS = 3
LANGUAGE_SCORE_FLOOR = 0.05
MAX_LANGUAGES = 5


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def dominant_languages(text: str) -> list[dict[str, Any]]:
    ranked = _identifier().rank(text)
    chosen = [(code, score) for code, score in ranked[:MAX_LANGUAGES] if score >= LANGUAGE_SCORE_FLOOR]
    return [{"LanguageCode": code, "Score": score} for code, score in chosen or ranked[:1]]


def comprehend_units(text: str) -> int:
    return max(COMPREHEND_MINIMUM_UNITS, math.ceil(len(text) / COMPREHEND_UNIT_CHARACTERS))


class LanguageServices:
    """The offline Comprehend and Translate, with usage counters and throttling injection.

    Exposes: ``usage``, ``calls``, ``throttled`` (Counters keyed ``"service:Action"``), :meth:`handlers` for
    ``offline.stepfunctions.fixes.installed``, :meth:`throttle`.
    """

    def __init__(self, *, throttle: int = 0, quotas: Quotas | object | None = _DEFAULT):
        if throttle < 0:
            raise ValueError(f"LanguageServices: throttle {throttle} must be 0 or more")
        self.quotas: Quotas | None = None if quotas is _DEFAULT else quotas  # type: ignore[assignment]
        self.usage: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self._throttle = throttle
        # Executions run on worker threads, several at a time.
        self._lock = threading.Lock()

    def throttle(self, calls: int) -> None:
        """Make the next ``calls`` calls fail as their service throttles."""
        with self._lock:
            self._throttle += calls

    def handlers(self) -> dict[tuple[str, str], Handler]:
        return {
            ("comprehend", "detectSentiment"): self.detect_sentiment,
            ("comprehend", "detectDominantLanguage"): self.detect_dominant_language,
            ("comprehend", "batchDetectSentiment"): self.batch_detect_sentiment,
            ("comprehend", "batchDetectDominantLanguage"): self.batch_detect_dominant_language,
            ("translate", "translateText"): self.translate_text,
        }

    def batch_detect_sentiment(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        key = "comprehend:BatchDetectSentiment"
        self._maybe_throttle(key)
        texts = self._text_list("BatchDetectSentiment", parameters)
        language = parameters.get("LanguageCode")
        if language not in SENTIMENT_LANGUAGES:
            raise aws_error(
                "comprehend",
                "BatchDetectSentiment",
                "UnsupportedLanguageException",
                f"BatchDetectSentiment does not support language {language!r}; supported: "
                f"{', '.join(SENTIMENT_LANGUAGES)}",
            )
        return self._batch(key, texts, DETECT_SENTIMENT_MAX_BYTES, lambda text: dict(sentiment(text)))

    def batch_detect_dominant_language(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        key = "comprehend:BatchDetectDominantLanguage"
        self._maybe_throttle(key)
        texts = self._text_list("BatchDetectDominantLanguage", parameters)
        return self._batch(key, texts, DETECT_LANGUAGE_MAX_BYTES, lambda text: {"Languages": dominant_languages(text)})

    def _text_list(self, operation: str, parameters: Mapping[str, Any]) -> list[str]:
        texts = parameters.get("TextList")
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t for t in texts):
            raise aws_error(
                "comprehend", operation, "ValidationException", "TextList must hold 1 or more non-empty strings"
            )
        if len(texts) > BATCH_MAX_DOCUMENTS:
            raise aws_error(
                "comprehend",
                operation,
                "BatchSizeLimitExceededException",
                f"The number of documents in the request exceeds the limit of {BATCH_MAX_DOCUMENTS}: {len(texts)}",
            )
        return texts

    def _batch(self, key: str, texts: list[str], max_bytes: int, answer: Any) -> dict[str, Any]:
        results, errors, billable = [], [], 0
        for index, text in enumerate(texts):
            size = len(text.encode("utf-8"))
            if size > max_bytes:
                errors.append(
                    {
                        "Index": index,
                        "ErrorCode": TEXT_SIZE_ITEM_ERROR,
                        "ErrorMessage": f"Document size {size} bytes exceeds the limit of {max_bytes} bytes",
                    }
                )
                continue
            billable += comprehend_units(text)
            results.append({"Index": index, **answer(text)})
        self._count(key, billable)
        return {"ResultList": results, "ErrorList": errors}

    def detect_sentiment(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        self._maybe_throttle("comprehend:DetectSentiment")
        text = self._text("comprehend", "DetectSentiment", parameters, DETECT_SENTIMENT_MAX_BYTES)
        language = parameters.get("LanguageCode")
        if language not in SENTIMENT_LANGUAGES:
            raise aws_error(
                "comprehend",
                "DetectSentiment",
                "UnsupportedLanguageException",
                f"DetectSentiment does not support language {language!r}; supported: {', '.join(SENTIMENT_LANGUAGES)}",
            )
        self._count("comprehend:DetectSentiment", comprehend_units(text))
        return sentiment(text)

    def detect_dominant_language(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        self._maybe_throttle("comprehend:DetectDominantLanguage")
        text = self._text("comprehend", "DetectDominantLanguage", parameters, DETECT_LANGUAGE_MAX_BYTES)
        self._count("comprehend:DetectDominantLanguage", comprehend_units(text))
        return {"Languages": dominant_languages(text)}

    def translate_text(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        self._maybe_throttle("translate:TranslateText")
        text = self._text("translate", "TranslateText", parameters, TRANSLATE_MAX_BYTES)
        source, target = parameters.get("SourceLanguageCode"), parameters.get("TargetLanguageCode")
        if not source or not target:
            raise aws_error(
                "translate",
                "TranslateText",
                "ValidationException",
                "SourceLanguageCode and TargetLanguageCode are required",
            )
        self._count("translate:TranslateText", len(text))
        if source == "auto":
            source = dominant_languages(text)[0]["LanguageCode"]
        # Identity "translation": see the module docstring.
        return {"TranslatedText": text, "SourceLanguageCode": source, "TargetLanguageCode": target}

    def _text(self, service: str, operation: str, parameters: Mapping[str, Any], max_bytes: int) -> str:
        text = parameters.get("Text")
        if not isinstance(text, str) or not text:
            raise aws_error(service, operation, "ValidationException", "Text must be a string of at least 1 character")
        size = len(text.encode("utf-8"))
        if size > max_bytes:
            raise aws_error(
                service,
                operation,
                "TextSizeLimitExceededException",
                f"Input text size exceeds limit. Max length of request text allowed is {max_bytes} bytes "
                f"while in this request the text size is {size} bytes",
            )
        return text

    def _maybe_throttle(self, key: str) -> None:
        # Throttling is decided before the request is read, as at AWS's front door; a throttled call is not billed.
        service, operation = key.split(":")
        with self._lock:
            over_quota = service == "comprehend" and self.quotas is not None and not self.quotas.admit(operation)
            if self._throttle <= 0 and not over_quota:
                return
            if not over_quota:
                self._throttle -= 1
            self.throttled[key] += 1
        raise _throttling(key)

    def _count(self, key: str, billable: int) -> None:
        with self._lock:
            self.calls[key] += 1
            self.usage[key] += billable


# The codes each service throttles with: Comprehend's is not in its model (so Step Functions names it
# Comprehend.ComprehendException), Translate models TooManyRequestsException (HTTP 429).
_THROTTLING = {"comprehend": ("ThrottlingException", 400), "translate": ("TooManyRequestsException", 429)}


def _throttling(key: str) -> ClientError:
    service, operation = key.split(":")
    code, status = _THROTTLING[service]
    return aws_error(service, operation, code, "Rate exceeded", status=status)
