"""offline/cloudfront/: the site the stack's distribution serves, read from the stack alone: the origin bucket's
objects, the response headers policy's headers, and the deployed endpoints in JSON objects replaced by local ones."""

from __future__ import annotations

import json

import pytest

from offline.cloudfront.site import Site, response_headers
from offline.engine.cloud import OfflineCloud
from offline.engine.terraform import TerraformError
from tests.offline_stacks import small_stack

CSP = "default-src 'self'; connect-src 'self' https://*.execute-api.eu-west-1.amazonaws.com"
POLICY = {
    "name": "test-security-headers",
    "security_headers_config": {
        "content_security_policy": {"content_security_policy": CSP, "override": True},
        "content_type_options": {"override": True},
        "frame_options": {"frame_option": "DENY", "override": True},
        "referrer_policy": {"referrer_policy": "strict-origin-when-cross-origin", "override": True},
        "strict_transport_security": {
            "access_control_max_age_sec": 63072000,
            "include_subdomains": True,
            "preload": True,
            "override": True,
        },
    },
}
DEPLOYED_API = "https://abc123.execute-api.eu-west-1.amazonaws.com/v1"
CONFIG = {"apiUrl": DEPLOYED_API, "region": "eu-west-1", "nested": [DEPLOYED_API]}


def site_stack() -> dict:
    bucket = "${aws_s3_bucket.site.id}"
    return small_stack(
        {
            "aws_s3_bucket": {"site": {"bucket": "test-site"}, "other": {"bucket": "test-other"}},
            "aws_s3_object": {
                "index": {
                    "bucket": bucket,
                    "key": "index.html",
                    "content": "<!doctype html><title>t</title>",
                    "content_type": "text/html; charset=utf-8",
                    "cache_control": "public, max-age=300",
                },
                "config": {
                    "bucket": bucket,
                    "key": "config.json",
                    "content": json.dumps(CONFIG),
                    "content_type": "application/json",
                    "cache_control": "no-cache, max-age=0",
                },
                "elsewhere": {"bucket": "${aws_s3_bucket.other.id}", "key": "secret.txt", "content": "not the site's"},
            },
            "aws_cloudfront_response_headers_policy": {"headers": POLICY},
            "aws_cloudfront_distribution": {
                "cdn": {
                    "default_root_object": "index.html",
                    "origin": [
                        {"domain_name": "${aws_s3_bucket.site.bucket_regional_domain_name}", "origin_id": "site"}
                    ],
                    "default_cache_behavior": {
                        "target_origin_id": "site",
                        "response_headers_policy_id": "${aws_cloudfront_response_headers_policy.headers.id}",
                    },
                }
            },
        }
    )


@pytest.fixture(scope="module")
def site() -> Site:
    # The site is read once, when opened: it answers after the cloud is gone.
    with OfflineCloud(site_stack()) as running:
        found = Site.of(running)
    assert found is not None
    return found


def test_the_root_is_the_default_root_object_with_its_type_and_cache_control(site):
    page = site.get("/", endpoints={})
    assert (page.status, page.body) == (200, b"<!doctype html><title>t</title>")
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "public, max-age=300"


def test_every_answer_carries_the_policys_security_headers(site):
    for page in (site.get("/index.html", endpoints={}), site.get("/missing.js", endpoints={})):
        assert page.headers["Content-Security-Policy"] == CSP
        assert page.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"
        assert (page.headers["X-Content-Type-Options"], page.headers["X-Frame-Options"]) == ("nosniff", "DENY")
        assert page.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_objects_of_other_buckets_are_not_part_of_the_site(site):
    page = site.get("/secret.txt", endpoints={})
    assert (page.status, page.headers["Content-Type"]) == (404, "text/plain; charset=utf-8")


def test_deployed_endpoints_in_json_objects_are_replaced_by_the_local_ones(site):
    page = site.get("/config.json", endpoints={DEPLOYED_API: "http://127.0.0.1:8080/v1"})
    config = json.loads(page.body)
    assert config == {
        "apiUrl": "http://127.0.0.1:8080/v1",
        "region": "eu-west-1",
        "nested": ["http://127.0.0.1:8080/v1"],
    }
    assert (page.headers["Content-Type"], page.headers["Cache-Control"]) == ("application/json", "no-cache, max-age=0")


def test_a_stack_without_a_distribution_has_no_site():
    with OfflineCloud(small_stack({})) as running:
        assert Site.of(running) is None


def test_a_policy_block_not_modelled_is_an_error_naming_it():
    with pytest.raises(TerraformError, match="cors_config"):
        response_headers({**POLICY, "cors_config": {}})


def test_custom_headers_and_xss_protection_are_sent_too():
    policy = {
        "name": "p",
        "security_headers_config": {"xss_protection": {"protection": True, "mode_block": True, "override": True}},
        "custom_headers_config": {"items": [{"header": "X-Served-By", "value": "offline", "override": True}]},
    }
    assert response_headers(policy) == {"X-XSS-Protection": "1; mode=block", "X-Served-By": "offline"}
