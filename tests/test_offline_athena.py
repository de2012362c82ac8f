"""offline/athena/: workgroups created from Terraform."""

from __future__ import annotations

from offline.engine.cloud import OfflineCloud
from tests.offline_stacks import small_stack


def test_a_workgroup_keeps_its_result_location_and_encryption():
    workgroup = {
        "name": "test-audit",
        "configuration": {
            "enforce_workgroup_configuration": True,
            "result_configuration": {
                "output_location": "s3://test-results/",
                "encryption_configuration": {"encryption_option": "SSE_S3"},
            },
        },
    }
    with OfflineCloud(small_stack({"aws_athena_workgroup": {"w": workgroup}})) as running:
        found = running.client("athena").get_work_group(WorkGroup="test-audit")["WorkGroup"]
        arn = running.resource("aws_athena_workgroup", "w")["arn"]
    result = found["Configuration"]["ResultConfiguration"]
    assert arn.endswith(":workgroup/test-audit") and result["OutputLocation"] == "s3://test-results/"
