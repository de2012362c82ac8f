"""offline/wafv2/: web ACLs created from Terraform's blocks, shaped by the API's own input shapes."""

from __future__ import annotations

import pytest

from offline.engine.cloud import OfflineCloud
from offline.engine.terraform import TerraformError
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
