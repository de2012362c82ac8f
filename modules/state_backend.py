"""Delivery bootstrap: the S3 bucket that holds every environment's Terraform state, and the GitHub OIDC
roles the workflows in ``.github/workflows/`` assume to plan and apply.

A stack of its own (``reviews-state``) with a local backend, applied once by hand before the environment
stacks can use their S3 backend (see ``delivery/README.md``). Settings: :class:`DeliveryConfig`, parsed and
checked by :mod:`modules.delivery_settings` (no bindings there, so a typo is reported before they load); every
one has a default, so a newcomer synthesizes with none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cdktf import LocalBackend, TerraformOutput, TerraformResourceLifecycle, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_openid_connect_provider import DataAwsIamOpenidConnectProvider
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from modules import checks
from modules.common import policy_document, statement
from modules.delivery_settings import ACCESS_LOG_SUFFIX, DeliveryConfig
from modules.storage import access_log_bucket, customer_key, lifecycle_rule, secure_bucket

# Physical names of this stack's own resources: f"{DELIVERY_PREFIX}-{service}-{purpose}". No environment may
# be called "delivery" (delivery_settings.RESERVED_ENVIRONMENTS), so the apply role's f"reviews-{env}-*" scope never covers them.
DELIVERY_PREFIX = "reviews-delivery"

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# configure-aws-credentials asks GitHub for a token with this audience.
# https://github.com/aws-actions/configure-aws-credentials#oidc
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"

# Services of the environment stacks whose ARNs carry the resource's name, so the apply role's writes
# are limited to names starting f"reviews-{env}-" (log groups /aws/vendedlogs/states/reviews-dev-...
# and event rules rule/<bus>/reviews-dev-... included, hence the leading wildcard).
# https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
NAMED_SERVICES = (
    "athena",
    "cloudwatch",
    "dynamodb",
    "events",
    "firehose",
    "glue",
    "logs",
    "scheduler",
    "pipes",
    "schemas",
    "sns",
    "sqs",
    "states",
    "wafv2",
)
# Services whose ARNs carry a generated id (REST APIs, user pools) or an address (SES identities), so no
# name pattern can scope them; they are limited to the deployment regions instead.
IDENTIFIED_SERVICES = ("apigateway", "cognito-idp", "ses")
# CloudFront is global: its API, and the delivery of its access logs, answer in us-east-1 only.
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html
EDGE_SERVICES = ("cloudfront",)
EDGE_REGION = "us-east-1"
# Managing the environments' KMS keys: everything except using a key to read data, which goes through
# the services below only (kms:ViaService). https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html
KMS_MANAGEMENT_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateKey",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKeyRotation",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
KMS_USE_ACTIONS = ("kms:CreateGrant", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")
# Deployment vended logs take only "*". https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
LOG_DELIVERY_ACTIONS = (
    "logs:CreateDelivery",
    "logs:CreateLogDelivery",
    "logs:DeleteDelivery",
    "logs:DeleteLogDelivery",
    "logs:DeleteResourcePolicy",
    "logs:GetDelivery",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateDeliveryConfiguration",
    "logs:UpdateLogDelivery",
)
# The services the environment stacks' roles are made for; the apply role may pass roles to these only.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
PASS_ROLE_SERVICES = (
    "apigateway.amazonaws.com",
    "events.amazonaws.com",
    "firehose.amazonaws.com",
    "states.amazonaws.com",
)
ROLE_ACTIONS = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRolePolicies",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)
ATTACH_ACTIONS = ("iam:AttachRolePolicy", "iam:DetachRolePolicy")
# Terraform's S3 backend: state objects are read and written whole; with use_lockfile the lock is an
# object beside the state, "<key>.tflock", created and deleted by every plan and apply.
# https://developer.hashicorp.com/terraform/language/backend/s3#permissions-required
STATE_OBJECTS = "*.tfstate"
LOCK_OBJECTS = "*.tfstate.tflock"
STATE_KEY_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")


class StateBucket(Construct):
    """The bucket of every environment's Terraform state, with its own KMS key and access logs.

    Inputs: ``name``, ``account_id``, ``partition``, ``noncurrent_version_days``, ``access_log_days``.
    Defaults: versioning; SSE-KMS with a customer key rotated yearly (bucket keys on); ACLs disabled; public
      access blocked; a policy denying anything but TLS; replaced state versions expire after
      ``noncurrent_version_days`` (the 10 newest kept regardless) and expired delete markers of lock files
      are removed; Terraform will not destroy it. Server access logs go to ``{name}-access-logs``, itself
      versioned, TLS-only, public access blocked, writable only by S3 log delivery for this bucket.
    Exposes: ``bucket``, ``key``, ``alias``, ``access_logs``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        account_id: str,
        partition: str,
        noncurrent_version_days: int,
        access_log_days: int,
    ):
        super().__init__(scope, id)
        for setting, value in (
            ("noncurrent_version_days", noncurrent_version_days),
            ("access_log_days", access_log_days),
        ):
            checks.argument("StateBucket", setting, checks.whole_number, value, low=1, high=3650)
        # Roles get the key through their IAM policies, which name exactly what they may do.
        self.key = customer_key(
            self,
            "key",
            description=f"{DELIVERY_PREFIX}: Terraform state of every environment",
            account_id=account_id,
            partition=partition,
        )
        self.alias = KmsAlias(self, "alias", name=f"alias/{DELIVERY_PREFIX}-state", target_key_id=self.key.key_id)

        state = secure_bucket(
            self,
            "bucket",
            name=name,
            kms_key_arn=self.key.arn,
            lifecycle=[
                # Every lock file is deleted after each run; its delete marker is all that is left.
                lifecycle_rule(
                    "expire-replaced-state-versions",
                    expire_delete_markers=True,
                    noncurrent_days=noncurrent_version_days,
                    newer_noncurrent_versions=10,
                )
            ],
        )
        self.bucket = state.bucket
        # Losing the bucket loses every environment's state: Terraform refuses to plan its deletion.
        self.bucket.lifecycle = TerraformResourceLifecycle(prevent_destroy=True)
        self.access_logs = access_log_bucket(
            self,
            "access-logs",
            name=f"{name}{ACCESS_LOG_SUFFIX}",
            logs_of=self.bucket,
            prefix=f"{name}/",
            sid="S3LogDeliveryWritesTheStateBucketsLogs",
            account_id=account_id,
            logging_id="logging",
            lifecycle=[lifecycle_rule("expire-access-logs", expire_after_days=access_log_days, noncurrent_days=1)],
        ).bucket

    def state_statements(self, *, write: bool) -> list[dict[str, Any]]:
        """What Terraform's S3 backend with ``use_lockfile`` needs: read (and with ``write``, write) state,
        and always create, read and delete the lock file, with the state key."""
        state_actions = ["s3:GetObject", "s3:PutObject"] if write else ["s3:GetObject"]
        return [
            statement("ListState", ["s3:ListBucket"], [self.bucket.arn]),
            statement(
                "ReadState" if not write else "ReadWriteState", state_actions, [f"{self.bucket.arn}/{STATE_OBJECTS}"]
            ),
            statement(
                "HoldStateLock",
                ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                [f"{self.bucket.arn}/{LOCK_OBJECTS}"],
            ),
            statement("UseStateKey", STATE_KEY_ACTIONS, [self.key.arn]),
        ]


def github_trust_policy(provider_arn: str, subjects: Sequence[str]) -> str:
    """A trust policy for GitHub's OIDC tokens with audience sts.amazonaws.com and exactly ``subjects``.

    StringEquals, never StringLike: a wildcard in ``sub`` would trust other branches or repositories.
    https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services
    """
    return policy_document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": GITHUB_OIDC_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": list(subjects),
                    }
                },
            }
        ]
    )


class GithubDeployRoles(Construct):
    """GitHub's OIDC identity provider and the two roles the workflows assume.

    Inputs: ``config``, ``state`` (the :class:`StateBucket`), ``account_id``, ``partition``.
    Defaults:
      plan role ``reviews-delivery-github-plan``: trusted by this repository's pull requests and main
        (drift detection, the plan shown before prod approval); AWS's ReadOnlyAccess for refresh, plus
        reading state and holding the state lock.
      apply role ``reviews-delivery-github-apply``: trusted only by jobs that name one of the GitHub
        environments; writes limited to resources named f"reviews-{env}-*" of the environment stacks'
        services, roles of those names passed to those services only, KMS management (no data access but
        through those services), all within ``deploy_regions`` (CloudFront and the CDN's log delivery in
        us-east-1, their only region); it may never change this stack's roles, the OIDC provider, the
        state bucket's configuration or the state key.
      Sessions last at most one hour.
    Exposes: ``provider_arn``, ``plan_role``, ``apply_role``.
    """

    def __init__(
        self, scope: Construct, id: str, *, config: DeliveryConfig, state: StateBucket, account_id: str, partition: str
    ):
        super().__init__(scope, id)
        if config.create_oidc_provider:
            self.provider_arn = IamOpenidConnectProvider(
                self,
                "github",
                url=f"https://{GITHUB_OIDC_HOST}",
                client_id_list=[GITHUB_OIDC_AUDIENCE],
            ).arn
        else:
            self.provider_arn = DataAwsIamOpenidConnectProvider(self, "github", url=f"https://{GITHUB_OIDC_HOST}").arn
        read_only = f"arn:{partition}:iam::aws:policy/ReadOnlyAccess"

        self.plan_role = IamRole(
            self,
            "plan-role",
            name=f"{DELIVERY_PREFIX}-github-plan",
            description=f"terraform plan from {config.github_repository}: pull requests and drift checks",
            assume_role_policy=github_trust_policy(self.provider_arn, config.plan_subjects()),
            max_session_duration=3600,
        )
        IamRolePolicyAttachment(self, "plan-read-only", role=self.plan_role.name, policy_arn=read_only)
        IamRolePolicy(
            self,
            "plan-state",
            name="terraform-state",
            role=self.plan_role.id,
            policy=policy_document(state.state_statements(write=False)),
        )

        self.apply_role = IamRole(
            self,
            "apply-role",
            name=f"{DELIVERY_PREFIX}-github-apply",
            description=f"terraform apply from {config.github_repository}: protected environments only",
            assume_role_policy=github_trust_policy(self.provider_arn, config.apply_subjects()),
            max_session_duration=3600,
        )
        IamRolePolicyAttachment(self, "apply-read-only", role=self.apply_role.name, policy_arn=read_only)
        IamRolePolicy(
            self,
            "apply-state",
            name="terraform-state",
            role=self.apply_role.id,
            policy=policy_document(state.state_statements(write=True)),
        )
        IamRolePolicy(
            self,
            "apply-deploy",
            name="deploy-environments",
            role=self.apply_role.id,
            policy=policy_document(
                [
                    *deploy_statements(config, account_id=account_id, partition=partition),
                    *protect_delivery_statements(
                        state_bucket_arn=state.bucket.arn,
                        state_key_arn=state.key.arn,
                        delivery_roles_arn=f"arn:{partition}:iam::{account_id}:role/{DELIVERY_PREFIX}-*",
                        provider_arn=self.provider_arn,
                    ),
                ]
            ),
        )


def deploy_statements(config: DeliveryConfig, *, account_id: str, partition: str) -> list[dict[str, Any]]:
    """The apply role's Allow statements: what deploying the environment stacks needs, scoped by name."""
    prefixes = [f"reviews-{name}" for name in config.environments]
    regions = list(config.deploy_regions)
    # Named resources may also live at the edge (the CDN's log delivery source and destination).
    named_regions = sorted({*regions, EDGE_REGION})
    via_services = [
        f"{service}.{region}.amazonaws.com"
        for region in regions
        for service in (*NAMED_SERVICES, *IDENTIFIED_SERVICES, "s3")
    ]
    return [
        statement(
            "DeployNamedResources",
            [f"{service}:*" for service in NAMED_SERVICES],
            [
                *(f"arn:{partition}:*:*:{account_id}:*{prefix}-*" for prefix in prefixes),
                # Glue databases cannot hold hyphens: reviews_dev_audit_trail.
                *(f"arn:{partition}:glue:*:{account_id}:*{prefix.replace('-', '_')}_*" for prefix in prefixes),
                # Glue checks the account's catalog as well as the database or table.
                f"arn:{partition}:glue:*:{account_id}:catalog",
                # API Gateway names its execution log group after the REST API's id, which the stack pre-creates.
                f"arn:{partition}:logs:*:{account_id}:log-group:API-Gateway-Execution-Logs_*",
                # A web ACL referencing AWS managed rule groups needs them as resources too.
                f"arn:{partition}:wafv2:*:*:*/managedruleset/*",
            ],
            Condition={"StringEquals": {"aws:RequestedRegion": named_regions}},
        ),
        statement(
            "DeployEnvironmentBuckets",
            ["s3:*"],
            [
                resource
                for prefix in prefixes
                for resource in (f"arn:{partition}:s3:::{prefix}-*", f"arn:{partition}:s3:::{prefix}-*/*")
            ],
        ),
        statement(
            "DeployIdentifiedResources",
            [f"{service}:*" for service in IDENTIFIED_SERVICES],
            ["*"],
            Condition={"StringEquals": {"aws:RequestedRegion": regions}},
        ),
        statement(
            "DeployEdgeResources",
            [f"{service}:*" for service in EDGE_SERVICES],
            ["*"],
            Condition={"StringEquals": {"aws:RequestedRegion": [EDGE_REGION]}},
        ),
        statement(
            "DeliverVendedLogs",
            LOG_DELIVERY_ACTIONS,
            ["*"],
            Condition={"StringEquals": {"aws:RequestedRegion": named_regions}},
        ),
        statement(
            "ManageEnvironmentKeys",
            KMS_MANAGEMENT_ACTIONS,
            ["*"],
            Condition={"StringEquals": {"aws:RequestedRegion": regions}},
        ),
        statement(
            "UseEnvironmentKeysThroughServices",
            KMS_USE_ACTIONS,
            ["*"],
            Condition={"StringEquals": {"kms:ViaService": via_services}},
        ),
        statement(
            "ManageEnvironmentRoles",
            ROLE_ACTIONS,
            [f"arn:{partition}:iam::{account_id}:role/{prefix}-*" for prefix in prefixes],
        ),
        statement(
            "AttachOnlyServiceRolePolicies",
            ATTACH_ACTIONS,
            [f"arn:{partition}:iam::{account_id}:role/{prefix}-*" for prefix in prefixes],
            # Without this, a new role could be given AdministratorAccess.
            Condition={"ArnLike": {"iam:PolicyARN": f"arn:{partition}:iam::aws:policy/service-role/*"}},
        ),
        statement(
            "PassEnvironmentRolesToTheirServices",
            ["iam:PassRole"],
            [f"arn:{partition}:iam::{account_id}:role/{prefix}-*" for prefix in prefixes],
            Condition={"StringEquals": {"iam:PassedToService": list(PASS_ROLE_SERVICES)}},
        ),
    ]


def protect_delivery_statements(
    *, state_bucket_arn: str, state_key_arn: str, delivery_roles_arn: str, provider_arn: str
) -> list[dict[str, Any]]:
    """Explicit denies, so no later widening of the Allow statements can let a deployment rewrite its own
    trust, the OIDC provider, or the bucket and key that hold every environment's state."""
    return [
        {
            "Sid": "NeverChangeDeliveryIdentities",
            "Effect": "Deny",
            "Action": "iam:*",
            "Resource": [delivery_roles_arn, provider_arn],
        },
        {
            "Sid": "StateBucketHoldsStateOnly",
            "Effect": "Deny",
            "NotAction": ["s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"],
            "Resource": [state_bucket_arn, f"{state_bucket_arn}/*"],
        },
        {
            "Sid": "StateKeyEncryptsStateOnly",
            "Effect": "Deny",
            "NotAction": list(STATE_KEY_ACTIONS),
            "Resource": state_key_arn,
        },
    ]


class StateBackendStack(TerraformStack):
    """The delivery bootstrap (``reviews-state``): state bucket and GitHub deploy roles, local backend.

    Inputs: a :class:`DeliveryConfig` (see :func:`modules.delivery_settings.parse_delivery`), which checked itself when it was built.
    Exposes: ``config``, ``state`` (:class:`StateBucket`), ``github`` (:class:`GithubDeployRoles`).
    Outputs: the bucket, its key and the role ARNs the workflows and backends are configured with.
    """

    def __init__(self, scope: Construct, id: str, *, config: DeliveryConfig):
        super().__init__(scope, id)
        self.config = config
        AwsProvider(
            self,
            "aws",
            region=config.region,
            default_tags=[
                AwsProviderDefaultTags(tags={"project": "reviews", "environment": "delivery", "managed-by": "cdktf"})
            ],
        )
        # The bucket cannot hold the state of the stack that creates it; delivery/README.md says how to keep this file.
        LocalBackend(self, path=f"terraform.{id}.tfstate")
        identity = DataAwsCallerIdentity(self, "account")
        partition = DataAwsPartition(self, "partition")

        self.state = StateBucket(
            self,
            "state",
            name=config.state_bucket,
            account_id=identity.account_id,
            partition=partition.partition,
            noncurrent_version_days=config.noncurrent_version_days,
            access_log_days=config.access_log_days,
        )
        self.github = GithubDeployRoles(
            self,
            "github",
            config=config,
            state=self.state,
            account_id=identity.account_id,
            partition=partition.partition,
        )

        TerraformOutput(self, "state_bucket", value=self.state.bucket.bucket)
        TerraformOutput(self, "state_region", value=config.region)
        TerraformOutput(self, "state_kms_key_arn", value=self.state.key.arn)
        TerraformOutput(self, "plan_role_arn", value=self.github.plan_role.arn)
        TerraformOutput(self, "apply_role_arn", value=self.github.apply_role.arn)
