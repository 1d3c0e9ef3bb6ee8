"""Settings: safe local defaults, and production refusing to start without secrets."""

import pytest

from chalicelib.config import ConfigError, load_settings, normalise_database_url

PROD = {
    "STAGE": "prod",
    "DATABASE_URL": "postgresql://u@db/store",
    "XSOLLA_WEBHOOK_SECRET": "s" * 32,
    "SESSION_SECRET": "k" * 32,
}


def test_local_defaults_need_no_services():
    settings = load_settings({})
    assert settings.stage == "local" and settings.dev_tools
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith(".data/store.db")
    assert settings.redis_url is None
    assert settings.signature_schemes == ("xsolla", "hmac-sha256")
    assert settings.checkout_provider == "simulated" and settings.test_user_id == "test-user"


def test_prod_with_everything_set():
    settings = load_settings(PROD)
    assert not settings.dev_tools and settings.db_pool_size == 1
    assert settings.database_url == "postgresql+pg8000://u@db/store"
    assert settings.accept_sandbox_orders is False
    assert settings.demo_login is False
    assert settings.db_max_overflow == 0


@pytest.mark.parametrize("missing", ["DATABASE_URL", "XSOLLA_WEBHOOK_SECRET", "SESSION_SECRET"])
def test_prod_refuses_to_start_without(missing):
    env = {**PROD, missing: ""}
    with pytest.raises(ConfigError):
        load_settings(env)


def test_prod_accepts_a_secret_from_secrets_manager_instead():
    env = {**PROD, "XSOLLA_WEBHOOK_SECRET": "", "XSOLLA_WEBHOOK_SECRET_ARN": "arn:aws:secretsmanager:x"}
    assert load_settings(env).webhook_secret_arn == "arn:aws:secretsmanager:x"


def test_prod_accepts_the_session_secret_from_secrets_manager():
    env = {**PROD, "SESSION_SECRET": "", "SESSION_SECRET_ARN": "arn:aws:secretsmanager:y"}
    assert load_settings(env).session_secret_arn == "arn:aws:secretsmanager:y"


def test_prod_refuses_a_short_session_secret():
    with pytest.raises(ConfigError):
        load_settings({**PROD, "SESSION_SECRET": "short"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STAGE", "staging"),
        ("WEBHOOK_SIGNATURE_SCHEMES", "md5"),
        ("CHECKOUT_PROVIDER", "paypal"),
        ("DB_POOL_SIZE", "many"),
        ("XSOLLA_SANDBOX", "maybe"),
    ],
)
def test_invalid_values_are_refused(name, value):
    with pytest.raises(ConfigError):
        load_settings({name: value})


def test_xsolla_checkout_needs_credentials():
    with pytest.raises(ConfigError):
        load_settings({"CHECKOUT_PROVIDER": "xsolla"})


def test_database_urls_get_the_pure_python_driver():
    assert normalise_database_url("postgres://a@b/c") == "postgresql+pg8000://a@b/c"
    assert normalise_database_url("postgresql+pg8000://a@b/c") == "postgresql+pg8000://a@b/c"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
