"""Xsolla's Store API, server side: create a Store order and its Pay Station token.

One call, `POST {base}/v3/project/{project_id}/admin/payment/token`, with HTTP Basic
`project_id:api_key`. The standard library's http.client is enough for one JSON POST and costs
nothing at cold start (it is imported inside the call). It never follows a redirect, so the
Basic credentials cannot be forwarded to another host, and nothing here retries: the call
creates an order at Xsolla, so a retry after a lost answer could create a second one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PAYSTATION_URL = "https://secure.xsolla.com/paystation4/?token="
SANDBOX_PAYSTATION_URL = "https://sandbox-secure.xsolla.com/paystation4/?token="
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "game-item-store"


@dataclass(frozen=True)
class PaymentToken:
    order_id: int
    token: str


class Refused(Exception):
    """Xsolla answered, and not with a token: the status and Xsolla's numeric error code, if any."""

    def __init__(self, status: int, error_code: int | None = None, detail: str = ""):
        super().__init__(f"HTTP {status} error_code={error_code}")
        self.status, self.error_code, self.detail = status, error_code, detail


class Unreachable(Exception):
    """No answer within the timeout, or no connection at all."""


def payment_token_body(
    *,
    user_id: str,
    email: str | None,
    items: Sequence[tuple[str, int]],
    sandbox: bool,
    external_id: str,
    currency: str | None = None,
    return_url: str | None = None,
    country: str | None = None,
) -> dict[str, Any]:
    user: dict[str, Any] = {"id": {"value": user_id}}
    if email:
        user["email"] = {"value": email}
    if country:
        user["country"] = {"value": country, "allow_modify": True}
    settings: dict[str, Any] = {"external_id": external_id}
    if currency:
        settings["currency"] = currency
    if return_url:
        settings["return_url"] = return_url
    return {
        "user": user,
        "purchase": {"items": [{"sku": sku, "quantity": quantity} for sku, quantity in items]},
        "sandbox": sandbox,
        "settings": settings,
    }


def paystation_url(token: str, *, sandbox: bool) -> str:
    from urllib.parse import quote

    return (SANDBOX_PAYSTATION_URL if sandbox else PAYSTATION_URL) + quote(token, safe="")


def create_payment_token(
    *,
    api_base: str,
    project_id: str,
    api_key: str,
    body: Mapping[str, Any],
    user_ip: str | None,
    timeout_s: float,
) -> PaymentToken:
    """Raises Refused for any answer but a token, Unreachable when there is no answer in time."""
    import base64
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(f"{api_base}/v3/project/{project_id}/admin/payment/token")
    credentials = base64.b64encode(f"{project_id}:{api_key}".encode()).decode("ascii")
    headers = {
        "Authorization": f"Basic {credentials}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }
    if user_ip:
        headers["X-User-Ip"] = user_ip
    connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    deadline = time.monotonic() + timeout_s
    connection = connection_class(url.hostname or "", url.port, timeout=timeout_s)
    try:
        connection.request("POST", url.path, body=json.dumps(body).encode("utf-8"), headers=headers)
        # One budget for the whole call, not a fresh timeout for every step of it.
        if connection.sock is not None:
            connection.sock.settimeout(max(deadline - time.monotonic(), 0.01))
        response = connection.getresponse()
        status, raw = response.status, response.read(MAX_RESPONSE_BYTES)
    except (OSError, http.client.HTTPException) as exc:
        raise Unreachable(type(exc).__name__) from None
    finally:
        connection.close()
    return _token_from(status, raw)


def _token_from(status: int, raw: bytes) -> PaymentToken:
    try:
        data = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        data = None
    if status not in (200, 201):
        error_code = data.get("errorCode") if isinstance(data, dict) else None
        message = data.get("errorMessage") if isinstance(data, dict) else None
        raise Refused(
            status,
            error_code if isinstance(error_code, int) else None,
            message[:200] if isinstance(message, str) else "",
        )
    if not isinstance(data, dict):
        raise Refused(status, detail="the answer is not a JSON object")
    order_id, token = data.get("order_id"), data.get("token")
    if not isinstance(order_id, int) or isinstance(order_id, bool) or not 0 < order_id < 2**63:
        raise Refused(status, detail="the answer has no usable order_id")
    if not isinstance(token, str) or not token or len(token) > 512:
        raise Refused(status, detail="the answer has no usable token")
    return PaymentToken(order_id=order_id, token=token)
