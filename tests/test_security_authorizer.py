"""Identities that cannot be chosen by their holder: the agents' routes take only an ID token the agents' pool issued
to the agent console's app client, still valid, untampered. Driven through the offline HTTP API of the dev stack,
plus the emulated authorizer alone for what AWS does without the stack's identity validation expression."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from joserfc import jwk, jwt
from moto.utilities.utils import load_resource

from offline.apigateway.authorizer import CognitoAuthorizer, Unauthorized
from tests.e2e import review, system_for

pytestmark = pytest.mark.slow

AGENT = "agent@example.com"
# moto signs every pool's tokens with this one key; the API trusts its public half as the pool's JWKS.
POOL_KEY = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


@pytest.fixture(scope="module")
def system(dev_stack_path):
    with system_for(dev_stack_path) as running:
        running.create_agent(AGENT, "Agent-Passw0rd!")
        yield running


def sign_in(system: Any, client_id: str, username: str = AGENT, password: str = "Agent-Passw0rd!") -> dict[str, str]:
    answer = system.cloud.client("cognito-idp").initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": username, "PASSWORD": password}
    )
    return answer["AuthenticationResult"]


def console_tokens(system: Any) -> dict[str, str]:
    return sign_in(system, system.user_pool()[1])


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def signed(claims: dict[str, Any]) -> str:
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, POOL_KEY)


# --- the tokens a request may carry --------------------------------------------------------------------------


def resigned_console_token(system: Any) -> str:
    """The control: the console's ID token signed again with the pool's key, unchanged. Accepted."""
    return signed(claims_of(console_tokens(system)["IdToken"]))


def other_client_token(system: Any) -> str:
    pool_id, _ = system.user_pool()
    other = system.cloud.client("cognito-idp").create_user_pool_client(
        UserPoolId=pool_id, ClientName=f"other-{uuid.uuid4().hex[:6]}", ExplicitAuthFlows=["USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    return sign_in(system, other["ClientId"])["IdToken"]


def other_pool_token(system: Any) -> str:
    idp = system.cloud.client("cognito-idp")
    pool = idp.create_user_pool(PoolName=f"intruders-{uuid.uuid4().hex[:6]}")["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="console", ExplicitAuthFlows=["USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    idp.admin_create_user(UserPoolId=pool["Id"], Username=AGENT, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool["Id"], Username=AGENT, Password="Agent-Passw0rd!", Permanent=True)
    return sign_in(system, client["ClientId"])["IdToken"]


def expired_token(system: Any) -> str:
    claims = claims_of(console_tokens(system)["IdToken"])
    return signed({**claims, "iat": int(time.time()) - 7200, "exp": int(time.time()) - 60})


def not_yet_valid_token(system: Any) -> str:
    return signed({**claims_of(console_tokens(system)["IdToken"]), "nbf": int(time.time()) + 3600})


def tampered_signature_token(system: Any) -> str:
    header, payload, signature = console_tokens(system)["IdToken"].split(".")
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    return f"{header}.{payload}.{flipped}"


def tampered_claims_token(system: Any) -> str:
    header, _, signature = console_tokens(system)["IdToken"].split(".")
    claims = {**claims_of(console_tokens(system)["IdToken"]), "cognito:username": "someone-else"}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{payload}.{signature}"


def access_token(system: Any) -> str:
    return console_tokens(system)["AccessToken"]


REFUSED: dict[str, Callable[[Any], str]] = {
    "other-client": other_client_token,
    "other-pool": other_pool_token,
    "expired": expired_token,
    "not-yet-valid": not_yet_valid_token,
    "tampered-signature": tampered_signature_token,
    "tampered-claims": tampered_claims_token,
    "access-token": access_token,
}


@pytest.fixture(scope="module")
def open_case(system) -> str:
    key = str(uuid.uuid4())
    assert system.submit_review(review("negative"), idempotency_key=key).status == 202
    system.cloud.drain(60)
    assert case_status(system, key) == "OPEN"
    return key


def case_status(system: Any, key: str) -> str:
    table = system.cloud.resource("aws_dynamodb_table", "cases")["name"]
    item = system.cloud.client("dynamodb").get_item(TableName=table, Key={"caseId": {"S": key}})["Item"]
    return str(item["status"]["S"])


def test_the_consoles_id_token_signed_by_the_pool_lists_the_open_cases(system):
    for token in (console_tokens(system)["IdToken"], resigned_console_token(system)):
        answer = system.request("GET", "/cases", headers={"Authorization": token})
        assert answer.status == 200, answer.body


@pytest.mark.parametrize("kind", list(REFUSED))
def test_a_token_the_authorizer_must_not_take_cannot_list_the_cases(system, kind):
    answer = system.request("GET", "/cases", headers={"Authorization": REFUSED[kind](system)})
    assert answer.status == 401
    assert answer.body["message"] == "Unauthorized"


@pytest.mark.parametrize("kind", list(REFUSED))
def test_a_token_the_authorizer_must_not_take_cannot_resolve_a_case_and_the_case_still_waits(system, open_case, kind):
    answer = system.request(
        "POST", f"/cases/{open_case}/resolution", {"note": "Closing."}, {"Authorization": REFUSED[kind](system)}
    )
    assert answer.status == 401
    assert answer.body["message"] == "Unauthorized"
    assert case_status(system, open_case) == "OPEN"


# --- the emulated authorizer alone: what AWS does with what the stack does not set -------------------------------

POOL_ARN = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_pool"
ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_pool"


def authorizer(**extra: Any) -> CognitoAuthorizer:
    scheme = {
        "name": "Authorization",
        "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": [POOL_ARN], **extra},
    }
    return CognitoAuthorizer.of(scheme, user_pools={POOL_ARN: "eu-west-1_pool"}, region="eu-west-1")


def token(**claims: Any) -> str:
    return signed({"iss": ISSUER, "token_use": "id", "aud": "console", "exp": int(time.time()) + 600, **claims})


def test_without_an_identity_validation_expression_an_id_token_of_any_app_client_passes_as_on_aws():
    assert authorizer().verify(token(aud="another-client"))["aud"] == "another-client"


def test_the_identity_validation_expression_must_match_the_whole_audience():
    checked = authorizer(identityValidationExpression="console")
    assert checked.verify(token())["aud"] == "console"
    for audience in ("console-2", "my-console"):
        with pytest.raises(Unauthorized, match="Unauthorized"):
            checked.verify(token(aud=audience))


def test_a_method_with_scopes_takes_an_access_token_holding_one_and_refuses_an_id_token():
    scopes = ["reviews/cases.read"]
    access = token(token_use="access", scope="openid reviews/cases.read", aud=None)
    assert authorizer().verify(access, scopes)["token_use"] == "access"
    with pytest.raises(Unauthorized):
        authorizer().verify(token(), scopes)
    with pytest.raises(Unauthorized):
        authorizer().verify(token(token_use="access", scope="openid"), scopes)


def test_a_token_signed_with_a_key_the_pool_does_not_publish_is_refused():
    with pytest.raises(Unauthorized):
        authorizer().verify(jwt.encode({"alg": "RS256", "kid": "another-key"}, claims_of(token()), POOL_KEY))


def test_an_authorizer_naming_a_user_pool_that_does_not_exist_stops_the_api_from_loading():
    scheme = {"x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": [POOL_ARN]}}
    with pytest.raises(ValueError, match="do not exist"):
        CognitoAuthorizer.of(scheme, user_pools={}, region="eu-west-1")
