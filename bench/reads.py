"""Cached reads in process, invoked as Lambda does: hit, miss (invalidated before each call),
304, and the database statements a hit sends (counted on the app's real engine)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench.events import LambdaContext, rest_event
from bench.stats import summary_ms


class StatementCounter:
    """Counts statements the app's engine sends and connections it checks out of its pool."""

    def __init__(self) -> None:
        from sqlalchemy import event

        from chalicelib.db import get_engine

        self.statements = 0
        self.checkouts = 0
        engine = get_engine()
        event.listen(engine, "before_cursor_execute", self._on_statement)
        event.listen(engine.pool, "checkout", self._on_checkout)

    def _on_statement(self, *_args: Any) -> None:
        self.statements += 1

    def _on_checkout(self, *_args: Any) -> None:
        self.checkouts += 1

    def snapshot(self) -> tuple[int, int]:
        return self.statements, self.checkouts


Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
EventFactory = Callable[[dict[str, str]], dict[str, Any]]


def _timed(handler: Handler, event: dict[str, Any], expected: int, before: Callable[[], None] | None = None) -> float:
    context = LambdaContext()
    if before is not None:
        before()
    started = time.perf_counter()
    response = handler(event, context)
    elapsed = time.perf_counter() - started
    if response["statusCode"] != expected:
        raise RuntimeError(f"expected {expected}, got {response['statusCode']}: {response.get('body', '')[:300]}")
    return elapsed


def _measure(
    handler: Handler,
    make_event: EventFactory,
    invalidate: Callable[[], None],
    counter: StatementCounter,
    iterations: dict[str, int],
    budget_s: float,
) -> dict[str, Any]:
    invalidate()
    first = handler(make_event({}), LambdaContext())
    etag = first["headers"]["ETag"]
    for _ in range(20):
        handler(make_event({}), LambdaContext())

    def loop(n: int, call: Callable[[], float]) -> list[float]:
        samples: list[float] = []
        deadline = time.monotonic() + budget_s
        while len(samples) < n and (len(samples) < 5 or time.monotonic() < deadline):
            samples.append(call())
        return samples

    before = counter.snapshot()
    hits = loop(iterations["hit"], lambda: _timed(handler, make_event({}), 200))
    after = counter.snapshot()
    not_modified = loop(iterations["hit"], lambda: _timed(handler, make_event({"If-None-Match": etag}), 304))
    miss_before = counter.snapshot()
    misses = loop(iterations["miss"], lambda: _timed(handler, make_event({}), 200, invalidate))
    miss_after = counter.snapshot()
    hit, miss, cond = summary_ms(hits), summary_ms(misses), summary_ms(not_modified)
    return {
        "hit_p50_ms": hit["p50_ms"],
        "hit_p99_ms": hit["p99_ms"],
        "miss_p50_ms": miss["p50_ms"],
        "miss_p99_ms": miss["p99_ms"],
        "hit_speedup": round(miss["p50_ms"] / hit["p50_ms"], 1),
        "not_modified_p50_ms": cond["p50_ms"],
        "not_modified_p99_ms": cond["p99_ms"],
        "db_queries_on_hit": after[0] - before[0],
        "db_checkouts_on_hit": after[1] - before[1],
        "db_queries_per_miss": round((miss_after[0] - miss_before[0]) / len(misses), 2),
        "hit_samples": len(hits),
        "miss_samples": len(misses),
        "body_bytes": len(first["body"]),
    }


def run(iterations: dict[str, int], budget_s: float) -> dict[str, dict[str, Any]]:
    import app as application
    from chalicelib import auth, catalog, purchases
    from chalicelib.config import get_settings

    counter = StatementCounter()
    handler: Handler = application.app
    user = get_settings().test_user_id
    token = auth.issue_token(user)[0]

    def items(headers: dict[str, str]) -> dict[str, Any]:
        return rest_event("GET", "/api/items", query={"limit": "12", "offset": "0"}, headers=headers)

    def own_purchases(headers: dict[str, str]) -> dict[str, Any]:
        return rest_event(
            "GET",
            "/api/purchases",
            query={"limit": "10", "offset": "0"},
            headers={"Authorization": f"Bearer {token}", **headers},
        )

    return {
        "items": _measure(handler, items, catalog.invalidate, counter, iterations, budget_s),
        "purchases": _measure(
            handler, own_purchases, lambda: purchases.invalidate(user), counter, iterations, budget_s
        ),
    }
