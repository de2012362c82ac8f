"""Helpers of the end-to-end tests: sample reviews and an offline system quiet enough to read."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from offline.system import OfflineSystem
from tests.events import submission

TEXTS = {
    # VADER scores these firmly, so each takes its path whatever the wording's small print.
    "positive": "The crust was perfect and the delivery was quick. Best pizza in town!",
    "neutral": "The pizza arrived at seven. It had eight slices and a box.",
    "negative": "Cold, soggy and an hour late. The worst pizza I have ever ordered.",
}


def review(kind: str, *, email: str = "reviewer@example.com", **overrides: Any) -> dict[str, Any]:
    """The body a client POSTs for a review of ``kind`` (a key of TEXTS)."""
    return submission(text=TEXTS[kind], reviewerEmail=email, languageCode="en", **overrides)


@contextmanager
def system_for(stack: Path | dict[str, Any], **options: Any):
    # moto logs a handled ASL path miss (a Choice on IsPresent false) as an ERROR; it is not one.
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    with OfflineSystem(stack, **options) as system:
        yield system
