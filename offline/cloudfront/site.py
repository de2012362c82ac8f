"""The site a distribution of the stack serves, offline. CloudFront is not emulated: this answers for it, from what
the synthesized stack says and nothing else.

- the distribution's S3 origin (the bucket whose regional domain name it names) and its default root object;
- the objects of that bucket, as the engine created them from their ``aws_s3_object`` resources (body from
  ``source`` or ``content``, ``content_type``, ``cache_control``), read back from moto's S3 once, when the site is
  opened;
- the response headers policy of the default cache behaviour: the headers it sets, on every answer, as CloudFront
  adds them with ``override``;
- in the JSON objects (``config.json``), the deployed endpoints the pages call replaced by the local ones the caller
  names (the API stage's invoke URL by the local API, say), since offline nothing answers at the deployed ones;
- the viewer requests CloudFront refuses before any origin sees them (:meth:`Site.refusal`), each a 403: a Host that
  is not a name of the distribution, a method the default cache behaviour does not allow, a GET with a body.
  CloudFront words them in an HTML page; offline they are JSON, as every other refusal of the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from offline.engine.aws import first
from offline.engine.terraform import TerraformError

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud

_JSON_TYPES = ("application/json",)
# "403 ERROR - The request could not be satisfied. Bad Request.": the Host names no distribution (an alternate
# domain name that is not the distribution's). https://repost.aws/knowledge-center/resolve-cloudfront-bad-request-error
FOREIGN_HOST = "The request could not be satisfied. Bad Request."
# A method outside the behaviour's allowed_methods: the words of CloudFront's 403 page as users report them (the
# docs list the allowed sets, not the page's text).
METHOD_NOT_ALLOWED = (
    "This distribution is not configured to allow the HTTP request method that was used for this request. "
    "The distribution supports only cachable requests."
)
# "If a viewer GET request includes a body, CloudFront returns an HTTP status code 403 (Forbidden) to the viewer."
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorS3Origin.html
# The status is documented; these words are the emulator's.
GET_WITH_BODY = "The request could not be satisfied: a GET request has a body."
_NOT_FOUND_TYPE = "text/plain; charset=utf-8"
_JSON_ERROR = {"Content-Type": "application/json"}
# The blocks of a response headers policy this reads; any other is an error, so no header is dropped silently.
_POLICY_BLOCKS = {"security_headers_config", "custom_headers_config"}
_POLICY_ARGUMENTS = {"name", "comment", "id", "etag", "arn"}


@dataclass(frozen=True)
class SiteObject:
    body: bytes
    content_type: str
    cache_control: str | None


@dataclass(frozen=True)
class Page:
    status: int
    body: bytes
    headers: dict[str, str]


class Site:
    """The pages of one distribution. Inputs: ``objects`` (by key), ``headers`` (the response headers policy's),
    ``root`` (the default root object), ``allowed_methods`` (the default cache behaviour's; GET and HEAD by
    default). :meth:`of` reads them from a running cloud; :meth:`refusal` answers what CloudFront refuses, and
    :meth:`get` a path."""

    def __init__(
        self,
        objects: Mapping[str, SiteObject],
        *,
        headers: Mapping[str, str],
        root: str,
        allowed_methods: Iterable[str] = ("GET", "HEAD"),
    ):
        self.objects = dict(objects)
        self.headers = dict(headers)
        self.root = root
        self.allowed_methods = frozenset(allowed_methods)

    @classmethod
    def of(cls, cloud: OfflineCloud) -> Site | None:
        """The site of the stack's distribution; None when the stack has none. More than one is an error."""
        distributions = cloud.resources("aws_cloudfront_distribution")
        if not distributions:
            return None
        if len(distributions) > 1:
            raise LookupError(f"the stack has {len(distributions)} distributions; the offline server serves one")
        [distribution] = distributions.values()
        behaviour = first(distribution["default_cache_behavior"])
        bucket = _origin_bucket(cloud, distribution, behaviour["target_origin_id"])
        policy_id = behaviour.get("response_headers_policy_id")
        policies = [
            policy
            for policy in cloud.resources("aws_cloudfront_response_headers_policy").values()
            if policy["id"] == policy_id
        ]
        headers = response_headers(policies[0]) if policies else {}
        s3 = cloud.client("s3")
        objects = {}
        for item in cloud.resources("aws_s3_object").values():
            if item["bucket"] != bucket:
                continue
            stored = s3.get_object(Bucket=bucket, Key=item["key"])
            objects[item["key"]] = SiteObject(stored["Body"].read(), stored["ContentType"], stored.get("CacheControl"))
        return cls(
            objects,
            headers=headers,
            root=distribution.get("default_root_object") or "index.html",
            allowed_methods=behaviour.get("allowed_methods") or ("GET", "HEAD"),
        )

    def refusal(self, method: str, host: str | None, body: bytes, *, names: Iterable[str]) -> Page | None:
        """CloudFront's 403 to a viewer request it refuses, or None; ``names`` are the host names (with port) the
        distribution answers at."""
        if host is None or host.strip().lower() not in {name.lower() for name in names}:
            reason = FOREIGN_HOST
        elif method not in self.allowed_methods:
            reason = METHOD_NOT_ALLOWED
        elif method == "GET" and body:
            reason = GET_WITH_BODY
        else:
            return None
        return Page(403, json.dumps({"message": reason}).encode("utf-8"), {**self.headers, **_JSON_ERROR})

    def get(self, path: str, *, endpoints: Mapping[str, str]) -> Page:
        """The answer to a GET of ``path``; ``endpoints`` maps deployed URLs to the local ones that replace them."""
        key = path.lstrip("/") or self.root
        found = self.objects.get(key)
        if found is None:
            return Page(404, b"Not Found", {**self.headers, "Content-Type": _NOT_FOUND_TYPE})
        body = found.body
        if found.content_type.split(";")[0].strip() in _JSON_TYPES:
            body = json.dumps(_localized(json.loads(body), endpoints), indent=2).encode("utf-8")
        headers = {**self.headers, "Content-Type": found.content_type}
        if found.cache_control:
            headers["Cache-Control"] = found.cache_control
        return Page(200, body, headers)


def response_headers(policy: Mapping[str, Any]) -> dict[str, str]:
    """The headers a response headers policy (an ``aws_cloudfront_response_headers_policy``'s arguments) sets."""
    unknown = set(policy) - _POLICY_BLOCKS - _POLICY_ARGUMENTS
    if unknown:
        raise TerraformError(f"response headers policy {policy.get('name')}: {sorted(unknown)} not modelled offline")
    security = first(policy.get("security_headers_config"))
    headers: dict[str, str] = {}
    csp = first(security.get("content_security_policy"))
    if csp:
        headers["Content-Security-Policy"] = csp["content_security_policy"]
    hsts = first(security.get("strict_transport_security"))
    if hsts:
        headers["Strict-Transport-Security"] = "; ".join(
            [f"max-age={hsts['access_control_max_age_sec']}"]
            + (["includeSubDomains"] if hsts.get("include_subdomains") else [])
            + (["preload"] if hsts.get("preload") else [])
        )
    if "content_type_options" in security:
        headers["X-Content-Type-Options"] = "nosniff"
    frame = first(security.get("frame_options"))
    if frame:
        headers["X-Frame-Options"] = frame["frame_option"]
    referrer = first(security.get("referrer_policy"))
    if referrer:
        headers["Referrer-Policy"] = referrer["referrer_policy"]
    xss = first(security.get("xss_protection"))
    if xss:
        value = "1" if xss.get("protection") else "0"
        if xss.get("protection") and xss.get("mode_block"):
            value += "; mode=block"
        if xss.get("protection") and xss.get("report_uri"):
            value += f"; report={xss['report_uri']}"
        headers["X-XSS-Protection"] = value
    for item in first(policy.get("custom_headers_config")).get("items", []):
        headers[item["header"]] = item["value"]
    return headers


def _origin_bucket(cloud: OfflineCloud, distribution: Mapping[str, Any], origin_id: str) -> str:
    origins = distribution["origin"] if isinstance(distribution["origin"], list) else [distribution["origin"]]
    [origin] = [o for o in origins if o["origin_id"] == origin_id]
    for bucket in cloud.resources("aws_s3_bucket").values():
        if origin["domain_name"] in (bucket["bucket_regional_domain_name"], bucket["bucket_domain_name"]):
            return str(bucket["bucket"])
    raise TerraformError(f"the distribution's origin {origin['domain_name']} is no bucket of the stack")


def _localized(value: Any, endpoints: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return endpoints.get(value, value)
    if isinstance(value, list):
        return [_localized(item, endpoints) for item in value]
    if isinstance(value, dict):
        return {key: _localized(item, endpoints) for key, item in value.items()}
    return value
