"""Fixtures of the reliability suite. Everything runs against real Postgres (a database of our
own per module) and a redis-server of our own per test or per session, never the shared one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.conftest import Stack, Store, configure, wipe_and_seed
from tests.reliability.support import FIGURE_LABELS, FIGURES, RedisServer

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


@pytest.fixture
def services(module_database: str, suite_redis: RedisServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The app in process on this module's Postgres database and the suite's Redis."""
    stack = Stack("services", module_database, suite_redis.url)
    configure(monkeypatch, stack)
    wipe_and_seed()
    yield Store(stack)
    from chalicelib import cache, db

    db.reset_engine()
    cache.reset_cache()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for key, label in FIGURE_LABELS.items():
        terminalreporter.write_line(f"{label:32} {FIGURES.get(key, 0)}")
