"""CloudFront's resources. CloudFront is not emulated (the offline server serves the pages itself, see
:mod:`offline.cloudfront.site`): the distribution gets the identity Terraform would report, its origin access control
and response headers policy are configuration only."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from offline.engine.registry import configuration_only, handles
from offline.engine.terraform import Resource

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud

configuration_only(
    "aws_cloudfront_origin_access_control", "CloudFront is not emulated: the offline server serves the pages itself"
)
configuration_only(
    "aws_cloudfront_response_headers_policy",
    "the offline server sends the headers it sets (offline.cloudfront.site reads them from it)",
)


@handles("aws_cloudfront_distribution")
def _distribution(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    # CloudFront is not emulated (the offline server serves the pages); the distribution only needs the identity
    # Terraform would report, since the pages' origin and the log delivery reference it.
    distribution_id = "E" + uuid.uuid5(uuid.NAMESPACE_URL, resource.name).hex[:13].upper()
    return {
        "id": distribution_id,
        "arn": f"arn:aws:cloudfront::{cloud.account_id}:distribution/{distribution_id}",
        "domain_name": f"{distribution_id.lower()}.cloudfront.net",
        "hosted_zone_id": "Z2FDTNDATAQYW2",
    }
