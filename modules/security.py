"""Security: the customer-managed KMS key that encrypts the system's data at rest, and the facts
(account, region, partition, naming) every construct needs, bundled as :class:`Platform`."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from constructs import Construct

from modules.common import policy_document, statement
from modules.storage import customer_key

# What the operator may do with a queue's messages: read them, then remove or release what was read.
OPERATOR_QUEUE_ACTIONS = (
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
)


@dataclass(frozen=True)
class Platform:
    """What every construct of one stack shares. Built once by the stack."""

    account_id: str
    region: str
    partition: str
    prefix: str
    key_arn: str
    log_retention_days: int
    # The one person's role that may read the messages of the stack's queues (dead letters, failed emails).
    operator_role_arn: str
    # The stack's own roles that read the dead letters of the rules to workflows besides the operator (the
    # recovery's redrive) and the queues it redrives.
    dead_letter_reader_arns: tuple[str, ...] = ()

    def name(self, service: str, purpose: str) -> str:
        """Physical names follow ``{prefix}-{service}-{purpose}``."""
        return f"{self.prefix}-{service}-{purpose}"

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{resource}"

    def role_arn(self, role_name: str) -> str:
        """A role's ARN from its name, for a policy written before the role exists (IAM ARNs have no region)."""
        return f"arn:{self.partition}:iam::{self.account_id}:role/{role_name}"


class Security(Construct):
    """One symmetric KMS key with yearly rotation for SQS, DynamoDB, S3, CloudWatch Logs, SNS, Firehose and the
    event archive, and the operator role: the one principal that may read the stack's queues.

    Inputs: ``prefix``, ``account_id``, ``region``, ``partition``.
    Defaults: rotation on, 30-day deletion window, key policy granting the account's IAM the key
    (so roles need explicit kms permissions) and the services below use through their principals; the
    operator role ``{prefix}-security-operator`` is assumable by this account's IAM principals that their own
    policies allow to, with MFA only, and may read, delete and release the messages of the stack's queues
    (``{prefix}-*``), decrypting them only through SQS.
    Exposes: ``key``, ``alias``, ``operator_role``.
    """

    def __init__(self, scope: Construct, id: str, *, prefix: str, account_id: str, region: str, partition: str):
        super().__init__(scope, id)
        self.key = customer_key(
            self,
            "key",
            description=f"{prefix}: data at rest of the review system",
            account_id=account_id,
            partition=partition,
            statements=[
                # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
                {
                    "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                        }
                    },
                },
                # EventBridge writes to encrypted dead-letter queues; CloudWatch alarms publish to the
                # encrypted SNS topic. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
                {
                    "Sid": "EventBridgeAndAlarmsUseKeyForQueuesAndTopics",
                    "Effect": "Allow",
                    "Principal": {"Service": ["events.amazonaws.com", "cloudwatch.amazonaws.com"]},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
                # The event archive, encrypted with this key. EventBridge describes the key without an encryption
                # context, then encrypts and decrypts (replay, pattern matching) with the source bus's ARN as the
                # context. https://docs.aws.amazon.com/eventbridge/latest/userguide/encryption-archives.html
                {
                    "Sid": "EventBridgeDescribesKeyForArchives",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "kms:DescribeKey",
                    "Resource": "*",
                },
                {
                    "Sid": "EventBridgeArchivesThisStacksBuses",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncrypt*"],
                    "Resource": "*",
                    # The buses follow the stack's names; the bus itself is built after the key, which it needs.
                    "Condition": {
                        "StringLike": {
                            "kms:EncryptionContext:aws:events:event-bus:arn": (
                                f"arn:{partition}:events:{region}:{account_id}:event-bus/{prefix}-*"
                            )
                        }
                    },
                },
            ],
        )
        self.alias = KmsAlias(self, "alias", name=f"alias/{prefix}-data", target_key_id=self.key.key_id)
        self.operator_role = IamRole(
            self,
            "operator",
            name=f"{prefix}-security-operator",
            description="Reads the stack's dead-letter and failed-email queues; the only principal their policies let",
            assume_role_policy=policy_document(
                [
                    {
                        "Sid": "ThisAccountsPrincipalsWithMfa",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    }
                ]
            ),
        )
        IamRolePolicy(
            self,
            "operator-policy",
            name="read-queues",
            role=self.operator_role.id,
            policy=policy_document(
                [
                    # The queues are made by the services after this role, all named {prefix}-...
                    statement(
                        "ReadTheStacksQueues",
                        OPERATOR_QUEUE_ACTIONS,
                        [f"arn:{partition}:sqs:{region}:{account_id}:{prefix}-*"],
                    ),
                    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
                    statement(
                        "DecryptMessagesThroughSqs",
                        ["kms:Decrypt"],
                        [self.key.arn],
                        Condition={"StringEquals": {"kms:ViaService": f"sqs.{region}.amazonaws.com"}},
                    ),
                ]
            ),
        )
