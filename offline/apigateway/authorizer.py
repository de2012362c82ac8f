"""API Gateway's ``COGNITO_USER_POOLS`` authorizer, checking what AWS documents it checks and nothing it does not.

What AWS checks, by its pages:
- the token is present in the identity source header, and is a JWT signed by a key of the pool's JWKS
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-integrate-with-cognito.html);
- its issuer is one of the authorizer's user pools (``providerARNs``) and it has not expired
  (https://repost.aws/knowledge-center/api-gateway-cognito-401-unauthorized);
- with no OAuth scopes on the method it must be an ID token; with scopes, an access token whose ``scope`` claim
  holds one of them (the ``authorizationScopes`` member of the Method shape in botocore's apigateway model);
- ``aud`` (the app client) only through the authorizer's ``identityValidationExpression``: "API Gateway will match
  the aud field of the incoming token from the client against the specified regular expression [...] Otherwise,
  it will return a 401 Unauthorized response" (https://docs.aws.amazon.com/apigateway/latest/api/API_Authorizer.html).
  Without one, an ID token of any app client of the pool passes: the stack sets one (modules/frontend_api.py).
Every refusal is the ``UNAUTHORIZED`` gateway response, 401, message "Unauthorized".

Not documented either way, so the emulator takes the stricter side: a token whose ``nbf`` is still to come is
refused (RFC 7519 4.1.5 says it MUST NOT be accepted; Cognito's own tokens carry none), and the expression must match
the whole ``aud`` (the stack's is anchored, so search and whole-match agree). moto signs every pool's tokens with one
key (its ``jwks-public.json``), so a token of another pool fails on its issuer, as on AWS it fails on the key.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from joserfc import jwk, jwt
from joserfc.errors import JoseError
from moto.utilities.utils import load_resource

# Cognito user pools sign with RS256 only. https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html
ALGORITHMS = ["RS256"]
UNAUTHORIZED = "Unauthorized"


class Unauthorized(Exception):
    """The request is refused with the ``UNAUTHORIZED`` gateway response; ``reason`` is for logs and tests only."""

    def __init__(self, reason: str):
        super().__init__(UNAUTHORIZED)
        self.reason = reason


@dataclass(frozen=True)
class CognitoAuthorizer:
    """One ``x-amazon-apigateway-authorizer`` of type ``cognito_user_pools`` with its pools resolved to issuers."""

    header: str
    issuers: frozenset[str]
    identity_validation: re.Pattern[str] | None
    keys: Mapping[str, jwk.RSAKey]

    @classmethod
    def of(cls, scheme: Mapping[str, Any], *, user_pools: Mapping[str, str], region: str) -> CognitoAuthorizer:
        """The authorizer of an OpenAPI security scheme; ``user_pools`` maps each pool's ARN to its id."""
        authorizer = scheme["x-amazon-apigateway-authorizer"]
        if authorizer["type"] != "cognito_user_pools":
            raise NotImplementedError(f"authorizer type {authorizer['type']} is not emulated offline")
        unknown = [arn for arn in authorizer["providerARNs"] if arn not in user_pools]
        if unknown:
            raise ValueError(f"the authorizer names user pools that do not exist: {unknown}")
        expression = authorizer.get("identityValidationExpression")
        jwks = load_resource("cognitoidp/resources/jwks-public.json")["keys"]
        return cls(
            header=scheme.get("name", "Authorization"),
            issuers=frozenset(
                f"https://cognito-idp.{region}.amazonaws.com/{user_pools[arn]}" for arn in authorizer["providerARNs"]
            ),
            identity_validation=re.compile(expression) if expression else None,
            keys={key["kid"]: jwk.RSAKey.import_key(key) for key in jwks},
        )

    def verify(self, token: str | None, scopes: Sequence[str] = (), now: float | None = None) -> dict[str, Any]:
        """The token's claims (``$context.authorizer.claims``), or :class:`Unauthorized`. ``scopes`` are the
        method's OAuth scopes: none asks for an ID token, some for an access token holding one of them."""
        if not token or not token.strip():
            raise Unauthorized("no token in the identity source")
        # The console sends the bare token; a "Bearer " prefix is tolerated as the emulator always has.
        token = token.removeprefix("Bearer ").strip()
        try:
            decoded = jwt.decode(token, lambda obj: self._key(obj.headers().get("kid")), algorithms=ALGORITHMS)
        except (JoseError, ValueError, KeyError, TypeError) as error:
            raise Unauthorized(f"not a token signed by the pool: {type(error).__name__}") from None
        claims = dict(decoded.claims)
        moment = time.time() if now is None else now
        if claims.get("iss") not in self.issuers:
            raise Unauthorized(f"issuer {claims.get('iss')!r} is none of the authorizer's user pools")
        if not _number(claims.get("exp")) or claims["exp"] <= moment:
            raise Unauthorized("expired, or no expiry")
        if "nbf" in claims and (not _number(claims["nbf"]) or claims["nbf"] > moment):
            raise Unauthorized("not valid yet (nbf)")
        if scopes:
            granted = str(claims.get("scope", "")).split()
            if claims.get("token_use") != "access" or not set(scopes) & set(granted):
                raise Unauthorized("not an access token with one of the method's scopes")
        elif claims.get("token_use") != "id":
            raise Unauthorized(f"token_use {claims.get('token_use')!r} where the method takes an ID token")
        if self.identity_validation is not None:
            audience = claims.get("aud")
            if not isinstance(audience, str) or not self.identity_validation.fullmatch(audience):
                raise Unauthorized(f"aud {audience!r} does not match the identity validation expression")
        return claims

    def _key(self, kid: Any) -> jwk.RSAKey:
        if not isinstance(kid, str) or kid not in self.keys:
            raise KeyError(f"no key {kid!r} in the pool's JWKS")
        return self.keys[kid]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def cognito_authorizers(
    document: Mapping[str, Any], *, user_pools: Mapping[str, str], region: str
) -> dict[str, CognitoAuthorizer]:
    """Every authorizer of an OpenAPI document, by security scheme name."""
    schemes = document.get("components", {}).get("securitySchemes", {})
    return {
        name: CognitoAuthorizer.of(scheme, user_pools=user_pools, region=region)
        for name, scheme in schemes.items()
        if "x-amazon-apigateway-authorizer" in scheme
    }
