"""Customer-service service: negative reviews become cases that wait for an agent.

- ``handle-negative-review`` (STANDARD): records the whole case (visible to agents at once), publishes
  CaseOpened, and waits with ``aws-sdk:dynamodb:updateItem.waitForTaskToken``, which writes its task token into
  the case; on timeout escalates (CaseEscalated, a new token) and waits once more; when that wait ends too the
  case expires (CaseExpired), a final state.
- ``record-case`` (EXPRESS, the case desk): emails the support or escalation team about CaseOpened/CaseEscalated
  while the case still waits.
- ``resolve-case`` (EXPRESS, synchronous behind the agents' API route): claims the case with a conditional write,
  returns the token with SendTaskSuccess, emails the reviewer, records the follow-up (SENT or FAILED) and publishes
  CaseResolved or CaseFollowUpFailed; a resolved case whose follow-up failed is sent again.
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
# What an agent sees of an open case, and of a resolved one whose follow-up is not sent yet. The callback token is
# deliberately absent: the index never holds it.
OPEN_CASE_ATTRIBUTES = (
    "reviewId",
    "reviewerName",
    "productId",
    "text",
    "sentiment",
    "sentimentScore",
    "status",
    "escalatedAt",
    "resolvedAt",
    "resolutionNote",
    "followUp",
    "followUpError",
)
# Step Functions' limit on a Standard execution's duration: the case waits, escalated wait included, must fit in it.
# https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
MAX_EXECUTION_SECONDS = 365 * 24 * 3600
# Left for the steps between the waits (records, events, retries).
EXECUTION_MARGIN_SECONDS = 3600
MIN_ESCALATION_SECONDS = 60
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
      ``resolve_workflow``, ``escalation_timeout_seconds`` (the escalated wait: the case timeout again, within the
      one-year execution limit), ``case_rule``, ``desk_rule``, ``user_pool``, ``user_pool_client``.
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

        # An escalated case waits as long again, or what the execution limit leaves when the timeout is very long.
        escalation_seconds = min(
            settings.case_timeout_seconds,
            MAX_EXECUTION_SECONDS - settings.case_timeout_seconds - EXECUTION_MARGIN_SECONDS,
        )
        if escalation_seconds < MIN_ESCALATION_SECONDS:
            raise ValueError(
                f"CustomerService {id}: case_timeout_seconds {settings.case_timeout_seconds} leaves "
                f"{escalation_seconds} s for the escalated wait within Step Functions' one-year execution limit; "
                f"at most {MAX_EXECUTION_SECONDS - EXECUTION_MARGIN_SECONDS - MIN_ESCALATION_SECONDS} is accepted"
            )
        self.escalation_timeout_seconds = escalation_seconds
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
                "EscalationTimeoutSeconds": escalation_seconds,
            },
            statements=[
                statement("RecordCase", ["dynamodb:PutItem", "dynamodb:UpdateItem"], [self.cases_table.arn]),
                table_key,
                bus.put_events_statement(),
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
                statement("ReadCase", ["dynamodb:GetItem"], [self.cases_table.arn]),
                table_key,
                email.send_statement(["case-opened", "case-escalated"]),
            ],
            description="Notify the team of opened and escalated cases",
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
            substitutions={
                "CasesTableName": self.cases_table.name,
                "EventBusName": bus.bus.name,
                "FollowUpTemplateName": email.template_names["follow-up"],
                **email_settings,
            },
            statements=[
                statement("ReadAndCloseCase", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [self.cases_table.arn]),
                table_key,
                # Task tokens are scoped to the state machine that issued them.
                # https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
                statement("ResumeCaseWorkflow", ["states:SendTaskSuccess"], [self.case_workflow.state_machine.arn]),
                # Executions have ARNs of their own, named after their state machine.
                # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
                statement(
                    "CheckCaseWorkflow",
                    ["states:DescribeExecution"],
                    [platform.arn("states", f"execution:{self.case_workflow.state_machine.name}:*")],
                ),
                email.send_statement(["follow-up"]),
                bus.put_events_statement(),
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
