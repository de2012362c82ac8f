"""offline/engine/terraform.py: reading a synthesized stack, ordering its resources and resolving its interpolations."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from offline.engine.terraform import Reference, Stack, TerraformError, references, resolve

ATTRIBUTES = {
    ("aws_sqs_queue", "dlq"): {
        "arn": "arn:aws:sqs:eu-west-1:123456789012:dlq",
        "url": "https://sqs/dlq",
        "tags": ["a"],
    },
    ("aws_cloudwatch_event_bus", "bus"): {
        "name": "reviews-bus",
        "arn": "arn:aws:events:eu-west-1:123456789012:event-bus/reviews-bus",
    },
    ("data.aws_caller_identity", "account"): {"account_id": "123456789012"},
    ("data.aws_partition", "partition"): {"partition": "aws"},
}


def stack(resources: dict[str, dict[str, Any]], data: dict[str, Any] | None = None) -> Stack:
    return Stack({"provider": {"aws": [{"region": "eu-west-1"}]}, "resource": resources, "data": data or {}})


def test_a_string_may_hold_several_references():
    found = references("${aws_sqs_queue.dlq.arn} on ${aws_cloudwatch_event_bus.bus.name}")
    assert found == [
        Reference("aws_sqs_queue", "dlq", ("arn",)),
        Reference("aws_cloudwatch_event_bus", "bus", ("name",)),
    ]


def test_references_are_found_at_any_depth_of_lists_and_maps():
    found = references({"a": [{"b": "${aws_sqs_queue.dlq.url}"}], "c": 3})
    assert [str(reference) for reference in found] == ["aws_sqs_queue.dlq.url"]


def test_data_source_references_name_their_data_type():
    [found] = references("arn:${data.aws_partition.partition.partition}:iam::")
    assert found.address == ("data.aws_partition", "partition")


def test_references_inside_json_text_are_resolved_and_the_text_stays_json():
    policy = json.dumps(
        {"Resource": "${aws_sqs_queue.dlq.arn}", "Account": "${data.aws_caller_identity.account.account_id}"}
    )
    assert json.loads(resolve(policy, ATTRIBUTES)) == {
        "Resource": "arn:aws:sqs:eu-west-1:123456789012:dlq",
        "Account": "123456789012",
    }


def test_several_references_in_one_string_are_all_resolved():
    text = "arn:${data.aws_partition.partition.partition}:iam::${data.aws_caller_identity.account.account_id}:root"
    assert resolve(text, ATTRIBUTES) == "arn:aws:iam::123456789012:root"


def test_a_string_that_is_one_interpolation_yields_the_value_itself():
    assert resolve("${aws_sqs_queue.dlq.tags}", ATTRIBUTES) == ["a"]


def test_an_index_after_an_attribute_selects_an_item():
    assert resolve("${aws_sqs_queue.dlq.tags[0]}", ATTRIBUTES) == "a"


def test_a_doubled_dollar_is_a_literal_interpolation_start():
    assert resolve("s3://b/source=$${source}/", ATTRIBUTES) == "s3://b/source=${source}/"


def test_functions_cdktf_writes_are_evaluated():
    assert resolve("${sha1(aws_cloudwatch_event_bus.bus.name)}", ATTRIBUTES) == hashlib.sha1(b"reviews-bus").hexdigest()


def test_an_unknown_function_is_an_error_naming_it():
    with pytest.raises(TerraformError, match=r"templatefile\(\)"):
        resolve('${templatefile("x", {})}', ATTRIBUTES)


def test_a_reference_to_an_unknown_resource_is_an_error_naming_it():
    with pytest.raises(TerraformError, match=r"aws_sqs_queue\.missing"):
        resolve("${aws_sqs_queue.missing.arn}", ATTRIBUTES)


def test_a_reference_to_an_unknown_attribute_is_an_error_naming_it():
    with pytest.raises(TerraformError, match=r"aws_sqs_queue\.dlq\.name"):
        resolve("${aws_sqs_queue.dlq.name}", ATTRIBUTES)


def test_variables_and_locals_are_errors_naming_them():
    with pytest.raises(TerraformError, match="var"):
        resolve("${var.region}", ATTRIBUTES)


def test_template_directives_are_errors():
    with pytest.raises(TerraformError, match="directive"):
        resolve("%{ if true }x%{ endif }", ATTRIBUTES)


def test_a_list_cannot_be_interpolated_into_text():
    with pytest.raises(TerraformError, match="list"):
        resolve("tags: ${aws_sqs_queue.dlq.tags}", ATTRIBUTES)


def test_a_stack_referencing_an_unknown_resource_is_an_error_naming_both():
    with pytest.raises(TerraformError, match=r"aws_sqs_queue_policy\.p.*aws_sqs_queue\.gone"):
        stack({"aws_sqs_queue_policy": {"p": {"queue_url": "${aws_sqs_queue.gone.url}", "policy": "{}"}}})


def test_count_and_for_each_are_errors_naming_the_resource():
    with pytest.raises(TerraformError, match=r"aws_sqs_queue\.many"):
        stack({"aws_sqs_queue": {"many": {"name": "q", "count": 2}}})


def test_a_resource_comes_after_every_resource_it_references():
    order = stack(
        {
            "aws_sqs_queue_policy": {"p": {"queue_url": "${aws_sqs_queue.q.url}"}},
            "aws_sqs_queue": {"q": {"name": "${aws_cloudwatch_event_bus.b.name}"}},
            "aws_cloudwatch_event_bus": {"b": {"name": "bus"}},
        }
    ).in_dependency_order()
    assert [str(resource) for resource in order] == [
        "aws_cloudwatch_event_bus.b",
        "aws_sqs_queue.q",
        "aws_sqs_queue_policy.p",
    ]


def test_depends_on_orders_resources_that_do_not_reference_each_other():
    order = stack(
        {
            "aws_sqs_queue": {"a": {"name": "a", "depends_on": ["aws_sqs_queue.b"]}, "b": {"name": "b"}},
        }
    ).in_dependency_order()
    assert [resource.name for resource in order] == ["b", "a"]


def test_a_dependency_cycle_is_an_error_naming_its_members():
    cyclic = stack(
        {"aws_sqs_queue": {"a": {"name": "${aws_sqs_queue.b.name}"}, "b": {"name": "${aws_sqs_queue.a.name}"}}}
    )
    with pytest.raises(TerraformError, match=r"cycle.*aws_sqs_queue\.a"):
        cyclic.waves()


def test_the_dev_stack_references_only_resources_it_holds(dev):
    assert Stack(dev).resources


def test_in_the_dev_stack_no_resource_depends_on_another_of_its_wave(dev):
    dev_stack = Stack(dev)
    for wave in dev_stack.waves():
        members = {resource.address for resource in wave}
        assert not any(dev_stack.dependencies(resource) & members for resource in wave)


def test_the_dev_stack_creates_its_event_bus_before_any_rule_on_it(dev):
    order = [resource.type for resource in Stack(dev).in_dependency_order()]
    assert order.index("aws_cloudwatch_event_bus") < order.index("aws_cloudwatch_event_rule")
