"""Which service consumes which event, and with which filter: the one routing source.

``contracts/events/catalogue.json`` lists, for every event, its consumers as ``{"service", "rule", "filter"?,
"does"}``. Every rule's event pattern is derived here from the events that name it, so a new consumer is a line in
the catalogue and a construct that asks for its pattern; the wiring test derives what each event must reach from the
same entries, and evaluates the synthesized patterns with EventBridge's matcher.

A filter narrows a consumer to some events of a kind. Each is defined twice on purpose, as an EventBridge pattern
fragment and as a Python predicate, so that the test can prove the two agree and that complementary filters
(``negative-case`` / ``not-a-case``) send every analysed review to exactly one consumer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from modules.common import event_catalogue

CASE_SENTIMENT = "NEGATIVE"
SENTIMENTS = ("POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED")
# The audit rule's filter: every event of this account, catalogued or not (see Filter.everything).
THIS_ACCOUNT = "this-account"


class RoutingError(ValueError):
    """The catalogue names a filter that does not exist, or a rule asks for events nobody routes to it."""


@dataclass(frozen=True)
class Filter:
    """A named narrowing of a consumer's events. ``detail(threshold)`` is the pattern's ``detail`` fragment and
    ``accepts(data, threshold)`` the same rule in Python; ``everything`` replaces source and detail-type by the
    deploying account, so that events this catalogue does not list yet are still taken."""

    detail: Callable[[float], dict[str, Any]] | None
    accepts: Callable[[Mapping[str, Any], float], bool]
    everything: bool = False


def _negative(data: Mapping[str, Any], threshold: float) -> bool:
    return data.get("sentiment") == CASE_SENTIMENT and data["sentimentScore"]["negative"] >= threshold


FILTERS: Mapping[str, Filter] = {
    "negative-case": Filter(
        detail=lambda threshold: {
            "data": {
                "sentiment": [CASE_SENTIMENT],
                "sentimentScore": {"negative": [{"numeric": [">=", threshold]}]},
            }
        },
        accepts=_negative,
    ),
    # The complement of negative-case, so every analysed review has exactly one outcome.
    "not-a-case": Filter(
        detail=lambda threshold: {
            "data": {
                "$or": [
                    {"sentiment": [s for s in SENTIMENTS if s != CASE_SENTIMENT]},
                    {
                        "sentiment": [CASE_SENTIMENT],
                        "sentimentScore": {"negative": [{"numeric": ["<", threshold]}]},
                    },
                ]
            }
        },
        accepts=lambda data, threshold: not _negative(data, threshold),
    ),
    THIS_ACCOUNT: Filter(detail=None, accepts=lambda data, threshold: True, everything=True),
}


@dataclass(frozen=True)
class Route:
    """One event delivered to one consumer's rule (physical name ``{prefix}-{service}-{rule}``)."""

    source: str
    detail_type: str
    service: str
    rule: str
    filter: str | None
    does: str


def routes() -> list[Route]:
    """Every (event, consumer) pair of the catalogue, in catalogue order; unknown filters fail here."""
    found = []
    for entry in event_catalogue():
        for consumer in entry["consumers"]:
            name = consumer.get("filter")
            if name is not None and name not in FILTERS:
                raise RoutingError(
                    f"contracts/events/catalogue.json: {entry['detailType']}: consumer {consumer['service']}/"
                    f"{consumer['rule']} names filter {name!r}; known filters: {sorted(FILTERS)}"
                )
            found.append(
                Route(
                    entry["source"], entry["detailType"], consumer["service"], consumer["rule"], name, consumer["does"]
                )
            )
    return found


def rule_pattern(service: str, rule: str, *, negative_case_threshold: float | None, account_id: str) -> dict[str, Any]:
    """The event pattern of ``service``'s rule ``rule``: exactly the catalogue's events that name it."""
    mine = [route for route in routes() if (route.service, route.rule) == (service, rule)]
    if not mine:
        raise RoutingError(
            f"no event of contracts/events/catalogue.json names the consumer {service}/{rule}: add it to the "
            "consumers of the events it takes"
        )
    filters = {route.filter for route in mine}
    if len(filters) != 1:
        raise RoutingError(f"consumer {service}/{rule} uses several filters {sorted(map(str, filters))}: use one")
    [name] = filters
    chosen = FILTERS[name] if name is not None else None
    if chosen is not None and chosen.everything:
        every = {(entry["source"], entry["detailType"]) for entry in event_catalogue()}
        if {(route.source, route.detail_type) for route in mine} != every:
            raise RoutingError(f"consumer {service}/{rule} takes every event ({name}): list it on every event")
        return {"account": [account_id]}
    by_source: dict[str, list[str]] = {}
    for route in mine:
        by_source.setdefault(route.source, []).append(route.detail_type)
    pattern: dict[str, Any]
    if len(by_source) == 1:
        [(source, detail_types)] = by_source.items()
        pattern = {"source": [source], "detail-type": detail_types}
    else:
        # One list of sources and one of detail-types would also match pairs nobody routes (a ReviewSubmitted from
        # reviews.thankyou, say): each source keeps its own detail-types.
        pattern = {"$or": [{"source": [source], "detail-type": types} for source, types in by_source.items()]}
    if chosen is not None and chosen.detail is not None:
        if negative_case_threshold is None:
            raise RoutingError(f"consumer {service}/{rule}: filter {name!r} needs negative_case_threshold")
        pattern["detail"] = chosen.detail(negative_case_threshold)
    return pattern


def consumers_of(detail_type: str, data: Mapping[str, Any], *, negative_case_threshold: float) -> set[tuple[str, str]]:
    """The (service, rule) pairs an event of ``detail_type`` with ``data`` must reach, by the filters' predicates."""
    return {
        (route.service, route.rule)
        for route in routes()
        if route.detail_type == detail_type
        and (route.filter is None or FILTERS[route.filter].accepts(data, negative_case_threshold))
    }
