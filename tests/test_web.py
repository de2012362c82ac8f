"""Web service: the hosting in the synthesized dev stack (private bucket, CloudFront with origin access control and
security headers, every page uploaded with its type, config.json from references), the pages' own rules (nothing
loaded from elsewhere, no inline code, data written as text only) and the construct's input validation."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from modules.web import (
    CONFIG_CACHE_CONTROL,
    PAGE_CACHE_CONTROL,
    WEB_DIR,
    Website,
    content_type,
    security_headers,
    site_files,
)
from tests.tf import decoded, only, ref, references, resources, sample_platform

PLATFORM = sample_platform()
# What the pages must never do with data: each of these parses its argument as markup or code.
MARKUP_SINKS = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "srcdoc")


# --------------------------------------------------------------------------------------------- the hosting


def _by_bucket(stack: dict[str, Any], kind: str, bucket: str) -> dict[str, dict[str, Any]]:
    """The resources of ``kind`` attached to the bucket whose logical name is ``bucket``."""
    bucket_id = ref("aws_s3_bucket", bucket, "id")
    return {name: body for name, body in resources(stack, kind).items() if body.get("bucket") == bucket_id}


def _one_by_bucket(stack: dict[str, Any], kind: str, bucket: str) -> dict[str, Any]:
    found = _by_bucket(stack, kind, bucket)
    assert len(found) == 1, f"expected one {kind} for {bucket}, found {sorted(found)}"
    return next(iter(found.values()))


@pytest.fixture(scope="module")
def distribution(dev) -> tuple[str, dict[str, Any]]:
    return only(dev, "aws_cloudfront_distribution", "")


@pytest.fixture(scope="module")
def site_bucket(dev, distribution) -> str:
    """The logical name of the bucket the distribution serves from."""
    [origin] = distribution[1]["origin"]
    [(kind, name, attribute)] = references(origin["domain_name"])
    assert (kind, attribute) == ("aws_s3_bucket", "bucket_regional_domain_name")
    return name


@pytest.fixture(scope="module")
def log_bucket(dev, site_bucket) -> str:
    logging = _one_by_bucket(dev, "aws_s3_bucket_logging", site_bucket)
    [(kind, name, _)] = references(logging["target_bucket"])
    assert kind == "aws_s3_bucket"
    return name


@pytest.fixture(scope="module")
def site_objects(dev, site_bucket) -> dict[str, dict[str, Any]]:
    """Every object uploaded to the site bucket, by key."""
    return {body["key"]: body for body in _by_bucket(dev, "aws_s3_object", site_bucket).values()}


@pytest.fixture(scope="module")
def headers_policy(dev, distribution) -> dict[str, Any]:
    [(kind, name, _)] = references(distribution[1]["default_cache_behavior"]["response_headers_policy_id"])
    assert kind == "aws_cloudfront_response_headers_policy"
    return resources(dev, kind)[name]


def test_the_site_bucket_blocks_every_kind_of_public_access(dev, site_bucket):
    block = _one_by_bucket(dev, "aws_s3_bucket_public_access_block", site_bucket)
    flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    assert all(block[flag] is True for flag in flags)
    ownership = _one_by_bucket(dev, "aws_s3_bucket_ownership_controls", site_bucket)
    assert ownership["rule"]["object_ownership"] == "BucketOwnerEnforced"


def test_only_the_distribution_may_read_the_site_bucket(dev, site_bucket, distribution):
    policy = decoded(_one_by_bucket(dev, "aws_s3_bucket_policy", site_bucket), "policy")
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "OnlyThisDistributionReadsThePages",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": ref("aws_s3_bucket", site_bucket, "arn") + "/*",
            "Condition": {
                "StringEquals": {"AWS:SourceArn": ref("aws_cloudfront_distribution", distribution[0], "arn")}
            },
        }
    ]


@pytest.mark.parametrize("which", ["site", "logs"])
def test_both_buckets_refuse_requests_without_tls(dev, site_bucket, log_bucket, which):
    bucket = site_bucket if which == "site" else log_bucket
    policy = decoded(_one_by_bucket(dev, "aws_s3_bucket_policy", bucket), "policy")
    arn = ref("aws_s3_bucket", bucket, "arn")
    assert {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    } in policy["Statement"]


@pytest.mark.parametrize("which", ["site", "logs"])
def test_both_buckets_are_versioned_and_encrypted(dev, site_bucket, log_bucket, which):
    bucket = site_bucket if which == "site" else log_bucket
    versioning = _one_by_bucket(dev, "aws_s3_bucket_versioning", bucket)
    assert versioning["versioning_configuration"]["status"] == "Enabled"
    [rule] = _one_by_bucket(dev, "aws_s3_bucket_server_side_encryption_configuration", bucket)["rule"]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "AES256"


def test_the_site_bucket_logs_its_access_to_the_log_bucket(dev, site_bucket, log_bucket):
    policy = decoded(_one_by_bucket(dev, "aws_s3_bucket_policy", log_bucket), "policy")
    [statement] = [s for s in policy["Statement"] if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}]
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": ref("aws_s3_bucket", site_bucket, "arn")}


def test_cloudfront_standard_logs_go_to_the_log_bucket_through_us_east_1(dev, distribution, log_bucket):
    _, source = only(dev, "aws_cloudwatch_log_delivery_source", "")
    _, destination = only(dev, "aws_cloudwatch_log_delivery_destination", "")
    _, delivery = only(dev, "aws_cloudwatch_log_delivery", "")
    assert source["resource_arn"] == ref("aws_cloudfront_distribution", distribution[0], "arn")
    assert source["log_type"] == "ACCESS_LOGS"
    assert {source["region"], destination["region"], delivery["region"]} == {"us-east-1"}
    [config] = destination["delivery_destination_configuration"]
    assert config["destination_resource_arn"] == ref("aws_s3_bucket", log_bucket, "arn") + "/cloudfront"
    policy = decoded(_one_by_bucket(dev, "aws_s3_bucket_policy", log_bucket), "policy")
    [grant] = [s for s in policy["Statement"] if s.get("Principal") == {"Service": "delivery.logs.amazonaws.com"}]
    assert grant["Resource"] == ref("aws_s3_bucket", log_bucket, "arn") + "/cloudfront/*"
    [(_, source_name, _)] = references(grant["Condition"]["ArnLike"]["aws:SourceArn"])
    assert resources(dev, "aws_cloudwatch_log_delivery_source")[source_name] is source


def test_the_distribution_reads_the_bucket_through_origin_access_control(dev, distribution):
    [origin] = distribution[1]["origin"]
    [(kind, name, _)] = references(origin["origin_access_control_id"])
    control = resources(dev, kind)[name]
    assert (kind, control["origin_access_control_origin_type"]) == ("aws_cloudfront_origin_access_control", "s3")
    assert (control["signing_behavior"], control["signing_protocol"]) == ("always", "sigv4")
    assert "s3_origin_config" not in origin


def test_viewers_are_sent_to_https_and_the_root_serves_the_review_form(distribution):
    _, body = distribution
    behavior = body["default_cache_behavior"]
    assert behavior["viewer_protocol_policy"] == "redirect-to-https"
    assert sorted(behavior["allowed_methods"]) == ["GET", "HEAD"]
    assert body["default_root_object"] == "index.html"
    assert body["enabled"] is True


def test_the_response_headers_policy_sets_exactly_the_security_headers(headers_policy, dev_config):
    config = headers_policy["security_headers_config"]
    hsts = config["strict_transport_security"]
    sent = {
        "Content-Security-Policy": config["content_security_policy"]["content_security_policy"],
        "Strict-Transport-Security": f"max-age={hsts['access_control_max_age_sec']}"
        + ("; includeSubDomains" if hsts["include_subdomains"] else "")
        + ("; preload" if hsts["preload"] else ""),
        "X-Content-Type-Options": "nosniff" if "content_type_options" in config else None,
        "X-Frame-Options": config["frame_options"]["frame_option"],
        "Referrer-Policy": config["referrer_policy"]["referrer_policy"],
    }
    region = dev_config.region
    assert sent == security_headers(
        f"https://*.execute-api.{region}.amazonaws.com", f"https://cognito-idp.{region}.amazonaws.com"
    )
    assert all(config[name]["override"] is True for name in config)


def test_the_content_security_policy_allows_no_inline_code_and_no_other_site(headers_policy):
    csp = headers_policy["security_headers_config"]["content_security_policy"]["content_security_policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split("; ")}
    assert directives["default-src"] == directives["script-src"] == directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == directives["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert all(source.startswith(("'self'", "https://")) for source in directives["connect-src"])


def test_hsts_lasts_two_years_with_subdomains_and_preload(headers_policy):
    hsts = headers_policy["security_headers_config"]["strict_transport_security"]
    assert (hsts["access_control_max_age_sec"], hsts["include_subdomains"], hsts["preload"]) == (63072000, True, True)


def test_the_distribution_depends_on_nothing_of_the_api(dev, distribution):
    """The API allows the distribution's origin (CORS), so anything the distribution needs must not need the API."""
    seen: set[tuple[str, str]] = set()
    pending = [("aws_cloudfront_distribution", distribution[0])]
    while pending:
        kind, name = pending.pop()
        if (kind, name) in seen:
            continue
        seen.add((kind, name))
        body = resources(dev, kind).get(name, {})
        pending += [(k, n) for k, n, _ in references(json.dumps(body)) if not k.startswith("data")]
    assert not [kind for kind, _ in seen if kind.startswith("aws_api_gateway")]


def test_every_file_under_web_is_uploaded_with_its_content_type(site_objects):
    files = site_files()
    assert set(site_objects) == {*files, "config.json"}
    for key, path in files.items():
        uploaded = site_objects[key]
        assert uploaded["source"].endswith(f"/{key}")
        assert uploaded["content_type"] == content_type(path)
        assert uploaded["source_hash"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert uploaded["cache_control"] == PAGE_CACHE_CONTROL


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("app/review-form.js", "text/javascript; charset=utf-8"),
        ("app/styles.css", "text/css; charset=utf-8"),
        ("config.json", "application/json"),
    ],
)
def test_content_types_follow_the_extension(name, expected):
    assert content_type(name) == expected


def test_config_json_holds_references_to_the_api_and_the_user_pool(dev, site_objects):
    config_object = site_objects["config.json"]
    config = json.loads(config_object["content"])
    assert set(config) == {"apiUrl", "region", "userPoolId", "userPoolClientId", "cognitoEndpoint"}
    [(stage_kind, stage, _)] = references(config["apiUrl"])
    assert (stage_kind, config["apiUrl"]) == ("aws_api_gateway_stage", ref(stage_kind, stage, "invoke_url"))
    pool, _ = only(dev, "aws_cognito_user_pool", "")
    client, _ = only(dev, "aws_cognito_user_pool_client", "")
    assert config["userPoolId"] == ref("aws_cognito_user_pool", pool, "id")
    assert config["userPoolClientId"] == ref("aws_cognito_user_pool_client", client, "id")
    assert config["cognitoEndpoint"] == f"https://cognito-idp.{config['region']}.amazonaws.com/"
    assert config_object["cache_control"] == CONFIG_CACHE_CONTROL == "no-cache, max-age=0"
    assert config_object["content_type"] == "application/json"


# ------------------------------------------------------------------------------------------------- the pages


class _Page(HTMLParser):
    """Every tag of an HTML page with its attributes, and the text inside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open and data.strip():
            self.inline.append(f"<{self._open}>{data.strip()[:40]}")


def _pages() -> dict[str, _Page]:
    pages = {}
    for key, path in site_files().items():
        if key.endswith(".html"):
            page = _Page()
            page.feed(path.read_text(encoding="utf-8"))
            pages[key] = page
    return pages


def _scripts() -> dict[str, str]:
    return {key: path.read_text(encoding="utf-8") for key, path in site_files().items() if key.endswith(".js")}


def _without_comments(code: str) -> str:
    """JavaScript or CSS without its block comments and whole-line // comments (links to documentation)."""
    return re.sub(r"^\s*//.*$", "", re.sub(r"/\*.*?\*/", "", code, flags=re.S), flags=re.M)


def _is_relative(url: str) -> bool:
    return not re.match(r"^([a-z][a-z0-9+.-]*:|//)", url.strip(), re.I)


def test_the_site_has_the_review_form_and_the_agent_console():
    assert {"index.html", "agent.html", "app/api.js", "app/review-form.js", "app/agent-console.js"} <= set(site_files())


def test_the_pages_load_nothing_from_another_site():
    for key, page in _pages().items():
        for tag, attributes in page.tags:
            for name in ("src", "href", "action", "formaction", "poster", "data"):
                value = attributes.get(name)
                assert value is None or _is_relative(value) or value.startswith("#"), f"{key}: <{tag} {name}={value}>"
    imported = set()
    for key, text in _scripts().items():
        for specifier in re.findall(r"""\b(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']""", text):
            assert specifier.startswith(("./", "../")), f"{key}: imports {specifier}"
            imported.add(specifier)
        assert not re.search(r"""\bimport\s*\(""", text), f"{key}: a dynamic import"
        for literal in re.findall(r"""\bfetch\(\s*["'`]([^"'`]+)""", text):
            assert _is_relative(literal), f"{key}: fetches {literal}"
    assert imported == {"./api.js"}
    for key, path in site_files().items():
        if key.endswith((".js", ".css")):
            code = _without_comments(path.read_text(encoding="utf-8"))
            assert not re.search(r"https?://|url\(\s*[\"']?//", code, re.I), f"{key}: names another site"


def test_the_html_has_no_inline_script_style_or_handler():
    for key, page in _pages().items():
        assert page.inline == [], key
        for tag, attributes in page.tags:
            assert "style" not in attributes, f"{key}: <{tag} style>"
            assert not [name for name in attributes if name.startswith("on")], f"{key}: <{tag}> has a handler"
            assert not any((value or "").strip().lower().startswith("javascript:") for value in attributes.values()), (
                f"{key}: <{tag}> has a javascript: URL"
            )
            if tag == "script":
                assert attributes.get("src") and attributes.get("type") == "module", f"{key}: {attributes}"


def test_the_scripts_write_data_as_text_only():
    for key, text in _scripts().items():
        code = _without_comments(text)
        assert not [sink for sink in MARKUP_SINKS if sink in code], key
        assert not re.search(r"""setTimeout\(\s*["'`]|setInterval\(\s*["'`]""", code), key
    assert "textContent" in _scripts()["app/api.js"]


def test_every_form_control_has_a_label():
    for key, page in _pages().items():
        labelled = {attributes.get("for") for tag, attributes in page.tags if tag == "label"}
        for tag, attributes in page.tags:
            if tag in ("input", "select", "textarea") and attributes.get("type") != "hidden":
                assert attributes.get("id") in labelled, f"{key}: <{tag} id={attributes.get('id')}> has no label"


def test_each_page_declares_its_language_and_a_title():
    for key, page in _pages().items():
        assert ("html", {"lang": "en"}) in page.tags, key
        assert any(tag == "title" for tag, _ in page.tags), key


def test_each_page_announces_status_messages_politely():
    for key, page in _pages().items():
        regions = [a for tag, a in page.tags if a.get("id") == "status"]
        assert regions == [
            {"id": "status", "class": "status", "role": "status", "aria-live": "polite", "aria-atomic": "true"}
        ], key


# ------------------------------------------------------------------------------------ the shared helpers


def test_site_files_refuses_a_config_json_in_web(tmp_path: Path):
    (tmp_path / "index.html").write_text("<!doctype html>", encoding="utf-8")
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match=r"config\.json is written by the stack"):
        site_files(tmp_path)


def test_site_files_refuses_a_file_of_unknown_type(tmp_path: Path):
    (tmp_path / "index.html").write_text("<!doctype html>", encoding="utf-8")
    (tmp_path / "notes.md").write_text("#", encoding="utf-8")
    with pytest.raises(ValueError, match=r"notes\.md: no content type for '\.md'"):
        site_files(tmp_path)


def test_site_files_skips_hidden_files_and_needs_an_index(tmp_path: Path):
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    with pytest.raises(ValueError, match=r"has no index\.html"):
        site_files(tmp_path)
    (tmp_path / "index.html").write_text("<!doctype html>", encoding="utf-8")
    assert list(site_files(tmp_path)) == ["index.html"]


def test_site_files_are_the_files_under_web():
    on_disk = {
        p.relative_to(WEB_DIR).as_posix() for p in WEB_DIR.rglob("*") if p.is_file() and not p.name.startswith(".")
    }
    assert set(site_files()) == on_disk


@pytest.mark.parametrize(
    "origin", ["https://api.example.com/v1", "https://a.example.com; script-src *", "'self'", "http://example.com", ""]
)
def test_security_headers_refuse_anything_but_an_origin(origin):
    with pytest.raises(ValueError, match="api_origin"):
        security_headers(origin, "https://cognito-idp.eu-west-1.amazonaws.com")


def test_security_headers_accept_a_local_server_for_offline_use():
    csp = security_headers("http://127.0.0.1:8123", "http://localhost:9000")["Content-Security-Policy"]
    assert "connect-src 'self' http://127.0.0.1:8123 http://localhost:9000;" in csp


# ---------------------------------------------------------------------------------------- input validation


@pytest.fixture
def build():
    """Builds the construct in a throwaway stack of a bare testing app (never synthesized)."""
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.cognito_user_pool import CognitoUserPool
    from cdktf_cdktf_provider_aws.cognito_user_pool_client import CognitoUserPoolClient

    def build(**overrides: Any) -> Website:
        stack = TerraformStack(Testing.app(), "scratch")
        pool = CognitoUserPool(stack, "pool", name="agents")
        client = CognitoUserPoolClient(stack, "client", name="console", user_pool_id=pool.id)
        inputs = {"platform": PLATFORM, "user_pool": pool, "user_pool_client": client}
        return Website(stack, "website", **{**inputs, **overrides})

    return build


def test_valid_inputs_build_the_site_without_config_until_published(build):
    site = build()
    assert set(site.objects) == set(site_files())
    assert site.config_object is None
    assert site.publish_config(api_url="https://abc123.execute-api.eu-west-1.amazonaws.com/v1") is site.config_object
    assert site.origin == site.url and site.url.startswith("https://")


def test_the_api_origin_of_the_csp_defaults_to_the_regional_api_gateway_domain(build):
    assert build().content_security_policy_sources == {
        "api_origin": "https://*.execute-api.eu-west-1.amazonaws.com",
        "cognito_origin": "https://cognito-idp.eu-west-1.amazonaws.com",
    }
    assert build(api_origin="https://api.example.com").content_security_policy_sources["api_origin"] == (
        "https://api.example.com"
    )


def test_platform_must_be_a_platform(build):
    with pytest.raises(TypeError, match="Website: platform must be a Platform"):
        build(platform={"region": "eu-west-1"})


@pytest.mark.parametrize("setting", ["user_pool", "user_pool_client"])
def test_the_user_pool_and_its_client_are_resources_not_ids(build, setting):
    with pytest.raises(TypeError, match=f"Website: {setting} must be a"):
        build(**{setting: "eu-west-1_AbC123"})


@pytest.mark.parametrize("value", ["", "Europe", "eu-west", "EU-WEST-1"])
def test_region_must_be_a_region_name(build, value):
    with pytest.raises(ValueError, match="Website: region"):
        build(region=value)


@pytest.mark.parametrize("value", ["PriceClass_300", "all", ""])
def test_price_class_must_be_a_cloudfront_price_class(build, value):
    with pytest.raises(ValueError, match=r"Website: price_class: .* must be one of \['PriceClass_100'"):
        build(price_class=value)


@pytest.mark.parametrize("value", ["https://api.example.com/v1", "api.example.com", "https://a.example.com'", ""])
def test_api_origin_must_be_one_origin(build, value):
    with pytest.raises(ValueError, match="Website: api_origin"):
        build(api_origin=value)


@pytest.mark.parametrize("value", ["", "http://api.example.com/v1", "https://api example.com", None])
def test_api_url_must_be_an_https_url(build, value):
    with pytest.raises(ValueError, match="Website: api_url"):
        build().publish_config(api_url=value)


def test_config_json_is_published_once(build):
    site = build()
    site.publish_config(api_url="https://abc.execute-api.eu-west-1.amazonaws.com/v1")
    with pytest.raises(ValueError, match="publish_config was already called"):
        site.publish_config(api_url="https://abc.execute-api.eu-west-1.amazonaws.com/v1")
