"""modules/event_workflow.py alone: an EventTriggeredWorkflow in a bare service scope, on a bare bus. The parts'
own defaults are tested in test_workflow.py and test_rule.py; here, only how this block puts them together."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformStack
from constructs import Construct

from modules.common import ASL_DIR, load_json, placeholders
from modules.config import EventBusSettings, RoutingSettings
from modules.event_bus import EventBus
from modules.event_workflow import EventTriggeredWorkflow
from modules.routing import RoutingError, rule_pattern
from modules.rule import EventRule
from modules.workflow import Workflow
from tests.tf import bare_stack, decoded, only, ref, sample_platform, synth

PLATFORM = sample_platform()
SERVICE, RULE, ASL = "thankyou", "on-review-analysed", "send-thank-you"
THRESHOLD = 0.55


def sample_substitutions(asl: str) -> dict[str, str]:
    """A value for every placeholder of the ASL file: the block passes them through to the Workflow."""
    return {name: f"sample-{name}" for name in placeholders(load_json(ASL_DIR / f"{asl}.asl.json"))}


@pytest.fixture
def stack() -> TerraformStack:
    return bare_stack()


def _consumer(stack: TerraformStack, **overrides: Any) -> tuple[Construct, EventBus, EventTriggeredWorkflow]:
    bus = EventBus(stack, "events", platform=PLATFORM, settings=EventBusSettings())
    settings: dict[str, Any] = {
        "platform": PLATFORM,
        "bus": bus,
        "service": SERVICE,
        "rule": RULE,
        "workflow_id": "workflow",
        "asl": ASL,
        "workflow_type": "EXPRESS",
        "substitutions": sample_substitutions(ASL),
        "statements": [],
        "description": "Thank the reviewer",
        "routing": RoutingSettings(negative_case_threshold=THRESHOLD),
        **overrides,
    }
    scope = Construct(stack, settings["service"])
    return scope, bus, EventTriggeredWorkflow(scope, **settings)


def test_the_workflow_and_the_rule_keep_their_construct_ids_in_the_given_scope(stack: TerraformStack) -> None:
    scope, _, made = _consumer(stack)
    assert scope.node.find_child("workflow") is made.workflow
    assert scope.node.find_child(RULE) is made.event_rule
    assert sorted(child.node.id for child in scope.node.children) == sorted(["workflow", RULE])
    assert isinstance(made.workflow, Workflow)
    assert isinstance(made.event_rule, EventRule)


def test_terraform_addresses_are_those_of_the_service_scope_not_of_a_wrapper(stack: TerraformStack) -> None:
    _, _, made = _consumer(stack)
    assert stack.get_logical_id(made.state_machine).startswith(f"{SERVICE}_workflow_state-machine_")
    assert stack.get_logical_id(made.rule).startswith(f"{SERVICE}_{RULE}_rule_")


def test_the_pattern_is_the_routing_catalogues_pattern_of_its_service_and_rule(stack: TerraformStack) -> None:
    _, _, made = _consumer(stack)
    expected = rule_pattern(SERVICE, RULE, negative_case_threshold=THRESHOLD, account_id=PLATFORM.account_id)
    assert made.pattern == expected
    _, rule = only(synth(stack), "aws_cloudwatch_event_rule", RULE)
    assert decoded(rule, "event_pattern") == expected


def test_the_rule_listens_on_the_given_bus_and_starts_the_workflows_state_machine(stack: TerraformStack) -> None:
    _, bus, made = _consumer(stack)
    synthesized = synth(stack)
    _, rule = only(synthesized, "aws_cloudwatch_event_rule", RULE)
    _, target = only(synthesized, "aws_cloudwatch_event_target", RULE)
    assert rule["event_bus_name"] == ref("aws_cloudwatch_event_bus", stack.get_logical_id(bus.bus), "name")
    assert target["arn"] == ref("aws_sfn_state_machine", stack.get_logical_id(made.state_machine), "arn")


def test_the_rule_is_named_after_the_rule_and_the_state_machine_after_the_asl(stack: TerraformStack) -> None:
    _, _, made = _consumer(stack, workflow_type="STANDARD")
    synthesized = synth(stack)
    _, rule = only(synthesized, "aws_cloudwatch_event_rule", RULE)
    _, machine = only(synthesized, "aws_sfn_state_machine", "workflow")
    assert (rule["name"], rule["description"]) == (f"reviews-test-{SERVICE}-{RULE}", "Thank the reviewer")
    assert (machine["name"], machine["type"]) == (f"reviews-test-{SERVICE}-{ASL}", "STANDARD")
    assert made.workflow.asl == ASL


def test_every_part_of_both_blocks_is_exposed(stack: TerraformStack) -> None:
    _, _, made = _consumer(stack)
    assert made.state_machine is made.workflow.state_machine
    assert made.role is made.workflow.role
    assert made.log_group is made.workflow.log_group
    assert made.rule is made.event_rule.rule
    assert made.target is made.event_rule.target
    assert made.rule_role is made.event_rule.role
    assert made.dead_letter_queue is made.event_rule.dead_letter_queue
    assert made.pattern is made.event_rule.pattern


def _analysis(stack: TerraformStack) -> EventTriggeredWorkflow:
    """The analysis consumer, as modules/analysis.py builds it in the scope ``analysis``."""
    _, _, made = _consumer(
        stack,
        service="analysis",
        rule="on-review-submitted",
        asl="analyse-review",
        substitutions=sample_substitutions("analyse-review"),
        routing=None,
    )
    return made


def test_a_route_without_a_filter_needs_no_threshold(stack: TerraformStack) -> None:
    assert _analysis(stack).pattern == {"source": ["reviews.frontend"], "detail-type": ["ReviewSubmitted"]}


def test_the_analysis_consumer_has_the_terraform_addresses_of_the_stack_snapshot(stack: TerraformStack) -> None:
    made = _analysis(stack)
    # The logical ids in tests/__snapshots__/test_stack.ambr: a deployed machine or rule is not replaced.
    assert stack.get_logical_id(made.state_machine) == "analysis_workflow_state-machine_E2764BBC"
    assert stack.get_logical_id(made.rule) == "analysis_on-review-submitted_rule_D2D334F0"


# ------------------------------------------------------------------------------------------ input validation


def test_a_rule_the_catalogue_does_not_route_to_is_rejected(stack: TerraformStack) -> None:
    with pytest.raises(RoutingError, match=f"names the consumer {SERVICE}/on-something-else"):
        _consumer(stack, rule="on-something-else")


def test_a_filtered_route_without_its_threshold_is_rejected(stack: TerraformStack) -> None:
    with pytest.raises(RoutingError, match="needs negative_case_threshold"):
        _consumer(stack, routing=None)
