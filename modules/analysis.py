"""Analysis service: an Express workflow, started for every ReviewSubmitted, that scores the review
with Amazon Comprehend (translating first when Comprehend cannot score the language) and publishes
ReviewAnalysed, or ReviewAnalysisFailed after retries."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_event_bus import CloudwatchEventBus
from constructs import Construct

from modules.common import statement
from modules.rule import EventRule
from modules.security import Platform
from modules.workflow import Workflow

REVIEW_SUBMITTED = {"source": ["reviews.frontend"], "detail-type": ["ReviewSubmitted"]}


class Analysis(Construct):
    """Inputs: ``platform``, ``bus``.
    Defaults: EXPRESS workflow ``asl/analyse-review.asl.json``; a rule on ReviewSubmitted with DLQ and retries.
    Exposes: ``workflow``, ``rule``.
    """

    def __init__(self, scope: Construct, id: str, *, platform: Platform, bus: CloudwatchEventBus):
        super().__init__(scope, id)
        self.workflow = Workflow(
            self,
            "workflow",
            platform=platform,
            service="analysis",
            purpose="analyse-review",
            asl="analyse-review",
            workflow_type="EXPRESS",
            substitutions={"EventBusName": bus.name},
            statements=[
                # Comprehend's detect APIs and TranslateText have no resource-level permissions.
                # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncomprehend.html
                statement("ScoreSentiment", ["comprehend:DetectDominantLanguage", "comprehend:DetectSentiment"], ["*"]),
                # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazontranslate.html
                statement("TranslateUnsupportedLanguages", ["translate:TranslateText"], ["*"]),
                statement("PublishEvents", ["events:PutEvents"], [bus.arn]),
            ],
        )
        self.rule = EventRule(
            self,
            "on-review-submitted",
            platform=platform,
            service="analysis",
            purpose="on-review-submitted",
            description="Analyse every submitted review",
            bus_name=bus.name,
            pattern=REVIEW_SUBMITTED,
            target_kind="states",
            target_arn=self.workflow.state_machine.arn,
        )
