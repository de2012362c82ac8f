"""The Cognito sign-in API the agent console calls (InitiateAuth, RespondToAuthChallenge), answered offline by moto's
cognito-idp behind a local path; nothing else of Cognito is exposed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from offline.apigateway.server import Response

# The only Cognito operations the agent console calls.
OPERATIONS = {
    "AWSCognitoIdentityProviderService.InitiateAuth": "initiate_auth",
    "AWSCognitoIdentityProviderService.RespondToAuthChallenge": "respond_to_auth_challenge",
}
_JSON = {"Content-Type": "application/x-amz-json-1.1"}


def regional_endpoint(region: str) -> str:
    """The Cognito Identity Provider JSON endpoint the deployed pages sign in with."""
    return f"https://cognito-idp.{region}.amazonaws.com/"


def answer(cognito: Any, method: str, target: str | None, body: bytes) -> Response:
    """One sign-in call (``target`` is its ``X-Amz-Target`` header) on the ``cognito`` (cognito-idp) client."""
    operation = OPERATIONS.get(target or "")
    if method != "POST" or operation is None:
        error = {"__type": "UnknownOperationException", "message": "Only sign-in operations are served here"}
        return Response(400, json.dumps(error), _JSON)
    try:
        result: dict[str, Any] = getattr(cognito, operation)(**json.loads(body or b"{}"))
    except ClientError as error:
        return _error(error.response)
    except (TypeError, ValueError) as error:
        return Response(400, json.dumps({"__type": "InvalidParameterException", "message": str(error)}), _JSON)
    result.pop("ResponseMetadata", None)
    return Response(200, json.dumps(result, default=str), _JSON)


def _error(response: Mapping[str, Any]) -> Response:
    code, message = response["Error"]["Code"], response["Error"]["Message"]
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
    return Response(status, json.dumps({"__type": code, "message": message}), _JSON)
