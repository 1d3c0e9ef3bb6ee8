"""Shared fixtures. Every API test runs twice: on the embedded defaults (SQLite + in-process
cache) and on real services (Postgres + Redis at TEST_DATABASE_URL / TEST_REDIS_URL). Without
CI a missing service skips its half; with CI set it fails."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scripts import local_server

ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+pg8000://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = bool(os.environ.get("CI"))
WEBHOOK_SECRET = "test-webhook-secret"
SESSION_SECRET = "test-session-secret-at-least-32-bytes-long"
TABLES = ("purchases", "order_lines", "orders", "webhook_events", "items", "users")


def unavailable(what: str, why: object) -> None:
    message = f"{what} is not reachable ({why}); start it or set the TEST_* URL"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


free_port = local_server.free_port


@pytest.fixture(scope="session")
def new_postgres_database() -> Iterator[Any]:
    """Creates databases of our own for this run (so parallel runs never share rows), and drops
    them at the end."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from chalicelib.config import normalise_database_url

    base = normalise_database_url(TEST_DATABASE_URL)
    admin = create_engine(base, isolation_level="AUTOCOMMIT", connect_args={"timeout": 3})
    created: list[str] = []

    def create() -> str:
        name = f"store_test_{secrets.token_hex(4)}"
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # noqa: BLE001 - any failure means "no usable Postgres"
            unavailable("Postgres", type(exc).__name__)
        created.append(name)
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        migrate(url)
        return url

    yield create
    with admin.connect() as connection:
        for name in created:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_url(new_postgres_database: Any) -> str:
    return str(new_postgres_database())


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        unavailable("Redis", type(exc).__name__)
    return TEST_REDIS_URL


@dataclass(frozen=True)
class Stack:
    name: str
    database_url: str
    redis_url: str | None


def migrate(database_url: str) -> None:
    from chalicelib.cli import migrate as upgrade

    upgrade(database_url=database_url)


@pytest.fixture(scope="session", params=["embedded", "services"])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    if request.param == "embedded":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'store.db'}"
        migrate(url)
        return Stack("embedded", url, None)
    return Stack("services", request.getfixturevalue("postgres_url"), request.getfixturevalue("redis_url"))


def configure(monkeypatch: pytest.MonkeyPatch, stack: Stack, **overrides: str) -> None:
    """Point the app at ``stack`` with a clean cache namespace and fresh clients."""
    from chalicelib import cache, config, db

    env = {
        "STAGE": "local",
        "DATABASE_URL": stack.database_url,
        "REDIS_KEY_PREFIX": f"test-{secrets.token_hex(6)}",
        "XSOLLA_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SESSION_SECRET": SESSION_SECRET,
        "TEST_USER_ID": "test-user",
        "WEBHOOK_SIGNATURE_SCHEMES": "xsolla,hmac-sha256",
        "ORDER_RATE_LIMIT_PER_MINUTE": "1000",
        **overrides,
    }
    if stack.redis_url:
        env.setdefault("REDIS_URL", stack.redis_url)
    else:
        monkeypatch.delenv("REDIS_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config.reset_settings()
    db.reset_engine()
    cache.reset_cache()
    config.get_settings()


def wipe_and_seed() -> None:
    from sqlalchemy import text

    from chalicelib.db import transaction
    from chalicelib.seed import seed

    with transaction() as session:
        for table in TABLES:
            session.execute(text(f"DELETE FROM {table}"))
    seed()


@dataclass(frozen=True)
class Reply:
    status_code: int
    headers: dict[str, str]
    body: bytes


class Store:
    """The app behind Chalice's test client, plus the helpers tests need."""

    def __init__(self, stack: Stack) -> None:
        from chalice.test import Client

        from app import app

        self.stack = stack
        self.client = Client(app, stage_name="local", project_dir=str(ROOT))

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> Any:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
        if body is not None and not any(k.lower() == "content-type" for k in sent):
            sent["Content-Type"] = "application/json"
        response = self.client.http.request(method, path, headers=sent, body=raw)
        return Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.body)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, body=body, **kwargs)

    def token(self, user_id: str = "test-user") -> str:
        from chalicelib.auth import issue_token
        from chalicelib.db import transaction
        from chalicelib.orders import ensure_user

        with transaction() as session:
            ensure_user(session, user_id)
        return issue_token(user_id)[0]

    def item(self, sku: str) -> dict[str, Any]:
        from sqlalchemy import select

        from chalicelib.catalog import item_json
        from chalicelib.db import transaction
        from chalicelib.models import Item

        with transaction() as session:
            return item_json(session.scalars(select(Item).where(Item.sku == sku)).one())

    def deliver(
        self,
        body: bytes,
        *,
        scheme: str = "xsolla",
        secret: str = WEBHOOK_SECRET,
        headers: dict[str, str] | None = None,
    ) -> Any:
        from chalicelib.signatures import sign

        signed = sign(body, secret, scheme) if headers is None else headers
        return self.post("/api/webhooks/payment", body, headers={"Content-Type": "application/json", **signed})

    def rows(self, model: Any, **filters: Any) -> list[Any]:
        from sqlalchemy import select

        from chalicelib.db import transaction

        with transaction() as session:
            statement = select(model).filter_by(**filters)
            return list(session.scalars(statement))


@pytest.fixture
def store(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    configure(monkeypatch, stack)
    wipe_and_seed()
    yield Store(stack)
    from chalicelib import db

    db.reset_engine()


def paid_body(
    store: Store,
    *,
    sku: str = "skin-ember-blade",
    quantity: int = 1,
    order_id: int | None = None,
    user: str = "test-user",
    kind: str = "order_paid",
    amount: str | None = None,
) -> bytes:
    from decimal import Decimal

    from chalicelib import xsolla_payloads

    item = store.item(sku)
    line_amount = Decimal(amount) if amount is not None else Decimal(item["price"]) * quantity
    payload = xsolla_payloads.order_notification(
        kind,
        order_id=order_id or xsolla_payloads.new_order_id(),
        user_id=user,
        currency=item["currency"],
        lines=[xsolla_payloads.Line(sku=sku, quantity=quantity, amount=line_amount, item_type=item["type"])],
    )
    return xsolla_payloads.encode(payload)


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path


def start_server(env: dict[str, str], log_path: Path) -> Server:
    """``chalice local`` as ``make run`` starts it, on a free port."""
    process, base = local_server.start({**os.environ, **env}, log_path)
    return Server(base, process, log_path)


def stop_server(server: Server) -> None:
    local_server.stop(server.process)


@pytest.fixture(scope="session")
def live_server(
    new_postgres_database: Any, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A real HTTP server on its own Postgres database + Redis, migrated and seeded like ``make run``."""
    env = {
        "DATABASE_URL": new_postgres_database(),
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": f"live-{secrets.token_hex(6)}",
        "XSOLLA_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SESSION_SECRET": SESSION_SECRET,
        "ORDER_RATE_LIMIT_PER_MINUTE": "1000",
        "STAGE": "local",
    }
    seed_env = {**os.environ, **env}
    subprocess.run([sys.executable, "scripts/seed_items.py"], cwd=ROOT, env=seed_env, check=True, capture_output=True)
    server = start_server(env, tmp_path_factory.mktemp("server") / "chalice.log")
    yield server
    stop_server(server)
