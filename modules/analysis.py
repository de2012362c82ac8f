"""Analysis service: an Express workflow, started for every ReviewSubmitted, that scores the review
with Amazon Comprehend (translating first when Comprehend cannot score the language) and publishes
ReviewAnalysed, or ReviewAnalysisFailed after retries."""

from __future__ import annotations

from constructs import Construct

from modules.common import statement
from modules.event_bus import EventBus
from modules.event_workflow import EventTriggeredWorkflow
from modules.security import Platform

SERVICE = "analysis"
# The source of the events this service publishes (asl/analyse-review.asl.json, the catalogue).
EVENT_SOURCE = f"reviews.{SERVICE}"


class Analysis(Construct):
    """Inputs: ``platform``, ``bus``.
    Defaults: EXPRESS workflow ``asl/analyse-review.asl.json`` started by the rule ``on-review-submitted``
      (the catalogue's ReviewSubmitted consumer), with its DLQ and retries.
    Exposes: ``consumer`` (the :class:`EventTriggeredWorkflow`), ``workflow``, ``rule`` (the EventRule).
    """

    def __init__(self, scope: Construct, id: str, *, platform: Platform, bus: EventBus):
        super().__init__(scope, id)
        self.consumer = EventTriggeredWorkflow(
            self,
            platform=platform,
            bus=bus,
            service=SERVICE,
            rule="on-review-submitted",
            workflow_id="workflow",
            asl="analyse-review",
            workflow_type="EXPRESS",
            substitutions={"EventBusName": bus.bus.name},
            statements=[
                # Comprehend's detect APIs and TranslateText have no resource-level permissions.
                # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncomprehend.html
                statement("ScoreSentiment", ["comprehend:DetectDominantLanguage", "comprehend:DetectSentiment"], ["*"]),
                # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazontranslate.html
                statement("TranslateUnsupportedLanguages", ["translate:TranslateText"], ["*"]),
                bus.put_events_statement(),
            ],
            description="Analyse every submitted review",
        )
        self.workflow = self.consumer.workflow
        self.rule = self.consumer.event_rule
