"""Building block: a rule on the bus that starts a workflow, as aws-solutions-constructs'
``aws-eventbridge-stepfunctions`` pairs them. Every consumer of an event uses it, so the pattern always comes from
the routing catalogue and every such pair gets the same role, dead-letter queue, retry policy, logging and tracing.

It is a plain object, not a construct: the rule and the workflow keep the construct ids they have in their service
(``<service>/<workflow_id>``, ``<service>/<rule>``), hence their Terraform addresses, so a deployed table or queue
is never replaced by a refactor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from constructs import Construct

from modules.config import RoutingSettings
from modules.event_bus import EventBus
from modules.routing import rule_pattern
from modules.rule import EventRule
from modules.security import Platform
from modules.workflow import Workflow


class EventTriggeredWorkflow:
    """The state machine ``asl/<asl>.asl.json`` (see :class:`~modules.workflow.Workflow`), started by the rule
    ``{prefix}-{service}-{rule}`` for exactly the events whose catalogue entry names ``service``/``rule`` as a
    consumer (see :mod:`modules.routing`).

    Inputs: ``scope`` (the service construct), ``platform``, ``bus``, ``service``, ``rule`` (the rule's purpose and
      construct id), ``workflow_id`` (the workflow's construct id), ``asl``, ``workflow_type``, ``substitutions``,
      ``statements``, ``description`` (of the rule), ``routing`` (only for routes whose filter needs its settings).
    Exposes: ``workflow`` and ``event_rule`` (the two building blocks), and their parts: ``state_machine``,
      ``role``, ``log_group``, ``rule``, ``target``, ``rule_role``, ``dead_letter_queue``, ``pattern``.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        platform: Platform,
        bus: EventBus,
        service: str,
        rule: str,
        workflow_id: str,
        asl: str,
        workflow_type: Literal["STANDARD", "EXPRESS"],
        substitutions: Mapping[str, Any],
        statements: Sequence[Mapping[str, Any]],
        description: str,
        routing: RoutingSettings | None = None,
    ):
        self.workflow = Workflow(
            scope,
            workflow_id,
            platform=platform,
            service=service,
            purpose=asl,
            asl=asl,
            workflow_type=workflow_type,
            substitutions=substitutions,
            statements=statements,
        )
        self.event_rule = EventRule(
            scope,
            rule,
            platform=platform,
            service=service,
            purpose=rule,
            description=description,
            bus=bus.bus,
            pattern=rule_pattern(
                service,
                rule,
                negative_case_threshold=routing.negative_case_threshold if routing is not None else None,
                account_id=platform.account_id,
            ),
            target=self.workflow.state_machine,
        )
        self.state_machine = self.workflow.state_machine
        self.role = self.workflow.role
        self.log_group = self.workflow.log_group
        self.rule = self.event_rule.rule
        self.target = self.event_rule.target
        self.rule_role = self.event_rule.role
        self.dead_letter_queue = self.event_rule.dead_letter_queue
        self.pattern = self.event_rule.pattern
