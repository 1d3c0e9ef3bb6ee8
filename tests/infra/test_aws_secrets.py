"""get_secret against moto: read once, served from memory after, re-read on refresh."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from chalicelib import aws_secrets


@pytest.fixture
def secrets(aws: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws)
    monkeypatch.setattr(aws_secrets, "_values", {})
    monkeypatch.setattr(aws_secrets, "_clients", {})
    return boto3.client("secretsmanager", endpoint_url=aws, region_name="us-east-1")


def _count_reads() -> list[str]:
    calls: list[str] = []
    for client in aws_secrets._clients.values():
        client.meta.events.register("before-call.secrets-manager.GetSecretValue", lambda **kw: calls.append("read"))
    return calls


def test_reads_the_secret_string(secrets):
    arn = secrets.create_secret(Name="store/webhook", SecretString="s3cret")["ARN"]

    assert aws_secrets.get_secret(arn) == "s3cret"


def test_second_call_is_served_from_memory(secrets):
    arn = secrets.create_secret(Name="store/webhook", SecretString="old")["ARN"]
    aws_secrets.get_secret(arn)
    calls = _count_reads()
    secrets.put_secret_value(SecretId=arn, SecretString="new")

    assert aws_secrets.get_secret(arn) == "old"
    assert calls == []


def test_refresh_picks_up_a_rotated_secret(secrets):
    arn = secrets.create_secret(Name="store/webhook", SecretString="old")["ARN"]
    aws_secrets.get_secret(arn)
    calls = _count_reads()
    secrets.put_secret_value(SecretId=arn, SecretString="new")

    assert aws_secrets.get_secret(arn, refresh=True) == "new"
    assert aws_secrets.get_secret(arn) == "new"
    assert calls == ["read"]


def test_one_client_serves_every_secret(secrets):
    first = secrets.create_secret(Name="store/one", SecretString="1")["ARN"]
    second = secrets.create_secret(Name="store/two", SecretString="2")["ARN"]

    assert (aws_secrets.get_secret(first), aws_secrets.get_secret(second)) == ("1", "2")
    assert len(aws_secrets._clients) == 1


def test_region_comes_from_the_arn(secrets, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    arn = secrets.create_secret(Name="store/webhook", SecretString="s3cret")["ARN"]

    assert aws_secrets.get_secret(arn) == "s3cret"
    assert list(aws_secrets._clients) == ["us-east-1"]


def test_missing_secret_raises_secret_error_without_caching(secrets):
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:store/absent-AbCdEf"

    with pytest.raises(aws_secrets.SecretError, match="ResourceNotFoundException"):
        aws_secrets.get_secret(arn)
    assert arn not in aws_secrets._values


def test_unreachable_endpoint_raises_secret_error(secrets, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")

    with pytest.raises(aws_secrets.SecretError, match="EndpointConnectionError"):
        aws_secrets.get_secret("arn:aws:secretsmanager:us-east-1:123456789012:secret:store/x-AbCdEf")


def test_binary_secret_is_rejected(secrets):
    arn = secrets.create_secret(Name="store/binary", SecretBinary=b"\x00\x01")["ARN"]

    with pytest.raises(aws_secrets.SecretError, match="no SecretString"):
        aws_secrets.get_secret(arn)


def test_importing_the_module_does_not_import_boto3():
    root = Path(__file__).resolve().parents[2]
    probe = "import sys, chalicelib.aws_secrets; print(sorted({'boto3', 'botocore'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"


def test_config_reads_both_secrets_from_secrets_manager_and_throttles_refreshes(secrets, monkeypatch):
    from chalicelib import config

    webhook = secrets.create_secret(Name="store/webhook-secret", SecretString="hook-1")["ARN"]
    session = secrets.create_secret(Name="store/session-secret", SecretString="k" * 40)["ARN"]
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/store")
    monkeypatch.setenv("XSOLLA_WEBHOOK_SECRET_ARN", webhook)
    monkeypatch.setenv("SESSION_SECRET_ARN", session)
    monkeypatch.setattr(config, "_last_refresh", {})
    config.reset_settings()
    try:
        assert config.webhook_secret() == "hook-1"
        assert config.session_secret() == "k" * 40
        secrets.put_secret_value(SecretId=webhook, SecretString="hook-2")
        assert config.webhook_secret(refresh=True) == "hook-2"
        secrets.put_secret_value(SecretId=webhook, SecretString="hook-3")
        calls = _count_reads()
        assert config.webhook_secret(refresh=True) == "hook-2"
        assert calls == []
    finally:
        config.reset_settings()
