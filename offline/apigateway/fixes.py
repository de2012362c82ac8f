"""Where moto 5.2.5's API Gateway stops short of AWS for this stack.

ImportRestApi/PutRestApi of a document with a MOCK integration (no uri, no httpMethod: the CORS preflights) fails in
moto with TypeError, as its put_integration requires both. AWS accepts a MOCK integration without them:
:func:`mock_integrations_importable`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock


@contextmanager
def mock_integrations_importable() -> Iterator[None]:
    """For the block, ImportRestApi accepts integrations without ``uri``/``httpMethod``, as AWS does for MOCK."""
    from moto.apigateway.models import APIGatewayBackend

    original = APIGatewayBackend.put_integration

    def put_integration(
        self: APIGatewayBackend,
        function_id: str,
        resource_id: str,
        method_type: str,
        integration_type: str,
        uri: str | None = None,
        integration_method: str | None = None,
        **kwargs: Any,
    ) -> Any:
        # moto annotates uri and integration_method as str, yet stores None as readily: the point of this fix.
        return original(
            self,
            function_id,
            resource_id,
            method_type,
            integration_type,
            uri,  # type: ignore[arg-type]
            integration_method,  # type: ignore[arg-type]
            **kwargs,
        )

    with mock.patch.object(APIGatewayBackend, "put_integration", put_integration):
        yield
