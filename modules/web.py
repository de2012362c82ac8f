"""Web service: the customers' review form and the agents' console, static pages served by CloudFront from a
private S3 bucket.

The pages are the files under ``web/`` (plain HTML, CSS and JavaScript modules: no build step, nothing loaded from
elsewhere). They read the API URL and the Cognito settings from ``config.json`` beside them, which
:meth:`Website.publish_config` writes from Terraform references once the API exists.

Why the API comes after the site: the API allows exactly one CORS origin, the distribution's, so the API depends on
the distribution. The distribution may then depend on nothing of the API: its Content-Security-Policy names the
regional execute-api domain (``https://*.execute-api.<region>.amazonaws.com``) unless ``api_origin`` gives the exact
origin (a custom domain known in advance), and only ``config.json`` references the API URL.

The offline server serves the same files with the same types and headers, and a config.json of the same shape:
:func:`site_files`, :func:`content_type`, :func:`security_headers`, :func:`site_config`.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import jsii
from cdktf import AssetType, IResolveContext, IStringProducer, Lazy, TerraformAsset, Token
from cdktf_cdktf_provider_aws.cloudfront_distribution import (
    CloudfrontDistribution,
    CloudfrontDistributionDefaultCacheBehavior,
    CloudfrontDistributionOrigin,
    CloudfrontDistributionRestrictions,
    CloudfrontDistributionRestrictionsGeoRestriction,
    CloudfrontDistributionViewerCertificate,
)
from cdktf_cdktf_provider_aws.cloudfront_origin_access_control import CloudfrontOriginAccessControl
from cdktf_cdktf_provider_aws.cloudfront_response_headers_policy import (
    CloudfrontResponseHeadersPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfig,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigContentTypeOptions,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigFrameOptions,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigReferrerPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurity,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_delivery import (
    CloudwatchLogDelivery,
    CloudwatchLogDeliveryS3DeliveryConfiguration,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_delivery_destination import (
    CloudwatchLogDeliveryDestination,
    CloudwatchLogDeliveryDestinationDeliveryDestinationConfiguration,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_delivery_source import CloudwatchLogDeliverySource
from cdktf_cdktf_provider_aws.cognito_user_pool import CognitoUserPool
from cdktf_cdktf_provider_aws.cognito_user_pool_client import CognitoUserPoolClient
from cdktf_cdktf_provider_aws.s3_object import S3Object
from constructs import Construct

from modules import checks
from modules.common import ROOT
from modules.security import Platform
from modules.storage import access_log_bucket, lifecycle_rule, secure_bucket

WEB_DIR = ROOT / "web"
CONFIG_KEY = "config.json"
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
# The pages carry no fingerprint in their names, so a deploy reaches every visitor within this time.
PAGE_CACHE_CONTROL = "public, max-age=300"
# config.json changes whenever the API or the user pool is replaced: browsers and CloudFront revalidate each time.
CONFIG_CACHE_CONTROL = "no-cache, max-age=0"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
# Two years, the HSTS preload list's minimum is one. https://hstspreload.org/#deployment-recommendations
HSTS_MAX_AGE_SECONDS = 2 * 365 * 24 * 3600
FRAME_OPTION = "DENY"
REFERRER_POLICY = "strict-origin-when-cross-origin"
# AWS's managed CachingOptimized cache policy: honours the objects' Cache-Control (1 s to 1 year), compresses, no
# cookies, headers or query strings in the key.
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
# CloudFront is global: its standard logging (v2) is configured through CloudWatch Logs in us-east-1, whatever the
# stack's region; the destination bucket may be in any region.
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html
CLOUDFRONT_LOG_REGION = "us-east-1"
S3_ACCESS_LOGS_PREFIX = "s3-access/"
CLOUDFRONT_LOGS_PREFIX = "cloudfront"


# ----------------------------------------------------------------------------------------- shared with offline


def site_files(web_dir: Path = WEB_DIR) -> dict[str, Path]:
    """Every file the site serves, by its URL path relative to the site root (``app/api.js``), sorted.

    Hidden files are not part of the site. ``config.json`` is not a file of ``web/``: the stack (or the offline
    server) writes it, so one in ``web/`` is refused rather than silently shadowed. A file whose type
    :func:`content_type` does not know is refused too, so nothing is served as ``application/octet-stream``.
    """
    files: dict[str, Path] = {}
    for path in sorted(web_dir.rglob("*")):
        relative = path.relative_to(web_dir)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        key = relative.as_posix()
        if key == CONFIG_KEY:
            raise ValueError(f"web/{key}: config.json is written by the stack; remove it from web/")
        content_type(path)
        files[key] = path
    if "index.html" not in files:
        raise ValueError(f"{web_dir}: has no index.html, the distribution's default root object")
    return files


def content_type(path: str | Path) -> str:
    """The Content-Type the site serves ``path`` with, by its extension; ValueError for an unknown one."""
    suffix = Path(path).suffix.lower()
    if suffix not in CONTENT_TYPES:
        raise ValueError(
            f"{path}: no content type for {suffix or 'a file without extension'!r}; known: {sorted(CONTENT_TYPES)}"
        )
    return CONTENT_TYPES[suffix]


def security_headers(api_origin: str, cognito_origin: str) -> dict[str, str]:
    """The security headers of every page: what the distribution's response headers policy sets, and what the offline
    server must send. ``api_origin`` and ``cognito_origin`` are the origins the pages may call besides their own
    (``https://host[:port]``, ``*.`` wildcards allowed, or ``http://localhost|127.0.0.1[:port]`` offline)."""
    for name, origin in (("api_origin", api_origin), ("cognito_origin", cognito_origin)):
        checks.argument("security_headers", name, checks.origin, origin, wildcard=True)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "connect-src": ["'self'", api_origin, cognito_origin],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    }
    return {
        "Content-Security-Policy": "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items()),
        "Strict-Transport-Security": f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains; preload",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": FRAME_OPTION,
        "Referrer-Policy": REFERRER_POLICY,
    }


def regional_cognito_endpoint(region: str) -> str:
    """The Cognito Identity Provider JSON endpoint the console signs in with."""
    return f"https://cognito-idp.{region}.amazonaws.com/"


def site_config(
    *, api_url: str, region: str, user_pool_id: str, user_pool_client_id: str, cognito_endpoint: str | None = None
) -> dict[str, str]:
    """What ``config.json`` holds. The stack passes Terraform references; the offline server passes its local API
    and Cognito endpoints. ``cognito_endpoint`` defaults to the region's."""
    return {
        "apiUrl": api_url,
        "region": region,
        "userPoolId": user_pool_id,
        "userPoolClientId": user_pool_client_id,
        "cognitoEndpoint": cognito_endpoint or regional_cognito_endpoint(region),
    }


# ------------------------------------------------------------------------------------------------ the construct


class Website(Construct):
    """The review form (``index.html``) and the agent console (``agent.html``), from ``web/``.

    Inputs (keyword-only):
      platform: shared account, region, naming and key.
      user_pool, user_pool_client: the agents' Cognito user pool and its public client (for config.json).
      region: the region of the user pool and the API; default ``platform.region``.
      price_class: "PriceClass_100" (default), "PriceClass_200" or "PriceClass_All".
      api_origin: the API's origin for the Content-Security-Policy's connect-src when it is known before the API
        exists (a custom domain); default ``https://*.execute-api.<region>.amazonaws.com``, since the API's own
        URL would make the distribution depend on the API, which depends on the distribution for CORS.
    Then ``publish_config(api_url=...)``, once the API exists, writes config.json.

    Defaults:
      - site bucket: private (all four public access blocks, ACLs disabled), versioned, SSE-S3, TLS only, read only
        by this distribution (CloudFront origin access control, SigV4, always signed, ``AWS:SourceArn``), access
        logs to the log bucket, old versions expire after 30 days. SSE-S3, not the platform key: the objects are
        public pages, served to anyone, so a customer key would protect nothing, and OAC could read SSE-KMS objects
        only through a key policy naming the distribution.
      - log bucket: the same defaults, SSE-S3 (S3 server access logs allow no other), objects expire after the
        platform's log retention; receives the site bucket's access logs (``s3-access/``) and CloudFront standard
        logs v2, JSON, through CloudWatch Logs delivery in us-east-1 (``cloudfront/``), so no bucket needs ACLs.
      - distribution: IPv6, HTTP/2 and 3, GET/HEAD only, viewers redirected to HTTPS, default root object
        index.html, AWS's CachingOptimized cache policy, compression, no geo restriction, the default
        ``*.cloudfront.net`` certificate. With that certificate CloudFront does not let the minimum TLS version be
        chosen (its policy is TLSv1); TLS 1.2 as the minimum needs a custom domain with an ACM certificate
        (``minimum_protocol_version = "TLSv1.2_2021"``), which no environment configures yet.
      - response headers policy: :func:`security_headers` (strict CSP, HSTS 2 years with subdomains and preload,
        nosniff, frame DENY, strict-origin-when-cross-origin), overriding whatever the origin sends.
      - objects: one per file of :func:`site_files`, its content type by extension, ``Cache-Control`` "public,
        max-age=300" and a content hash, so a changed file is uploaded again; config.json "no-cache, max-age=0".
    Exposes: ``bucket``, ``log_bucket``, ``origin_access_control``, ``response_headers_policy``, ``distribution``,
      ``objects`` (by relative path), ``asset`` (web/ as copied into the synthesized stack), ``config_object``
      (None until ``publish_config``), ``log_delivery_source``, ``log_delivery_destination``, ``log_delivery``,
      ``url`` and ``origin`` (both ``https://<distribution domain>``; ``origin`` is what the API's CORS allows),
      ``content_security_policy_sources`` (``api_origin`` and ``cognito_origin`` as the CSP names them).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform: Platform,
        user_pool: CognitoUserPool,
        user_pool_client: CognitoUserPoolClient,
        region: str | None = None,
        price_class: str = "PriceClass_100",
        api_origin: str | None = None,
    ):
        super().__init__(scope, id)
        if not isinstance(platform, Platform):
            raise TypeError(f"Website: platform must be a Platform, got {type(platform).__name__}")
        region = platform.region if region is None else region
        for setting, value, kind in (
            ("user_pool", user_pool, CognitoUserPool),
            ("user_pool_client", user_pool_client, CognitoUserPoolClient),
        ):
            if not isinstance(value, kind):
                raise TypeError(f"Website: {setting} must be a {kind.__name__}, got {type(value).__name__}")
        checks.argument("Website", "region", checks.region, region)
        checks.argument("Website", "price_class", checks.one_of, price_class, values=PRICE_CLASSES)
        if api_origin is not None:
            checks.argument("Website", "api_origin", checks.origin, api_origin, wildcard=True)
        self._region = region
        self._user_pool_id = user_pool.id
        self._user_pool_client_id = user_pool_client.id
        self.config_object: S3Object | None = None
        self.content_security_policy_sources = {
            "api_origin": api_origin or f"https://*.execute-api.{region}.amazonaws.com",
            "cognito_origin": regional_cognito_endpoint(region).rstrip("/"),
        }
        # Bucket names are global: the account and region keep two deployments apart.
        suffix = f"{platform.account_id}-{platform.region}"

        # The bucket policy names the distribution, which is built from the bucket: its ARN is filled in at synthesis.
        self.distribution: CloudfrontDistribution
        distribution_arn = Lazy.string_value(_Later(lambda: self.distribution.arn))
        site = secure_bucket(
            self,
            "bucket",
            name=f"{platform.name('web', 'site')}-{suffix}",
            kms_key_arn=None,
            lifecycle=[lifecycle_rule("old-versions")],
            statements=lambda arn: [
                # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
                {
                    "Sid": "OnlyThisDistributionReadsThePages",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": "s3:GetObject",
                    "Resource": f"{arn}/*",
                    "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
                }
            ],
        )
        self.bucket = site.bucket
        self.bucket_policy = site.policy
        self.origin_access_control = CloudfrontOriginAccessControl(
            self,
            "origin-access-control",
            name=platform.name("web", "site"),
            description="CloudFront signs every request to the private site bucket",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
        )
        headers = security_headers(**self.content_security_policy_sources)
        self.response_headers_policy = CloudfrontResponseHeadersPolicy(
            self,
            "response-headers",
            name=platform.name("web", "security-headers"),
            comment="Strict CSP, HSTS, nosniff, no framing, strict-origin-when-cross-origin referrers",
            security_headers_config=CloudfrontResponseHeadersPolicySecurityHeadersConfig(
                content_security_policy=CloudfrontResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicy(
                    content_security_policy=headers["Content-Security-Policy"], override=True
                ),
                strict_transport_security=CloudfrontResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurity(
                    access_control_max_age_sec=HSTS_MAX_AGE_SECONDS,
                    include_subdomains=True,
                    preload=True,
                    override=True,
                ),
                content_type_options=CloudfrontResponseHeadersPolicySecurityHeadersConfigContentTypeOptions(
                    override=True
                ),
                frame_options=CloudfrontResponseHeadersPolicySecurityHeadersConfigFrameOptions(
                    frame_option=FRAME_OPTION, override=True
                ),
                referrer_policy=CloudfrontResponseHeadersPolicySecurityHeadersConfigReferrerPolicy(
                    referrer_policy=REFERRER_POLICY, override=True
                ),
            ),
        )
        self.distribution = CloudfrontDistribution(
            self,
            "distribution",
            comment=f"{platform.prefix}: review form and agent console",
            enabled=True,
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class=price_class,
            default_root_object="index.html",
            origin=[
                CloudfrontDistributionOrigin(
                    origin_id="site",
                    domain_name=self.bucket.bucket_regional_domain_name,
                    origin_access_control_id=self.origin_access_control.id,
                )
            ],
            default_cache_behavior=CloudfrontDistributionDefaultCacheBehavior(
                target_origin_id="site",
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD"],
                cached_methods=["GET", "HEAD"],
                cache_policy_id=CACHING_OPTIMIZED_POLICY_ID,
                response_headers_policy_id=self.response_headers_policy.id,
                compress=True,
            ),
            restrictions=CloudfrontDistributionRestrictions(
                geo_restriction=CloudfrontDistributionRestrictionsGeoRestriction(restriction_type="none")
            ),
            viewer_certificate=CloudfrontDistributionViewerCertificate(cloudfront_default_certificate=True),
        )
        self.url = f"https://{self.distribution.domain_name}"
        self.origin = self.url

        self._log_to(platform, suffix)

        self.asset = TerraformAsset(self, "pages", path=str(WEB_DIR), type=AssetType.DIRECTORY)
        self.objects: dict[str, S3Object] = {
            key: S3Object(
                self,
                f"file-{key.replace('/', '--')}",
                bucket=self.bucket.id,
                key=key,
                source=f"{self.asset.path}/{key}",
                source_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
                content_type=content_type(path),
                cache_control=PAGE_CACHE_CONTROL,
            )
            for key, path in site_files().items()
        }

    def _log_to(self, platform: Platform, suffix: str) -> None:
        """The log bucket, the site bucket's access logs and the distribution's standard logs (v2)."""
        self.log_delivery_source = CloudwatchLogDeliverySource(
            self,
            "log-delivery-source",
            region=CLOUDFRONT_LOG_REGION,
            name=platform.name("web", "cdn-access"),
            log_type="ACCESS_LOGS",
            resource_arn=self.distribution.arn,
        )
        source_arn = self.log_delivery_source.arn
        logs = access_log_bucket(
            self,
            "log-bucket",
            name=f"{platform.name('web', 'logs')}-{suffix}",
            logs_of=self.bucket,
            prefix=S3_ACCESS_LOGS_PREFIX,
            sid="S3LogsAccessToTheSiteBucket",
            account_id=platform.account_id,
            logging_id="bucket-logging",
            lifecycle=[lifecycle_rule("logs", expire_after_days=platform.log_retention_days)],
            statements=lambda arn: [
                # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-S3.html
                {
                    "Sid": "CloudFrontStandardLogsOfTheDistribution",
                    "Effect": "Allow",
                    "Principal": {"Service": "delivery.logs.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"{arn}/{CLOUDFRONT_LOGS_PREFIX}/*",
                    "Condition": {
                        "StringEquals": {
                            "s3:x-amz-acl": "bucket-owner-full-control",
                            "aws:SourceAccount": platform.account_id,
                        },
                        "ArnLike": {"aws:SourceArn": source_arn},
                    },
                },
            ],
        )
        self.log_bucket = logs.bucket
        self.log_delivery_destination = CloudwatchLogDeliveryDestination(
            self,
            "log-delivery-destination",
            region=CLOUDFRONT_LOG_REGION,
            name=platform.name("web", "cdn-access"),
            output_format="json",
            delivery_destination_configuration=[
                CloudwatchLogDeliveryDestinationDeliveryDestinationConfiguration(
                    destination_resource_arn=f"{self.log_bucket.arn}/{CLOUDFRONT_LOGS_PREFIX}"
                )
            ],
        )
        self.log_delivery = CloudwatchLogDelivery(
            self,
            "log-delivery",
            region=CLOUDFRONT_LOG_REGION,
            delivery_source_name=self.log_delivery_source.name,
            delivery_destination_arn=self.log_delivery_destination.arn,
            s3_delivery_configuration=[
                CloudwatchLogDeliveryS3DeliveryConfiguration(suffix_path="{DistributionId}/{yyyy}/{MM}/{dd}/{HH}")
            ],
            # Without the statement in place, CreateDelivery would write its own into the bucket policy, which
            # Terraform would then overwrite.
            depends_on=[logs.policy],
        )

    def publish_config(self, *, api_url: str) -> S3Object:
        """Write ``config.json``: the API URL (a reference to the API stage's invoke URL), the region, the user pool,
        its client and the Cognito endpoint. Call once, after the API exists. Exposes and returns ``config_object``."""
        if self.config_object is not None:
            raise ValueError("Website: publish_config was already called; config.json is written once")
        if not isinstance(api_url, str) or not api_url:
            raise ValueError(f"Website: api_url {api_url!r} must be a non-empty string (a URL or a reference to one)")
        if not Token.is_unresolved(api_url) and not re.match(r"^https://[^\s\"'<>]+$", api_url):
            raise ValueError(f"Website: api_url {api_url!r} must be an https:// URL")
        config = site_config(
            api_url=api_url,
            region=self._region,
            user_pool_id=self._user_pool_id,
            user_pool_client_id=self._user_pool_client_id,
        )
        self.config_object = S3Object(
            self,
            "config",
            bucket=self.bucket.id,
            key=CONFIG_KEY,
            content=json.dumps(config, indent=2),
            content_type=content_type(CONFIG_KEY),
            cache_control=CONFIG_CACHE_CONTROL,
        )
        return self.config_object


@jsii.implements(IStringProducer)
class _Later:
    """A value computed at synthesis, for a reference to a resource created after the one that needs it."""

    def __init__(self, produce: Any):
        self._produce = produce

    def produce(self, context: IResolveContext) -> str:
        return str(self._produce())
