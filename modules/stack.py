"""One environment of the review system: the provider, the state backend and the services, wired
through each construct's public attributes. No resource is created here directly."""

from __future__ import annotations

from dataclasses import replace

from cdktf import LocalBackend, S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from cdktf_cdktf_provider_aws.sfn_state_machine import SfnStateMachine
from constructs import Construct

from modules.analysis import Analysis
from modules.audit import Audit
from modules.common import event_catalogue
from modules.config import EnvironmentConfig
from modules.customer_service import CustomerService
from modules.email import Email
from modules.event_bus import EventBus
from modules.frontend_api import FrontendApi
from modules.operations import Operations
from modules.queued_workflow import QueuedWorkflow
from modules.recovery import Recovery
from modules.rule import EventRule
from modules.security import Platform, Security
from modules.thank_you import ThankYou
from modules.web import Website
from modules.workflow import Workflow


class ReviewsStack(TerraformStack):
    """Inputs: a validated :class:`EnvironmentConfig`. Exposes every service construct as an attribute."""

    def __init__(self, scope: Construct, config: EnvironmentConfig):
        super().__init__(scope, config.stack_name)
        self.config = config
        AwsProvider(
            self,
            "aws",
            region=config.region,
            default_tags=[AwsProviderDefaultTags(tags=self.tags())],
            # A plan or apply with another account's credentials stops before it changes anything.
            allowed_account_ids=[config.account_id] if config.account_id else None,
        )
        if config.state_backend is None:
            LocalBackend(self, path=f"terraform.{config.stack_name}.tfstate")
        else:
            backend = S3Backend(
                self,
                bucket=config.state_backend.bucket,
                key=config.state_backend.key,
                region=config.state_backend.region,
            )
            # No `encrypt`: with it and no kms_key_id, Terraform writes state with SSE-S3, overriding the state
            # bucket's default encryption with its customer key (see delivery/README.md).
            # S3-native state locking (Terraform >= 1.10); the bindings predate the argument.
            backend.add_override("use_lockfile", True)

        identity = DataAwsCallerIdentity(self, "account")
        partition = DataAwsPartition(self, "partition")
        security = Security(
            self,
            "security",
            prefix=config.prefix,
            account_id=identity.account_id,
            region=config.region,
            partition=partition.partition,
        )
        self.security = security
        platform = Platform(
            account_id=identity.account_id,
            region=config.region,
            partition=partition.partition,
            prefix=config.prefix,
            key_arn=security.key.arn,
            log_retention_days=config.log_retention_days,
            operator_role_arn=security.operator_role.arn,
        )
        # The recovery's redrive reads every dead-letter queue; the queues' policies are written before it exists.
        platform = replace(platform, dead_letter_reader_arns=(Recovery.redrive_role_arn(platform),))
        self.platform = platform
        self.events = EventBus(self, "events", platform=platform, settings=config.events)
        bus = self.events
        self.email = Email(
            self,
            "email",
            platform=platform,
            settings=config.email,
        )
        self.analysis = Analysis(self, "analysis", platform=platform, bus=bus, settings=config.analysis)
        self.thank_you = ThankYou(
            self,
            "thank-you",
            platform=platform,
            bus=bus,
            email=self.email,
            routing=config.routing,
            settings=config.thank_you,
        )
        self.customer_service = CustomerService(
            self,
            "customer-service",
            platform=platform,
            bus=bus,
            email=self.email,
            routing=config.routing,
            settings=config.customer_service,
        )
        self.audit = Audit(
            self,
            "audit",
            platform=platform,
            bus=bus,
            settings=config.audit,
            sources=sorted({entry["source"] for entry in event_catalogue()}),
        )
        cases = self.customer_service
        self.website = Website(
            self, "website", platform=platform, user_pool=cases.user_pool, user_pool_client=cases.user_pool_client
        )
        self.frontend = FrontendApi(
            self,
            "frontend",
            platform=platform,
            bus=bus,
            settings=config.frontend,
            site_origin=self.website.origin,
            resolve_state_machine=cases.resolve_workflow.state_machine,
            cases_table=cases.cases_table,
            open_cases_index=cases.open_cases_index,
            user_pool=cases.user_pool,
            user_pool_client=cases.user_pool_client,
        )
        # config.json tells the pages where the API is: written once the API exists.
        self.website.publish_config(api_url=self.frontend.url)
        rules = [node for node in self.node.find_all() if isinstance(node, EventRule)]
        # Every consumer workflow's dead letters, and the emails deferred by the thank-you, are delivered again.
        self.recovery = Recovery(
            self,
            "recovery",
            platform=platform,
            bus=bus,
            rules=[rule for rule in rules if isinstance(rule.destination, SfnStateMachine)],
            retry_queues=[self.thank_you.retry],
        )
        # Last: it watches every workflow and rule the services above created.
        self.operations = Operations(
            self,
            "operations",
            platform=platform,
            settings=config.operations,
            api=self.frontend.rest_api,
            stage=self.frontend.stage,
            delivery_stream=self.audit.delivery_stream,
            workflows=[node for node in self.node.find_all() if isinstance(node, Workflow)],
            rules=rules,
            recovery=self.recovery,
            queues=[node for node in self.node.find_all() if isinstance(node, QueuedWorkflow)],
        )

        TerraformOutput(self, "api_url", value=self.frontend.url)
        TerraformOutput(self, "site_url", value=self.website.url)
        TerraformOutput(self, "event_bus_name", value=bus.bus.name)
        TerraformOutput(self, "agents_user_pool_id", value=self.customer_service.user_pool.id)
        TerraformOutput(self, "agents_client_id", value=self.customer_service.user_pool_client.id)

    def tags(self) -> dict[str, str]:
        """The one place tags are merged: project defaults first, the environment's own tags win."""
        return {"project": "reviews", "environment": self.config.name, "managed-by": "cdktf", **self.config.tags}
