"""offline/cognito/: user pools and clients created from Terraform, and the sign-in API the agent console calls."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from offline.cognito import signin
from offline.engine.cloud import OfflineCloud
from tests.offline_stacks import small_stack

INITIATE_AUTH = "AWSCognitoIdentityProviderService.InitiateAuth"


@pytest.fixture(scope="module")
def running() -> Iterator[OfflineCloud]:
    document = small_stack(
        {
            "aws_cognito_user_pool": {
                "p": {
                    "name": "test-agents",
                    "username_attributes": ["email"],
                    "password_policy": {"minimum_length": 12, "require_symbols": True},
                    "admin_create_user_config": {"allow_admin_create_user_only": True},
                }
            },
            "aws_cognito_user_pool_client": {
                "c": {
                    "name": "console",
                    "user_pool_id": "${aws_cognito_user_pool.p.id}",
                    "explicit_auth_flows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                    "generate_secret": False,
                }
            },
        }
    )
    with OfflineCloud(document) as up:
        pool_id = up.resource("aws_cognito_user_pool", "p")["id"]
        idp = up.client("cognito-idp")
        idp.admin_create_user(UserPoolId=pool_id, Username="agent@example.com", MessageAction="SUPPRESS")
        idp.admin_set_user_password(
            UserPoolId=pool_id, Username="agent@example.com", Password="Agent-password-1!", Permanent=True
        )
        yield up


def test_the_pool_keeps_its_password_policy_and_exposes_its_endpoint(running):
    pool = running.resource("aws_cognito_user_pool", "p")
    described = running.client("cognito-idp").describe_user_pool(UserPoolId=pool["id"])["UserPool"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert pool["endpoint"] == f"cognito-idp.eu-west-1.amazonaws.com/{pool['id']}"


def test_an_agent_signs_in_through_the_sign_in_api(running):
    client_id = running.resource("aws_cognito_user_pool_client", "c")["id"]
    body = {
        "ClientId": client_id,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": "agent@example.com", "PASSWORD": "Agent-password-1!"},
    }
    answer = signin.answer(running.client("cognito-idp"), "POST", INITIATE_AUTH, json.dumps(body).encode())
    assert answer.status == 200 and json.loads(answer.body)["AuthenticationResult"]["IdToken"]


def test_a_wrong_password_is_refused_as_cognito_refuses_it(running):
    client_id = running.resource("aws_cognito_user_pool_client", "c")["id"]
    body = {
        "ClientId": client_id,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": "agent@example.com", "PASSWORD": "wrong"},
    }
    answer = signin.answer(running.client("cognito-idp"), "POST", INITIATE_AUTH, json.dumps(body).encode())
    assert (answer.status, json.loads(answer.body)["__type"]) == (400, "NotAuthorizedException")


def test_no_other_cognito_operation_is_served(running):
    answer = signin.answer(running.client("cognito-idp"), "POST", "AWSCognitoIdentityProviderService.ListUsers", b"{}")
    assert (answer.status, json.loads(answer.body)["__type"]) == (400, "UnknownOperationException")
