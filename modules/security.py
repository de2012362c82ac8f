"""Security: the customer-managed KMS key that encrypts the system's data at rest, and the facts
(account, region, partition, naming) every construct needs, bundled as :class:`Platform`."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from constructs import Construct

from modules.storage import customer_key


@dataclass(frozen=True)
class Platform:
    """What every construct of one stack shares. Built once by the stack."""

    account_id: str
    region: str
    partition: str
    prefix: str
    key_arn: str
    log_retention_days: int

    def name(self, service: str, purpose: str) -> str:
        """Physical names follow ``{prefix}-{service}-{purpose}``."""
        return f"{self.prefix}-{service}-{purpose}"

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{resource}"


class Security(Construct):
    """One symmetric KMS key with yearly rotation for SQS, DynamoDB, S3, CloudWatch Logs, SNS and Firehose.

    Inputs: ``prefix``, ``account_id``, ``region``, ``partition``.
    Defaults: rotation on, 30-day deletion window, key policy granting the account's IAM the key
    (so roles need explicit kms permissions) and the services below use through their principals.
    Exposes: ``key``, ``alias``.
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
            ],
        )
        self.alias = KmsAlias(self, "alias", name=f"alias/{prefix}-data", target_key_id=self.key.key_id)
