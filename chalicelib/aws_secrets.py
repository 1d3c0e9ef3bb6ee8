"""Secrets Manager reads, once per Lambda container.

boto3 is imported inside the call: importing it and building a client costs about 0.4 s of
cold start, which only the requests that need a secret should pay. Endpoint and region come
from boto3's own configuration (AWS_ENDPOINT_URL, AWS_REGION), or from the secret's ARN.
"""

from __future__ import annotations

import threading
from typing import Any

_values: dict[str, str] = {}
_clients: dict[str | None, Any] = {}
_lock = threading.Lock()


class SecretError(RuntimeError):
    """A secret could not be read. The message names the secret, never its value."""


def get_secret(arn: str, *, refresh: bool = False) -> str:
    """The SecretString of `arn`, cached for the life of the process.

    refresh=True reads it again: the webhook handler does that once after a signature fails,
    so a rotated secret is picked up without a redeploy.
    """
    if not refresh:
        cached = _values.get(arn)
        if cached is not None:
            return cached
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = _client(_region_of(arn)).get_secret_value(SecretId=arn)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "ClientError")
        raise SecretError(f"cannot read secret {arn}: {code}") from exc
    except BotoCoreError as exc:
        raise SecretError(f"cannot read secret {arn}: {type(exc).__name__}") from exc
    value: str | None = response.get("SecretString")
    if value is None:
        raise SecretError(f"secret {arn} has no SecretString (binary secrets are not supported)")
    if not value.strip():
        raise SecretError(f"secret {arn} is empty")
    _values[arn] = value
    return value


def _region_of(arn: str) -> str | None:
    # arn:aws:secretsmanager:<region>:<account>:secret:<name>; a plain name uses boto3's default.
    parts = arn.split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[2] == "secretsmanager":
        return parts[3] or None
    return None


def _client(region: str | None) -> Any:
    client = _clients.get(region)
    if client is None:
        # boto3's default session is not thread-safe to create, and chalice local is threaded.
        with _lock:
            client = _clients.get(region)
            if client is None:
                import boto3

                client = boto3.client("secretsmanager", region_name=region)
                _clients[region] = client
    return client
