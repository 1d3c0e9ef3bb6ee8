"""Redis is an optimisation, never a dependency. A redis-server of the test's own is killed or
frozen (SIGSTOP) under the app: reads keep answering from Postgres within a second, webhooks
grant exactly once, health says "degraded", and once Redis is back the cache serves again
without ever showing a purchase list older than the last webhook."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib import xsolla_payloads
from chalicelib.cache import BREAKER_COOLDOWN_S
from chalicelib.models import Purchase, WebhookEvent
from tests.conftest import Store, paid_body
from tests.reliability.support import FIGURES, RedisServer, assert_clean_body, in_process_store

READ_BUDGET_S = 1.0


@pytest.fixture
def app(module_database: str, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    yield from in_process_store(module_database, redis_server, monkeypatch)


@dataclass
class Timed:
    status_code: int
    body: bytes
    seconds: float


def timed(store: Store, method: str, path: str, **kwargs: Any) -> Timed:
    started = time.monotonic()
    response = store.request(method, path, **kwargs)
    assert_clean_body(response.body)
    return Timed(response.status_code, response.body, time.monotonic() - started)


def read_everything(store: Store, token: str) -> dict[str, Any]:
    """The read paths a player hits, each answered in time."""
    answers = {}
    for path in ("/api/items", "/api/items?type=skin&sort=-price", "/api/purchases", "/api/purchases?status=paid"):
        response = timed(store, "GET", path, token=token)
        assert response.status_code == 200, (path, response.body)
        assert response.seconds < READ_BUDGET_S, (path, response.seconds)
        answers[path] = json.loads(response.body)
    return answers


def health(store: Store) -> str:
    response = timed(store, "GET", "/api/health")
    assert response.status_code == 200 and response.seconds < READ_BUDGET_S
    return str(json.loads(response.body)["cache"])


def deliver(store: Store, body: bytes) -> Any:
    started = time.monotonic()
    response = store.deliver(body)
    FIGURES["deliveries"] += 1
    assert response.status_code == 204, response.body
    assert time.monotonic() - started < READ_BUDGET_S
    return response


def namespace_keys(redis_server: RedisServer, namespace: str) -> list[bytes]:
    return sorted(redis_server.client().scan_iter(match=f"{{test-*:{namespace}}}*"))


def grants(store: Store, order_id: int) -> int:
    claims = [e for e in store.rows(WebhookEvent) if e.processed_key == f"order_paid:{order_id}"]
    assert len(claims) == 1
    return len(store.rows(Purchase, order_id=order_id))


def test_killed_redis_degrades_to_the_database_and_recovers_on_restart(app: Store, redis_server: RedisServer) -> None:
    token = app.token()
    assert health(app) == "ok"
    before = read_everything(app, token)
    assert namespace_keys(redis_server, "items"), "the catalogue was not cached while Redis was up"

    redis_server.kill()
    assert health(app) == "degraded"
    during = read_everything(app, token)
    assert during["/api/items"] == before["/api/items"]

    order_id = xsolla_payloads.new_order_id()
    body = paid_body(app, order_id=order_id, sku="gems-chest-550")
    deliver(app, body)
    deliver(app, body)
    assert grants(app, order_id) == 1
    listed = read_everything(app, token)["/api/purchases"]
    assert [p["order_id"] for p in listed["data"]] == [order_id]

    redis_server.start()
    assert health(app) == "ok"
    after = read_everything(app, token)
    assert [p["order_id"] for p in after["/api/purchases"]["data"]] == [order_id]
    assert namespace_keys(redis_server, "items"), "the cache did not fill again after Redis came back"
    assert_served_from_cache(app, token)


def assert_served_from_cache(store: Store, token: str) -> None:
    """Rename an item behind the cache's back: a cached catalogue still shows the old name."""
    from sqlalchemy import update

    from chalicelib.db import transaction
    from chalicelib.models import Item

    first = json.loads(timed(store, "GET", "/api/items?q=Ember", token=token).body)["data"][0]
    with transaction() as session:
        session.execute(update(Item).where(Item.id == first["id"]).values(name="Renamed behind the cache"))
    again = json.loads(timed(store, "GET", "/api/items?q=Ember", token=token).body)["data"][0]
    assert again["name"] == first["name"]


def test_hung_redis_costs_one_timeout_and_a_webhook_landing_meanwhile_is_never_hidden(
    app: Store, redis_server: RedisServer
) -> None:
    token = app.token()
    stale = read_everything(app, token)["/api/purchases"]
    assert stale["page"]["total"] == 0
    cached = namespace_keys(redis_server, "purchases:*")
    assert cached, "the purchase list was not cached while Redis was up"

    redis_server.freeze()
    started = time.monotonic()
    for _ in range(5):
        read_everything(app, token)
    assert time.monotonic() - started < 5 * READ_BUDGET_S
    assert health(app) == "degraded"

    # This read trips (or finds open) the breaker, so the webhook's invalidation right after it
    # cannot reach Redis at all: only the replay can stop the cached empty list coming back.
    read_everything(app, token)
    order_id = xsolla_payloads.new_order_id()
    body = paid_body(app, order_id=order_id)
    deliver(app, body)
    deliver(app, body)
    assert grants(app, order_id) == 1
    assert read_everything(app, token)["/api/purchases"]["page"]["total"] == 1

    redis_server.thaw()
    assert namespace_keys(redis_server, "purchases:*") == cached
    assert not [k for k in cached if k.endswith(b":gen")], "the invalidation reached Redis while it was frozen"
    time.sleep(BREAKER_COOLDOWN_S + 0.2)
    for _ in range(3):
        fresh = read_everything(app, token)
        assert fresh["/api/purchases"]["page"]["total"] == 1
        assert [p["order_id"] for p in fresh["/api/purchases?status=paid"]["data"]] == [order_id]
    assert [k for k in namespace_keys(redis_server, "purchases:*") if k.endswith(b":gen")], "no replay happened"
    assert health(app) == "ok"

    cancel = paid_body(app, order_id=order_id, kind="order_canceled")
    deliver(app, cancel)
    assert read_everything(app, token)["/api/purchases?status=paid"]["data"] == []


def test_webhook_during_a_hung_redis_then_recovery_through_health(app: Store, redis_server: RedisServer) -> None:
    token = app.token()
    assert read_everything(app, token)["/api/purchases"]["page"]["total"] == 0
    redis_server.freeze()
    assert health(app) == "degraded"
    order_id = xsolla_payloads.new_order_id()
    deliver(app, paid_body(app, order_id=order_id, sku="power-loot-magnet", quantity=3))
    redis_server.thaw()
    assert health(app) == "ok"
    listed = read_everything(app, token)["/api/purchases"]
    assert [(p["order_id"], p["quantity"]) for p in listed["data"]] == [(order_id, 3)]
    assert grants(app, order_id) == 1
