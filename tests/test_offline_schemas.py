"""offline/schemas/: the schema registry moto lacks, and every event put on a bus validated against it."""

from __future__ import annotations

import json

import pytest

from offline.engine.cloud import OfflineCloud
from offline.engine.terraform import TerraformError
from offline.schemas.validation import SchemaRegistry
from tests.offline_stacks import small_stack

SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "object", "required": ["reviewId"]}},
}


def envelope(detail: dict, detail_type: str = "ReviewSubmitted") -> dict:
    return {"id": "e-1", "source": "reviews.test", "detail-type": detail_type, "detail": detail}


def test_an_event_that_matches_its_schema_is_no_violation():
    registry = SchemaRegistry()
    registry.register("reviews.test@ReviewSubmitted", SCHEMA)
    registry.validate(envelope({"reviewId": "r"}))
    assert registry.violations == []


def test_an_event_its_schema_rejects_is_a_violation_naming_where():
    registry = SchemaRegistry()
    registry.register("reviews.test@ReviewSubmitted", SCHEMA)
    registry.validate(envelope({}))
    [violation] = registry.violations
    assert violation.schema == "reviews.test@ReviewSubmitted" and violation.errors[0].startswith("detail:")


def test_an_invalid_schema_is_refused_when_registered():
    with pytest.raises(Exception, match="is not valid"):
        SchemaRegistry().register("reviews.test@X", {"type": "no-such-type"})


def test_a_schema_resource_is_registered_under_its_name():
    document = small_stack(
        {
            "aws_schemas_registry": {"r": {"name": "test-registry"}},
            "aws_schemas_schema": {
                "s": {
                    "name": "reviews.test@ReviewSubmitted",
                    "registry_name": "${aws_schemas_registry.r.name}",
                    "type": "JSONSchemaDraft4",
                    "content": json.dumps(SCHEMA),
                }
            },
        }
    )
    with OfflineCloud(document) as running:
        assert running.schemas == {"reviews.test@ReviewSubmitted": SCHEMA}
        assert running.resource("aws_schemas_schema", "s")["arn"].endswith(
            ":schema/test-registry/reviews.test@ReviewSubmitted"
        )


def test_a_schema_of_another_type_is_refused_by_name():
    document = small_stack(
        {"aws_schemas_schema": {"s": {"name": "x", "registry_name": "r", "type": "OpenApi3", "content": "{}"}}}
    )
    with pytest.raises(TerraformError, match="OpenApi3"), OfflineCloud(document):
        pass
