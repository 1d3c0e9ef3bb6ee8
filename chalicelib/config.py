"""Settings from the environment: the one reader of os.environ in the project.

Secrets never live in .chalice/config.json. Locally a dev default is used; in AWS the webhook
secret comes from Secrets Manager when XSOLLA_WEBHOOK_SECRET_ARN is set, read once per container.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STAGES = ("local", "localstack", "prod")
SIGNATURE_SCHEMES = ("xsolla", "hmac-sha256")
CHECKOUT_PROVIDERS = ("simulated", "xsolla")
DEV_WEBHOOK_SECRET = "dev-webhook-secret"  # noqa: S105 - local stage only; other stages refuse to start without one
DEV_SESSION_SECRET = "dev-session-secret-not-for-production"  # noqa: S105 - local stage only
MAX_BODY_BYTES = 64 * 1024


class ConfigError(RuntimeError):
    """The process must not serve with this configuration."""


@dataclass(frozen=True)
class Settings:
    stage: str
    database_url: str
    redis_url: str | None
    redis_key_prefix: str
    webhook_secret: str | None
    webhook_secret_arn: str | None
    signature_schemes: tuple[str, ...]
    test_user_id: str
    session_secret: str | None
    session_secret_arn: str | None
    session_ttl_seconds: int
    checkout_provider: str
    accept_sandbox_orders: bool
    demo_login: bool
    xsolla_project_id: str | None
    xsolla_api_key: str | None
    xsolla_sandbox: bool
    xsolla_api_base: str
    xsolla_return_url: str | None
    xsolla_api_key_arn: str | None
    xsolla_default_country: str | None
    xsolla_timeout_s: float
    db_pool_size: int
    db_max_overflow: int
    db_ssl: bool
    db_prepared_statements: bool
    db_connect_timeout_s: float
    db_statement_timeout_ms: int
    redis_timeout_s: float
    items_cache_ttl_s: int
    purchases_cache_ttl_s: int
    order_rate_limit_per_minute: int
    static_dir: Path
    log_level: str

    @property
    def dev_tools(self) -> bool:
        return self.stage == "local"


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"expected a boolean, got {value!r}")


def _number(env: Mapping[str, str], name: str, default: float, kind: type = int) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(kind(raw))
    except ValueError:
        raise ConfigError(f"{name} must be a number") from None


def _safe_api_base(url: str) -> bool:
    """The API key travels in every request: plain http only to a local fake of the API."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"))


def _secret(env: Mapping[str, str], name: str) -> str | None:
    """A secret of only whitespace (a template's placeholder, a stray newline) is no secret: anyone
    could sign with it."""
    value = env.get(name) or ""
    return value if value.strip() else None


def normalise_database_url(url: str) -> str:
    """Accept the URLs that RDS and docker images hand out and pin the pure-Python driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+pg8000://" + url[len(prefix) :]
    return url


def _secret_source(
    env: Mapping[str, str], name: str, dev_default: str, production: bool
) -> tuple[str | None, str | None]:
    """(value, Secrets Manager ARN) for ``name``: one of them outside the local stage."""
    value, arn = _secret(env, name), env.get(f"{name}_ARN") or None
    if value is None and arn is None:
        if production:
            raise ConfigError(f"{name} or {name}_ARN is required outside the local stage")
        value = dev_default
    return value, arn


def load_settings(env: Mapping[str, str]) -> Settings:
    stage = env.get("STAGE", "local") or "local"
    if stage not in STAGES:
        raise ConfigError(f"STAGE must be one of {', '.join(STAGES)}")
    production = stage != "local"

    database_url = env.get("DATABASE_URL") or ""
    if not database_url:
        if production:
            raise ConfigError("DATABASE_URL is required outside the local stage")
        database_url = f"sqlite:///{PROJECT_ROOT / '.data' / 'store.db'}"

    secret, secret_arn = _secret_source(env, "XSOLLA_WEBHOOK_SECRET", DEV_WEBHOOK_SECRET, production)
    session_secret, session_secret_arn = _secret_source(env, "SESSION_SECRET", DEV_SESSION_SECRET, production)
    if production and session_secret is not None and len(session_secret.encode("utf-8")) < 32:
        raise ConfigError("SESSION_SECRET must be at least 32 bytes")

    schemes = tuple(
        s.strip() for s in env.get("WEBHOOK_SIGNATURE_SCHEMES", "xsolla,hmac-sha256").split(",") if s.strip()
    )
    unknown = [s for s in schemes if s not in SIGNATURE_SCHEMES]
    if unknown or not schemes:
        raise ConfigError(f"WEBHOOK_SIGNATURE_SCHEMES must be a list of {', '.join(SIGNATURE_SCHEMES)}")

    provider = env.get("CHECKOUT_PROVIDER", "simulated") or "simulated"
    if provider not in CHECKOUT_PROVIDERS:
        raise ConfigError(f"CHECKOUT_PROVIDER must be one of {', '.join(CHECKOUT_PROVIDERS)}")
    api_key_arn = env.get("XSOLLA_API_KEY_ARN") or None
    if provider == "xsolla" and not (env.get("XSOLLA_PROJECT_ID") and (env.get("XSOLLA_API_KEY") or api_key_arn)):
        raise ConfigError("CHECKOUT_PROVIDER=xsolla needs XSOLLA_PROJECT_ID and XSOLLA_API_KEY or XSOLLA_API_KEY_ARN")
    project_id = env.get("XSOLLA_PROJECT_ID") or ""
    if project_id and not (project_id.isascii() and project_id.isdigit()):
        raise ConfigError("XSOLLA_PROJECT_ID must be the numeric project id")
    country = (env.get("XSOLLA_DEFAULT_COUNTRY") or "").upper() or None
    if country is not None and not (len(country) == 2 and country.isascii() and country.isalpha()):
        raise ConfigError("XSOLLA_DEFAULT_COUNTRY must be a two-letter ISO 3166-1 country code")
    api_base = (env.get("XSOLLA_API_BASE") or "https://store.xsolla.com/api").rstrip("/")
    if not _safe_api_base(api_base):
        raise ConfigError("XSOLLA_API_BASE must be an https:// URL (http:// only for a loopback host)")

    return Settings(
        stage=stage,
        database_url=normalise_database_url(database_url),
        redis_url=env.get("REDIS_URL") or None,
        redis_key_prefix=env.get("REDIS_KEY_PREFIX") or "store",
        webhook_secret=secret,
        webhook_secret_arn=secret_arn,
        signature_schemes=schemes,
        test_user_id=env.get("TEST_USER_ID") or "test-user",
        session_secret=session_secret,
        session_secret_arn=session_secret_arn,
        session_ttl_seconds=int(_number(env, "SESSION_TTL_SECONDS", 3600)),
        checkout_provider=provider,
        accept_sandbox_orders=_bool(env.get("ACCEPT_SANDBOX_ORDERS"), stage != "prod"),
        demo_login=_bool(env.get("DEMO_LOGIN"), stage != "prod"),
        xsolla_project_id=env.get("XSOLLA_PROJECT_ID") or None,
        xsolla_api_key=env.get("XSOLLA_API_KEY") or None,
        xsolla_sandbox=_bool(env.get("XSOLLA_SANDBOX"), True),
        xsolla_api_base=api_base,
        xsolla_return_url=env.get("XSOLLA_RETURN_URL") or None,
        xsolla_api_key_arn=api_key_arn,
        xsolla_default_country=country,
        xsolla_timeout_s=float(_number(env, "XSOLLA_TIMEOUT_S", 4.0, float)),
        # A Lambda environment serves one request at a time: one connection is all it can use.
        db_pool_size=int(_number(env, "DB_POOL_SIZE", 1 if production else 5)),
        db_max_overflow=int(_number(env, "DB_MAX_OVERFLOW", 0 if production else 5)),
        db_ssl=_bool(env.get("DB_SSL"), False),
        # Off behind a pooler that cannot carry named prepared statements across transactions
        # (PgBouncer in transaction mode before 1.21): the grant then runs as an ordinary transaction.
        db_prepared_statements=_bool(env.get("DB_PREPARED_STATEMENTS"), True),
        db_connect_timeout_s=float(_number(env, "DB_CONNECT_TIMEOUT_S", 3.0, float)),
        db_statement_timeout_ms=int(_number(env, "DB_STATEMENT_TIMEOUT_MS", 5000)),
        redis_timeout_s=float(_number(env, "REDIS_TIMEOUT_S", 0.05, float)),
        items_cache_ttl_s=int(_number(env, "ITEMS_CACHE_TTL_S", 300)),
        purchases_cache_ttl_s=int(_number(env, "PURCHASES_CACHE_TTL_S", 60)),
        order_rate_limit_per_minute=int(_number(env, "ORDER_RATE_LIMIT_PER_MINUTE", 30)),
        static_dir=Path(env.get("STATIC_DIR") or PROJECT_ROOT / "frontend" / "dist"),
        log_level=env.get("LOG_LEVEL", "INFO"),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings(os.environ)


def reset_settings() -> None:
    """Forget cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()


SECRET_REFRESH_INTERVAL_S = 30.0
_last_refresh: dict[str, float] = {}


def _from_secrets_manager(arn: str, refresh: bool) -> str:
    import time

    from chalicelib import aws_secrets

    # A flood of forged webhooks must not become one Secrets Manager call each.
    if refresh and time.monotonic() - _last_refresh.get(arn, float("-inf")) < SECRET_REFRESH_INTERVAL_S:
        refresh = False
    if refresh:
        _last_refresh[arn] = time.monotonic()
    value = aws_secrets.get_secret(arn, refresh=refresh)
    if not value:
        raise ConfigError("the secret in Secrets Manager is empty")
    return value


def webhook_secret(*, refresh: bool = False) -> str:
    """The shared webhook secret. refresh=True re-reads Secrets Manager after a failed
    signature (at most every 30 s), so a rotated secret is picked up without a redeploy."""
    settings = get_settings()
    if settings.webhook_secret_arn:
        return _from_secrets_manager(settings.webhook_secret_arn, refresh)
    assert settings.webhook_secret is not None
    return settings.webhook_secret


def session_secret() -> str:
    settings = get_settings()
    if settings.session_secret_arn:
        return _from_secrets_manager(settings.session_secret_arn, refresh=False)
    assert settings.session_secret is not None
    return settings.session_secret


def xsolla_api_key(*, refresh: bool = False) -> str:
    """The Store API key, from XSOLLA_API_KEY or, in AWS, Secrets Manager (XSOLLA_API_KEY_ARN wins)."""
    settings = get_settings()
    if settings.xsolla_api_key_arn:
        from chalicelib import aws_secrets

        return aws_secrets.get_secret(settings.xsolla_api_key_arn, refresh=refresh)
    if settings.xsolla_api_key is None:
        raise ConfigError("XSOLLA_API_KEY or XSOLLA_API_KEY_ARN is not set")
    return settings.xsolla_api_key
