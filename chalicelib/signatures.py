"""Webhook signatures: sign() and verify() for Xsolla's scheme and Standard Webhooks.

Pure functions over raw bytes: no HTTP, no environment, no project imports.

- "xsolla": ``Authorization: Signature <hex>``, where hex = SHA-1(raw body || secret).
  It is a plain hash of a concatenation, not an HMAC; that is Xsolla's protocol.
- "hmac-sha256": Standard Webhooks v1: ``webhook-signature: v1,<base64 HMAC-SHA256 of
  "id.timestamp.body">``, with a +/-300 s timestamp window and several signatures allowed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from collections.abc import Mapping

XSOLLA = "xsolla"
HMAC_SHA256 = "hmac-sha256"
SCHEMES = (XSOLLA, HMAC_SHA256)
TOLERANCE_SECONDS = 300

_XSOLLA_HEADER = re.compile(r"Signature ([0-9a-f]{40})", re.ASCII)
_WEBHOOK_ID = re.compile(r"[\x21-\x7e]{1,256}", re.ASCII)
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)


class SignatureError(Exception):
    """The request is not signed by someone who holds the secret."""


def _xsolla_digest(body: bytes, secret: str) -> str:
    return hashlib.sha1(body + secret.encode("utf-8")).hexdigest()  # noqa: S324 - Xsolla's protocol


def _hmac_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except binascii.Error:
            raise SignatureError("the whsec_ secret is not valid base64") from None
    return secret.encode("utf-8")


def _hmac_signature(body: bytes, secret: str, msg_id: str, timestamp: int) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_hmac_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def sign(
    body: bytes,
    secret: str,
    scheme: str = XSOLLA,
    *,
    msg_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The headers that authenticate ``body``; send exactly these bytes with them."""
    if scheme == XSOLLA:
        return {"Authorization": f"Signature {_xsolla_digest(body, secret)}"}
    if scheme == HMAC_SHA256:
        if msg_id is None:
            msg_id = "msg_" + hashlib.sha256(body).hexdigest()[:24]
        if timestamp is None:
            timestamp = int(time.time())
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": _hmac_signature(body, secret, msg_id, timestamp),
        }
    raise ValueError(f"unknown signature scheme {scheme!r}")


def _verify_xsolla(body: bytes, secret: str, authorization: str) -> None:
    match = _XSOLLA_HEADER.fullmatch(authorization)
    if match is None:
        raise SignatureError("Authorization header must be 'Signature <40 lowercase hex>'")
    expected = _xsolla_digest(body, secret).encode("ascii")
    if not hmac.compare_digest(expected, match.group(1).encode("ascii")):
        raise SignatureError("signature does not match the body")


def _verify_hmac(body: bytes, secret: str, headers: Mapping[str, str], now: float, tolerance: int) -> None:
    msg_id = headers.get("webhook-id", "")
    raw_timestamp = headers.get("webhook-timestamp", "")
    raw_signatures = headers.get("webhook-signature", "")
    if not _WEBHOOK_ID.fullmatch(msg_id) or not _TIMESTAMP.fullmatch(raw_timestamp):
        raise SignatureError("webhook-id and webhook-timestamp headers are required")
    timestamp = int(raw_timestamp)
    if abs(now - timestamp) > tolerance:
        raise SignatureError("webhook-timestamp is outside the allowed window")
    expected = _hmac_signature(body, secret, msg_id, timestamp).encode("ascii")
    for candidate in raw_signatures.split(" "):
        if candidate.startswith("v1,") and candidate.isascii():
            if hmac.compare_digest(expected, candidate.encode("ascii")):
                return
    raise SignatureError("no webhook-signature entry matches the body")


def verify(
    body: bytes,
    headers: Mapping[str, str],
    secret: str,
    schemes: tuple[str, ...] = SCHEMES,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> str:
    """Check the signature of ``body``; return the scheme that verified it.

    ``headers`` must be keyed by lower-case names. The scheme is chosen by the headers
    present: Standard Webhooks headers win over Authorization.
    """
    if not secret:
        raise SignatureError("no webhook secret is configured")
    if HMAC_SHA256 in schemes and "webhook-signature" in headers:
        _verify_hmac(body, secret, headers, time.time() if now is None else now, tolerance)
        return HMAC_SHA256
    if XSOLLA in schemes and "authorization" in headers:
        _verify_xsolla(body, secret, headers["authorization"])
        return XSOLLA
    raise SignatureError("the request carries no signature header of an accepted scheme")
