"""Analysis service: every ReviewSubmitted waits in the analysis queue; a pipe hands batches of them to an Express
workflow that detects languages in one call, scores each language's reviews with one BatchDetectSentiment call
under the environment's rate limit, and publishes one ReviewAnalysed per review (ReviewAnalysisFailed for what
cannot be analysed). A review that fails for a transient reason returns to the queue and is tried again, bounded
by the queue's redrive policy; what is given up waits in the dead-letter queue, under an alarm."""

from __future__ import annotations

from constructs import Construct

from modules.common import statement, table_key_statement
from modules.config import AnalysisSettings
from modules.event_bus import EventBus
from modules.queued_workflow import QueuedWorkflow
from modules.routing import rule_pattern
from modules.rule import EventRule
from modules.security import Platform
from modules.storage import table
from modules.workflow import Workflow

SERVICE = "analysis"
# The source of the events this service publishes (asl/analyse-review.asl.json, the catalogue).
EVENT_SOURCE = f"reviews.{SERVICE}"
RULE = "on-review-submitted"
# The workflow's own limit, under Express's 300 s: the rate wait, Comprehend's retries and PutEvents' fit in it.
EXECUTION_TIMEOUT_SECONDS = 180
# How many one-second waits a language group may spend on the rate limit before its reviews return to the queue.
MAX_RATE_WAITS = 60


class Analysis(Construct):
    """Inputs: ``platform``, ``bus``, ``settings`` (:class:`~modules.config.AnalysisSettings`: batch size and window,
      rate limit, deliveries before the dead-letter queue).
    Defaults: the rule ``on-review-submitted`` (the catalogue's ReviewSubmitted consumer) sends every review to
      the queue ``{prefix}-analysis-reviews`` (see :class:`~modules.queued_workflow.QueuedWorkflow`); the pipe of
      the same name starts the EXPRESS workflow ``asl/analyse-review.asl.json`` with each batch; the rate table
      ``{prefix}-analysis-rate`` counts this second's BatchDetectSentiment calls.
    Exposes: ``workflow``, ``rule`` (the EventRule), ``buffer`` (the QueuedWorkflow: ``queue``,
      ``dead_letter_queue``, ``pipe``), ``rate_table``.
    """

    def __init__(self, scope: Construct, id: str, *, platform: Platform, bus: EventBus, settings: AnalysisSettings):
        super().__init__(scope, id)
        self.rate_table = table(self, "rate", platform=platform, name=platform.name(SERVICE, "rate"), hash_key="limit")
        self.workflow = Workflow(
            self,
            "workflow",
            platform=platform,
            service=SERVICE,
            purpose="analyse-review",
            asl="analyse-review",
            workflow_type="EXPRESS",
            substitutions={
                "EventBusName": bus.bus.name,
                "RateTableName": self.rate_table.name,
                # A DynamoDB Number travels as a string.
                "RateLimit": str(settings.analysis_rate_limit),
                "MaxRateWaits": MAX_RATE_WAITS,
                "MaxReceiveCount": settings.analysis_max_receive_count,
                "TimeoutSeconds": EXECUTION_TIMEOUT_SECONDS,
            },
            statements=[
                # Comprehend's detect APIs and TranslateText have no resource-level permissions.
                # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncomprehend.html
                statement(
                    "ScoreSentiment",
                    ["comprehend:BatchDetectDominantLanguage", "comprehend:BatchDetectSentiment"],
                    ["*"],
                ),
                # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazontranslate.html
                statement("TranslateUnsupportedLanguages", ["translate:TranslateText"], ["*"]),
                statement("CountCallsPerSecond", ["dynamodb:UpdateItem"], [self.rate_table.arn]),
                table_key_statement(platform.key_arn, platform.region),
                bus.put_events_statement(),
            ],
        )
        self.buffer = QueuedWorkflow(
            self,
            "buffer",
            platform=platform,
            service=SERVICE,
            purpose="reviews",
            workflow=self.workflow,
            execution_timeout_seconds=EXECUTION_TIMEOUT_SECONDS,
            batch_size=settings.analysis_batch_size,
            batching_window_seconds=settings.analysis_batching_window_seconds,
            max_receive_count=settings.analysis_max_receive_count,
        )
        self.rule = EventRule(
            self,
            RULE,
            platform=platform,
            service=SERVICE,
            purpose=RULE,
            description="Queue every submitted review for analysis",
            bus=bus.bus,
            pattern=rule_pattern(SERVICE, RULE, negative_case_threshold=None, account_id=platform.account_id),
            target=self.buffer.queue,
            # The pipe drains the queue; only it and the operator may receive the reviews.
            target_readers=[self.buffer.role.arn],
        )
