"""A web ACL deciding requests as WAF does, for the rule kinds the stack's ACL uses.

API Gateway runs the ACL associated with its stage before anything else; a blocked request gets API Gateway's
``WAF_FILTERED`` gateway response (403). The ACL is read from the synthesized ``aws_wafv2_web_acl`` (its rules in
Terraform's block shape) and evaluated in priority order:

- ``managed_rule_group_statement`` of AWS's groups, with the rules of each that decide whether a review is accepted
  (the size, cross-site-scripting and user-agent rules of the core rule set, Log4j lookups of the known-bad-inputs
  set), their labels, ``rule_action_override`` and the group's ``override_action``;
  https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
- ``rate_based_statement`` per client IP over WAF's 5-minute window;
- ``label_match_statement``, ``byte_match_statement`` (on the URI path), ``and``/``or``/``not``.

The managed groups' other rules are AWS's secret in detail and are not emulated; any other statement kind is an
error at load, so an ACL is never silently more lenient offline than on AWS.
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

# The core rule set's size limit on bodies: a fixed 8 KB, whatever the ACL's inspection limit.
BODY_SIZE_LIMIT = 8 * 1024
RATE_WINDOW_SECONDS = 300
# What CrossSiteScripting_BODY looks for, as the rule set describes it (<script> tags, event handlers,
# javascript: URLs), after URL and HTML entity decoding.
_XSS = re.compile(r"<\s*script|<[^>]+\son[a-z]+\s*=|javascript\s*:|<\s*iframe|<\s*img[^>]+src\s*=", re.I)
_LOG4J = re.compile(r"\$\{\s*jndi\s*:", re.I)
_CORE = "awswaf:managed:aws:core-rule-set"
_BAD_INPUTS = "awswaf:managed:aws:known-bad-inputs"


class UnsupportedWafRule(NotImplementedError):
    """The ACL uses a statement or managed group this emulator does not decide."""


@dataclass(frozen=True)
class WafRequest:
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    source_ip: str


def _header(request: WafRequest, name: str) -> str | None:
    return next((value for key, value in request.headers.items() if key.lower() == name.lower()), None)


def _decoded_body(request: WafRequest) -> str:
    return html.unescape(unquote_plus(request.body.decode("utf-8", "replace")))


# Each managed rule: its name, its label and what matches, as AWS documents it.
MANAGED_RULES: Mapping[str, Sequence[tuple[str, str, Callable[[WafRequest], bool]]]] = {
    "AWSManagedRulesCommonRuleSet": (
        ("NoUserAgent_HEADER", f"{_CORE}:NoUserAgent_Header", lambda r: not _header(r, "User-Agent")),
        ("SizeRestrictions_BODY", f"{_CORE}:SizeRestrictions_Body", lambda r: len(r.body) > BODY_SIZE_LIMIT),
        ("CrossSiteScripting_BODY", f"{_CORE}:CrossSiteScripting_Body", lambda r: bool(_XSS.search(_decoded_body(r)))),
    ),
    "AWSManagedRulesKnownBadInputsRuleSet": (
        ("Log4JRCE_BODY", f"{_BAD_INPUTS}:Log4JRCE_Body", lambda r: bool(_LOG4J.search(_decoded_body(r)))),
        ("Log4JRCE_URIPATH", f"{_BAD_INPUTS}:Log4JRCE_URIPath", lambda r: bool(_LOG4J.search(unquote_plus(r.path)))),
    ),
}


def _one(block: Any) -> dict[str, Any]:
    """Terraform writes every nested block as a list of one object."""
    found = block[0] if isinstance(block, list) else block
    return dict(found or {})


def _kind(action: Any) -> str:
    [(kind, _)] = _one(action).items()
    return str(kind)


@dataclass
class _Evaluation:
    request: WafRequest
    labels: set[str] = field(default_factory=set)


class WebAcl:
    """``inspect(request)`` answers the name of the rule that blocks it, or None; labels and counts as WAF does."""

    def __init__(self, config: Mapping[str, Any], clock: Callable[[], float] = time.monotonic):
        self.name = str(config.get("name", "web-acl"))
        self.rules = sorted((dict(rule) for rule in config.get("rule", [])), key=lambda rule: rule["priority"])
        self._clock = clock
        self._seen: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        for rule in self.rules:
            self._check(_one(rule["statement"]), rule["name"])
        self.default_blocks = _kind(config.get("default_action", {"allow": {}})) == "block"

    def inspect(self, request: WafRequest) -> str | None:
        evaluation = _Evaluation(request)
        for rule in self.rules:
            statement = _one(rule["statement"])
            if "managed_rule_group_statement" in statement:
                blocking = self._managed(_one(statement["managed_rule_group_statement"]), evaluation)
                if blocking and _kind(rule.get("override_action", {"none": {}})) == "none":
                    return f"{rule['name']}:{blocking}"
            elif self._matches(statement, evaluation, rule["name"]) and _kind(rule["action"]) == "block":
                return str(rule["name"])
        return self.name if self.default_blocks else None

    def _managed(self, group: Mapping[str, Any], evaluation: _Evaluation) -> str | None:
        """Labels every matching rule of the group; the first whose action stays block blocks."""
        overrides = {item["name"]: _kind(item["action_to_use"]) for item in group.get("rule_action_override", [])}
        for name, label, matches in MANAGED_RULES[group["name"]]:
            if matches(evaluation.request):
                evaluation.labels.add(label)
                if overrides.get(name, "block") == "block":
                    return name
        return None

    def _matches(self, statement: Mapping[str, Any], evaluation: _Evaluation, rule: str) -> bool:
        [(kind, body)] = statement.items()
        inner = _one(body)
        if kind == "label_match_statement":
            return inner["key"] in evaluation.labels
        if kind == "byte_match_statement":
            return _byte_match(inner, evaluation.request)
        if kind == "and_statement":
            return all([self._matches(nested, evaluation, rule) for nested in _statements(inner)])
        if kind == "or_statement":
            return any([self._matches(nested, evaluation, rule) for nested in _statements(inner)])
        if kind == "not_statement":
            return not self._matches(_one(inner["statement"]), evaluation, rule)
        if kind == "rate_based_statement":
            return self._over_rate(inner, evaluation.request, rule)
        raise UnsupportedWafRule(f"{self.name}/{rule}: {kind}")

    def _over_rate(self, statement: Mapping[str, Any], request: WafRequest, rule: str) -> bool:
        if statement.get("aggregate_key_type", "IP") != "IP":
            raise UnsupportedWafRule(f"{self.name}/{rule}: rate_based_statement by {statement['aggregate_key_type']}")
        now = self._clock()
        with self._lock:
            seen = self._seen[(rule, request.source_ip)]
            seen.append(now)
            while seen and seen[0] <= now - RATE_WINDOW_SECONDS:
                seen.popleft()
            return len(seen) > int(statement["limit"])

    def _check(self, statement: Mapping[str, Any], rule: str) -> None:
        [(kind, body)] = statement.items()
        inner = _one(body)
        if kind == "managed_rule_group_statement":
            if inner.get("vendor_name") != "AWS" or inner["name"] not in MANAGED_RULES:
                raise UnsupportedWafRule(f"{self.name}/{rule}: managed rule group {inner.get('name')}")
            known = {name for name, _, _ in MANAGED_RULES[inner["name"]]}
            for override in inner.get("rule_action_override", []):
                if override["name"] not in known:
                    raise UnsupportedWafRule(f"{self.name}/{rule}: override of {override['name']}")
        elif kind in ("and_statement", "or_statement"):
            for nested in _statements(inner):
                self._check(nested, rule)
        elif kind == "not_statement":
            self._check(_one(inner["statement"]), rule)
        elif kind == "byte_match_statement":
            try:
                _byte_match(inner, WafRequest("GET", "/", {}, b"", "127.0.0.1"))
            except UnsupportedWafRule as error:
                raise UnsupportedWafRule(f"{self.name}/{rule}: {error}") from None
        elif kind not in ("label_match_statement", "rate_based_statement"):
            raise UnsupportedWafRule(f"{self.name}/{rule}: {kind}")


def _statements(inner: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The nested statements of an and/or statement: Terraform writes them as a list of one-key objects."""
    return [dict(item) for item in inner["statement"]]


def _byte_match(statement: Mapping[str, Any], request: WafRequest) -> bool:
    field_to_match = _one(statement["field_to_match"])
    transformations = {t["type"] for t in statement.get("text_transformation", [])}
    if set(field_to_match) != {"uri_path"} or transformations - {"NONE"}:
        raise UnsupportedWafRule(f"byte_match_statement on {sorted(field_to_match)} with {sorted(transformations)}")
    value, wanted = request.path.split("?", 1)[0], statement["search_string"]
    return {
        "EXACTLY": value == wanted,
        "STARTS_WITH": value.startswith(wanted),
        "ENDS_WITH": value.endswith(wanted),
        "CONTAINS": wanted in value,
    }[statement["positional_constraint"]]
