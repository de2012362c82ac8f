"""Customer-service service: negative reviews become cases that wait for an agent.

- ``handle-negative-review`` (STANDARD): claims the case, publishes CaseOpened with
  ``events:putEvents.waitForTaskToken`` and waits; on timeout publishes CaseEscalated (a new token) and
  waits again; once resolved, emails the reviewer a follow-up and publishes CaseResolved.
- ``record-case`` (EXPRESS, the case desk): records CaseOpened/CaseEscalated with the token in the cases
  table and emails the support or escalation team.
- ``resolve-case`` (EXPRESS, synchronous behind the agents' API route): looks the token up by case id
  and calls SendTaskSuccess.
- A Cognito user pool for the agents who call the API.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cognito_user_pool import (
    CognitoUserPool,
    CognitoUserPoolAccountRecoverySetting,
    CognitoUserPoolAccountRecoverySettingRecoveryMechanism,
    CognitoUserPoolAdminCreateUserConfig,
    CognitoUserPoolPasswordPolicy,
    CognitoUserPoolSoftwareTokenMfaConfiguration,
    CognitoUserPoolUserAttributeUpdateSettings,
)
from cdktf_cdktf_provider_aws.cognito_user_pool_client import (
    CognitoUserPoolClient,
    CognitoUserPoolClientTokenValidityUnits,
)
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTableGlobalSecondaryIndex
from constructs import Construct

from modules.common import statement, table_key_statement
from modules.config import CustomerServiceSettings, RoutingSettings
from modules.email import Email
from modules.event_bus import EventBus
from modules.event_workflow import EventTriggeredWorkflow
from modules.security import Platform
from modules.storage import table
from modules.workflow import Workflow

OPEN_CASES_INDEX = "open-cases"
# What an agent sees of an open case. The callback token is deliberately absent: the index never holds it.
OPEN_CASE_ATTRIBUTES = ("reviewId", "reviewerName", "productId", "text", "sentiment", "sentimentScore", "status")
SERVICE = "customerservice"
# The source of the events this service publishes (asl/handle-negative-review.asl.json, the catalogue).
EVENT_SOURCE = f"reviews.{SERVICE}"


class CustomerService(Construct):
    """Inputs: ``platform``, ``bus``, ``email``, ``routing`` (which analysed reviews are cases), ``settings``
      (:class:`~modules.config.CustomerServiceSettings`: the team's addresses, the escalation timeout).
    Defaults: cases table on demand with point-in-time recovery and the platform key; an ``open-cases``
      index (queue, openedAt) projecting no token; a user pool where only admins create agents, 12+
      character passwords, optional TOTP MFA; a public client (no secret) for the agent console.
    Exposes: ``cases_table``, ``open_cases_index``, ``case_workflow``, ``desk_workflow``,
      ``resolve_workflow``, ``case_rule``, ``desk_rule``, ``user_pool``, ``user_pool_client``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform: Platform,
        bus: EventBus,
        email: Email,
        routing: RoutingSettings,
        settings: CustomerServiceSettings,
    ):
        super().__init__(scope, id)
        self.open_cases_index = OPEN_CASES_INDEX
        self.cases_table = table(
            self,
            "cases",
            platform=platform,
            name=platform.name(SERVICE, "cases"),
            hash_key="caseId",
            key_attributes=["queue", "openedAt"],
            # Sparse: only cases with a queue attribute (open or escalated) are in the index.
            indexes=[
                DynamodbTableGlobalSecondaryIndex(
                    name=OPEN_CASES_INDEX,
                    hash_key="queue",
                    range_key="openedAt",
                    projection_type="INCLUDE",
                    non_key_attributes=list(OPEN_CASE_ATTRIBUTES),
                )
            ],
        )
        table_key = table_key_statement(platform.key_arn, platform.region)
        email_settings = {
            "SenderEmail": email.sender_email,
            "ConfigurationSetName": email.configuration_set.configuration_set_name,
        }

        self.case_consumer = EventTriggeredWorkflow(
            self,
            platform=platform,
            bus=bus,
            service=SERVICE,
            rule="on-negative-review",
            workflow_id="case-workflow",
            asl="handle-negative-review",
            workflow_type="STANDARD",
            substitutions={
                "EventBusName": bus.bus.name,
                "CasesTableName": self.cases_table.name,
                "CaseTimeoutSeconds": settings.case_timeout_seconds,
                "FollowUpTemplateName": email.template_names["follow-up"],
                **email_settings,
            },
            statements=[
                statement("ClaimCase", ["dynamodb:PutItem"], [self.cases_table.arn]),
                table_key,
                bus.put_events_statement(),
                email.send_statement(["follow-up"]),
            ],
            description="Open a customer-service case for every sufficiently negative review",
            routing=routing,
        )
        self.case_workflow = self.case_consumer.workflow
        self.case_rule = self.case_consumer.event_rule
        self.desk_consumer = EventTriggeredWorkflow(
            self,
            platform=platform,
            bus=bus,
            service=SERVICE,
            rule="on-case-event",
            workflow_id="desk-workflow",
            asl="record-case",
            workflow_type="EXPRESS",
            substitutions={
                "CasesTableName": self.cases_table.name,
                "SupportEmail": settings.support_email,
                "EscalationEmail": settings.escalation_email,
                "CaseOpenedTemplateName": email.template_names["case-opened"],
                "CaseEscalatedTemplateName": email.template_names["case-escalated"],
                **email_settings,
            },
            statements=[
                statement("RecordCase", ["dynamodb:UpdateItem"], [self.cases_table.arn]),
                table_key,
                email.send_statement(["case-opened", "case-escalated"]),
            ],
            description="Record opened and escalated cases and notify the team",
        )
        self.desk_workflow = self.desk_consumer.workflow
        self.desk_rule = self.desk_consumer.event_rule
        self.resolve_workflow = Workflow(
            self,
            "resolve-workflow",
            platform=platform,
            service=SERVICE,
            purpose="resolve-case",
            asl="resolve-case",
            workflow_type="EXPRESS",
            substitutions={"CasesTableName": self.cases_table.name},
            statements=[
                statement("ReadAndCloseCase", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [self.cases_table.arn]),
                table_key,
                # Task tokens are scoped to the state machine that issued them.
                # https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
                statement("ResumeCaseWorkflow", ["states:SendTaskSuccess"], [self.case_workflow.state_machine.arn]),
            ],
        )
        self.user_pool = CognitoUserPool(
            self,
            "agents",
            name=platform.name(SERVICE, "agents"),
            admin_create_user_config=CognitoUserPoolAdminCreateUserConfig(allow_admin_create_user_only=True),
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            mfa_configuration="OPTIONAL",
            software_token_mfa_configuration=CognitoUserPoolSoftwareTokenMfaConfiguration(enabled=True),
            password_policy=CognitoUserPoolPasswordPolicy(
                minimum_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_numbers=True,
                require_symbols=True,
                temporary_password_validity_days=3,
            ),
            account_recovery_setting=CognitoUserPoolAccountRecoverySetting(
                recovery_mechanism=[
                    CognitoUserPoolAccountRecoverySettingRecoveryMechanism(name="verified_email", priority=1)
                ]
            ),
            deletion_protection="ACTIVE",
            # An unverified new address never takes effect: the old one stays (and stays the verified email claim)
            # until the agent proves the new one. https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-email-phone-verification.html
            user_attribute_update_settings=CognitoUserPoolUserAttributeUpdateSettings(
                attributes_require_verification_before_update=["email"]
            ),
        )
        self.user_pool_client = CognitoUserPoolClient(
            self,
            "console",
            name=platform.name(SERVICE, "console"),
            user_pool_id=self.user_pool.id,
            generate_secret=False,
            # The console is a static page: it signs in with SRP or a password over TLS, never with a secret.
            explicit_auth_flows=["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            prevent_user_existence_errors="ENABLED",
            # What the console's tokens say of an agent (the resolution records the verified email), and all an
            # agent may change through it: the display name, nothing an authorization reads.
            read_attributes=["email", "email_verified", "name"],
            write_attributes=["name"],
            enable_token_revocation=True,
            id_token_validity=60,
            access_token_validity=60,
            refresh_token_validity=12,
            token_validity_units=[
                CognitoUserPoolClientTokenValidityUnits(
                    id_token="minutes", access_token="minutes", refresh_token="hours"
                )
            ],
        )
