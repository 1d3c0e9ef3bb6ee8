"""API Gateway REST (proxy integration) events and a Lambda context, as Lambda hands them to
``app.app(event, context)``. Standard library only: cold-start children import this first."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urlencode

STAGE = "api"


class LambdaContext:
    function_name = "game-item-store-dev"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:game-item-store-dev"
    memory_limit_in_mb = 1024
    log_group_name = "/aws/lambda/game-item-store-dev"
    log_stream_name = "2026/01/01/[$LATEST]bench"

    def __init__(self, timeout_s: float = 6.0) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def rest_event(
    method: str,
    path: str,
    *,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    """``resource`` is the route template (``/api/items/{item_id}``); ``path`` the concrete path."""
    sent = {
        "Accept": "application/json",
        "Host": "abcdef1234.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "bench/1.0",
        "X-Forwarded-For": "127.0.0.1",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **(headers or {}),
    }
    template = resource or path
    now = time.time()
    return {
        "resource": template,
        "path": path,
        "httpMethod": method,
        "headers": sent,
        "multiValueHeaders": {name: [value] for name, value in sent.items()},
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "r3s0urc3",
            "resourcePath": template,
            "httpMethod": method,
            "extendedRequestId": uuid.uuid4().hex[:16],
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{STAGE}{path}" + (f"?{urlencode(query)}" if query else ""),
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": "abcdef1234",
            "requestTimeEpoch": int(now * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "bench/1.0", "accessKey": None, "user": None},
            "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com",
            "apiId": "abcdef1234",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def webhook_event(body: bytes, signed_headers: dict[str, str]) -> dict[str, Any]:
    return rest_event(
        "POST",
        "/api/webhooks/payment",
        headers={"Content-Type": "application/json", **signed_headers},
        body=body.decode("utf-8"),
    )
