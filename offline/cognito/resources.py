"""Cognito's resources: user pools and their app clients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from offline.engine.aws import first, some
from offline.engine.registry import handles
from offline.engine.terraform import Resource

if TYPE_CHECKING:
    from offline.engine.cloud import OfflineCloud


@handles("aws_cognito_user_pool")
def _user_pool(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    password = first(config.get("password_policy"))
    admin = first(config.get("admin_create_user_config"))
    recovery = first(config.get("account_recovery_setting"))
    cognito = cloud.client("cognito-idp")
    pool = cognito.create_user_pool(
        **some(
            PoolName=config["name"],
            Policies={"PasswordPolicy": _password_policy(password)} if password else None,
            UsernameAttributes=config.get("username_attributes"),
            AutoVerifiedAttributes=config.get("auto_verified_attributes"),
            AdminCreateUserConfig=some(AllowAdminCreateUserOnly=admin.get("allow_admin_create_user_only")) or None,
            AccountRecoverySetting={
                "RecoveryMechanisms": [
                    {"Name": m["name"], "Priority": m["priority"]} for m in recovery.get("recovery_mechanism", [])
                ]
            }
            if recovery
            else None,
            DeletionProtection=config.get("deletion_protection"),
            UserAttributeUpdateSettings=some(
                AttributesRequireVerificationBeforeUpdate=first(config.get("user_attribute_update_settings")).get(
                    "attributes_require_verification_before_update"
                )
            )
            or None,
        )
    )["UserPool"]
    if config.get("mfa_configuration", "OFF") != "OFF":
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool["Id"],
            MfaConfiguration=config["mfa_configuration"],
            **some(
                SoftwareTokenMfaConfiguration={"Enabled": True}
                if first(config.get("software_token_mfa_configuration")).get("enabled")
                else None
            ),
        )
    return {"id": pool["Id"], "arn": pool["Arn"], "endpoint": f"cognito-idp.{cloud.region}.amazonaws.com/{pool['Id']}"}


def _password_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    return some(
        MinimumLength=policy.get("minimum_length"),
        RequireLowercase=policy.get("require_lowercase"),
        RequireUppercase=policy.get("require_uppercase"),
        RequireNumbers=policy.get("require_numbers"),
        RequireSymbols=policy.get("require_symbols"),
        TemporaryPasswordValidityDays=policy.get("temporary_password_validity_days"),
    )


@handles("aws_cognito_user_pool_client")
def _user_pool_client(cloud: OfflineCloud, resource: Resource, config: dict[str, Any]) -> dict[str, Any]:
    units = first(config.get("token_validity_units"))
    client = cloud.client("cognito-idp").create_user_pool_client(
        **some(
            UserPoolId=config["user_pool_id"],
            ClientName=config["name"],
            GenerateSecret=config.get("generate_secret"),
            ExplicitAuthFlows=config.get("explicit_auth_flows"),
            PreventUserExistenceErrors=config.get("prevent_user_existence_errors"),
            EnableTokenRevocation=config.get("enable_token_revocation"),
            ReadAttributes=config.get("read_attributes"),
            WriteAttributes=config.get("write_attributes"),
            IdTokenValidity=config.get("id_token_validity"),
            AccessTokenValidity=config.get("access_token_validity"),
            RefreshTokenValidity=config.get("refresh_token_validity"),
            TokenValidityUnits=some(
                AccessToken=units.get("access_token"),
                IdToken=units.get("id_token"),
                RefreshToken=units.get("refresh_token"),
            )
            or None,
        )
    )["UserPoolClient"]
    return {"id": client["ClientId"], "client_secret": client.get("ClientSecret", "")}
