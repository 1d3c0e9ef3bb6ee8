"""Fixtures of the reliability suite. Everything runs against real Postgres (a database of our
own per module) and a redis-server of our own per test or per session, never the shared one."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.conftest import (
    ROOT,
    SESSION_SECRET,
    WEBHOOK_SECRET,
    Server,
    Store,
    start_server,
    stop_server,
)
from tests.reliability.support import FIGURE_LABELS, FIGURES, RedisServer, in_process_store

settings.register_profile(
    "reliability",
    max_examples=int(os.environ.get("RELIABILITY_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def suite_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def module_database(new_postgres_database: Any) -> str:
    return str(new_postgres_database())


@pytest.fixture(scope="session")
def live_app(
    new_postgres_database: Any, suite_redis: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """`chalice local` as `make run` starts it, on a database of its own, with a storefront of
    three known files so that static answers do not depend on a frontend build."""
    static = tmp_path_factory.mktemp("storefront")
    (static / "assets").mkdir()
    (static / "index.html").write_text("<!doctype html><title>store</title>")
    (static / "assets" / "app-1234.js").write_text("console.log('store')")
    (static / "favicon.ico").write_bytes(b"\x00\x00\x01\x00")
    env = {
        "STAGE": "local",
        "DATABASE_URL": new_postgres_database(),
        "REDIS_URL": suite_redis.url,
        "REDIS_KEY_PREFIX": f"live-{secrets.token_hex(4)}",
        "XSOLLA_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SESSION_SECRET": SESSION_SECRET,
        "ORDER_RATE_LIMIT_PER_MINUTE": "100000",
        "STATIC_DIR": str(static),
    }
    subprocess.run(
        [sys.executable, "scripts/seed_items.py"], cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True
    )
    running = start_server(env, tmp_path_factory.mktemp("live-app") / "chalice.log")
    yield running
    stop_server(running)


@pytest.fixture
def services(module_database: str, suite_redis: RedisServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The app in process on this module's Postgres database and the suite's Redis."""
    yield from in_process_store(module_database, suite_redis, monkeypatch)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for key, label in FIGURE_LABELS.items():
        terminalreporter.write_line(f"{label:32} {FIGURES.get(key, 0)}")
