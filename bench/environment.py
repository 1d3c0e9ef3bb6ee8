"""The bench's own Postgres database and Redis key prefix, created for one run and removed after."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", os.environ.get("TEST_DATABASE_URL", "postgresql+pg8000://postgres@127.0.0.1:5432/test")
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
WEBHOOK_SECRET = "bench-webhook-secret"
SESSION_SECRET = "bench-session-secret-at-least-32-bytes"
SENDERS = 8


@dataclass(frozen=True)
class Environment:
    database_url: str
    redis_url: str
    key_prefix: str
    app_env: dict[str, str]
    users: tuple[str, ...]

    def child_env(self) -> dict[str, str]:
        return {**os.environ, **self.app_env, "PYTHONPATH": str(ROOT)}


def check_services() -> str | None:
    """Why the bench cannot run here (Postgres or Redis unreachable), or None."""
    import redis
    from sqlalchemy import create_engine, text

    from chalicelib.config import normalise_database_url

    engine = create_engine(normalise_database_url(BASE_DATABASE_URL), connect_args={"timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return f"Postgres at BENCH_DATABASE_URL/TEST_DATABASE_URL is not reachable ({type(exc).__name__})"
    finally:
        engine.dispose()
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"Redis at BENCH_REDIS_URL/TEST_REDIS_URL is not reachable ({type(exc).__name__})"
    return None


@contextmanager
def provisioned() -> Iterator[Environment]:
    """Create, migrate and seed a database; point this process's settings at it; clean up."""
    import redis
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from chalicelib.config import normalise_database_url

    base = normalise_database_url(BASE_DATABASE_URL)
    name = f"store_bench_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", connect_args={"timeout": 3})
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    prefix = f"bench-{secrets.token_hex(6)}"
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=3)
    try:
        client.ping()
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        app_env = {
            "STAGE": "local",
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "REDIS_KEY_PREFIX": prefix,
            "XSOLLA_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "SESSION_SECRET": SESSION_SECRET,
            "TEST_USER_ID": "test-user",
            "WEBHOOK_SIGNATURE_SCHEMES": "xsolla,hmac-sha256",
            "ORDER_RATE_LIMIT_PER_MINUTE": "100000",
            "DB_POOL_SIZE": "5",
        }
        os.environ.update(app_env)
        users = tuple(f"bench-user-{n}" for n in range(SENDERS))
        _migrate_and_seed(url, users)
        yield Environment(url, REDIS_URL, prefix, app_env, users)
    finally:
        from chalicelib import cache, config, db

        db.reset_engine()
        cache.reset_cache()
        config.reset_settings()
        for key in client.scan_iter(match=f"{{{prefix}:*", count=1000):
            client.delete(key)
        client.close()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate_and_seed(url: str, users: tuple[str, ...]) -> None:
    from chalicelib import cache, config, db
    from chalicelib.cli import migrate
    from chalicelib.db import transaction
    from chalicelib.orders import ensure_user
    from chalicelib.seed import seed

    config.reset_settings()
    db.reset_engine()
    cache.reset_cache()
    migrate(database_url=url)
    seed()
    with transaction() as session:
        for user in users:
            ensure_user(session, user)


def catalogue() -> list[tuple[str, str, str, str]]:
    """(sku, price, currency, type) of every seeded item."""
    from sqlalchemy import select

    from chalicelib.db import transaction
    from chalicelib.models import Item

    with transaction() as session:
        return [(i.sku, str(i.price), i.currency, i.type) for i in session.scalars(select(Item).order_by(Item.id))]


def paid_delivery(
    user: str, item: tuple[str, str, str, str], order_id: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """One signed order_paid for one unit of ``item``: the bytes and the headers to send them with."""
    from decimal import Decimal

    from chalicelib import signatures, xsolla_payloads

    sku, price, currency, item_type = item
    payload = xsolla_payloads.order_notification(
        "order_paid",
        order_id=order_id or xsolla_payloads.new_order_id(),
        user_id=user,
        currency=currency,
        lines=[xsolla_payloads.Line(sku=sku, quantity=1, amount=Decimal(price), item_type=item_type)],
    )
    body = xsolla_payloads.encode(payload)
    return body, signatures.sign(body, WEBHOOK_SECRET)
