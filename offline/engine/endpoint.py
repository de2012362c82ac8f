"""An AWS endpoint for the offline cloud: one HTTP port that answers any AWS SDK or CLI (``AWS_ENDPOINT_URL``), so
``python -m ops`` and ``aws`` work against the offline system as they work against AWS.

moto's own server (``moto.server.ThreadedMotoServer``) needs Flask, which this project does not install; it would
also serve the same backends. This endpoint does what moto's server does, in a few lines, through moto's in-process
dispatcher (the one every boto3 call of this process reaches while ``mock_aws`` is active), so every gap-filler of
the offline cloud (event delivery to Step Functions and Firehose, the Step Functions fixes, SES templates, SQS's
clock) applies to the calls arriving here exactly as to the calls made in process:

- the service and region come from the request's SigV4 credential scope
  (``Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request``), which every SDK
  sends; a request without one is refused with 400, as AWS refuses an unsigned request (MissingAuthenticationToken);
- the request is handed to moto as if it had been sent to ``https://<service>.<region>.amazonaws.com`` with its
  path, query, headers and body unchanged (S3 by path: SDKs address an IP endpoint by path);
- signatures are not checked (moto does not check them either; IAM is not enforced offline).

Calls arriving here are not counted by :mod:`offline.engine.faults` (they reach no client) and injected faults do
not apply to them: an operator's calls are not part of the system's bill or of a fault run.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from botocore.awsrequest import AWSPreparedRequest
from moto.core.models import botocore_stubber

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)/aws4_request")
# Signing names whose endpoint host differs from the name.
_HOSTS = {"execute-api": "apigateway", "ses": "email"}


class AwsEndpoint:
    """``with AwsEndpoint(port) as endpoint:`` serves ``endpoint.url`` until the block ends (0: any free port)."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1"):
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="offline-aws-endpoint", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> AwsEndpoint:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def aws_url(service: str, region: str, path: str) -> str:
    """The AWS URL moto's dispatcher recognises for a request signed for ``service`` in ``region``."""
    host = _HOSTS.get(service, service)
    return f"https://{host}.{region}.amazonaws.com{path}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # the serve command prints what matters
        return

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        scope = _SCOPE.search(self.headers.get("Authorization", ""))
        if scope is None:
            self._answer(
                400,
                {"Content-Type": "application/json"},
                json.dumps(
                    {
                        "__type": "MissingAuthenticationTokenException",
                        "message": "Request is missing Authentication Token: sign it with SigV4 (any AWS SDK does)",
                    }
                ).encode(),
            )
            return
        headers = {name: value for name, value in self.headers.items() if name.lower() not in ("host", "connection")}
        request = AWSPreparedRequest(
            method=self.command,
            url=aws_url(scope["service"], scope["region"], self.path),
            headers=headers,
            body=body,
            stream_output=False,
        )
        answer = botocore_stubber.process_request(request)
        if answer is None:
            self._answer(
                404,
                {"Content-Type": "application/json"},
                json.dumps(
                    {"__type": "UnknownOperationException", "message": f"no offline {scope['service']}"}
                ).encode(),
            )
            return
        status, answer_headers, payload = answer
        self._answer(status, dict(answer_headers or {}), payload.encode() if isinstance(payload, str) else payload)

    def _answer(self, status: int, headers: dict[str, str], payload: bytes | None) -> None:
        payload = payload or b""
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle
