"""Small stacks for the offline tests, written here in Terraform JSON, as cdktf would synthesize them."""

from __future__ import annotations

from typing import Any

REGION = "eu-west-1"


def small_stack(resources: dict[str, Any], **sections: Any) -> dict[str, Any]:
    """A cdk.tf.json with one AWS provider in :data:`REGION`, ``resources`` and any other top-level ``sections``."""
    return {"provider": {"aws": [{"region": REGION}]}, "resource": resources, **sections}
