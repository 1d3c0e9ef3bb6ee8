"""200 deliveries from 16 concurrent senders over 50 orders, against a real `chalice local` on
Postgres and Redis: duplicates, both signature schemes, forged copies, cancels before, after and
racing the payment. The database ends equal, row by row, to a small model of the rules."""

from __future__ import annotations

import json
import os
import random
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from chalicelib import signatures, xsolla_payloads
from chalicelib.seed import EXAMPLE_ITEMS
from tests.conftest import ROOT, SESSION_SECRET, WEBHOOK_SECRET, Server, start_server, stop_server
from tests.reliability.support import FIGURES, RedisServer, assert_clean_body, bearer, http, server_tracebacks

DELIVERIES = 200
SENDERS = 16
ORDERS = 50
FORGED = 10
PLAYERS = [f"player-{n}" for n in range(1, 7)]
PRICES = {sku: (Decimal(price), kind) for sku, _, _, kind, price in EXAMPLE_ITEMS}
SCENARIOS = ["paid", "paid_then_canceled", "canceled_then_paid", "racing", "canceled_only"]
RETRIES = 6
DEADLINE_S = 90


@dataclass
class Plan:
    order_id: int
    user: str
    lines: list[xsolla_payloads.Line]
    ours: bool
    scenario: str
    copies: Counter[str]

    def body(self, kind: str) -> bytes:
        payload = xsolla_payloads.order_notification(
            kind, order_id=self.order_id, user_id=self.user, lines=self.lines, mode="default"
        )
        return xsolla_payloads.encode(payload)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0"))


@pytest.fixture(scope="module")
def server(
    module_database: str, suite_redis: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    env = {
        "STAGE": "local",
        "DATABASE_URL": module_database,
        "REDIS_URL": suite_redis.url,
        "REDIS_KEY_PREFIX": f"conc-{secrets.token_hex(4)}",
        "XSOLLA_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SESSION_SECRET": SESSION_SECRET,
        "ORDER_RATE_LIMIT_PER_MINUTE": "1000",
    }
    subprocess.run(
        [sys.executable, "scripts/seed_items.py"], cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True
    )
    running = start_server(env, tmp_path_factory.mktemp("concurrency") / "chalice.log")
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def direct(module_database: str) -> Iterator[Engine]:
    engine = create_engine(module_database, poolclass=NullPool)
    yield engine
    engine.dispose()


def plan_orders(base: str, rng: random.Random) -> list[Plan]:
    plans = []
    for index in range(ORDERS):
        user = rng.choice(PLAYERS)
        scenario = SCENARIOS[index % len(SCENARIOS)]
        if index % 5 < 2:
            sku = rng.choice(sorted(PRICES))
            item_id = next(i["id"] for i in items(base) if i["sku"] == sku)
            reply = http(
                base, "POST", "/api/orders", json.dumps({"item_id": item_id, "quantity": 2}).encode(), bearer(user)
            )
            assert reply.status == 201, reply.body
            order = json.loads(reply.body)
            price, kind = PRICES[sku]
            lines = [xsolla_payloads.Line(sku=sku, quantity=2, amount=price * 2, item_type=kind)]
            plans.append(Plan(order["order_id"], user, lines, True, scenario, Counter()))
            continue
        lines = []
        for sku in rng.sample(sorted(PRICES), rng.randint(1, 3)):
            price, kind = PRICES[sku]
            quantity = rng.randint(1, 4)
            lines.append(xsolla_payloads.Line(sku=sku, quantity=quantity, amount=price * quantity, item_type=kind))
        plans.append(Plan(xsolla_payloads.new_order_id(), user, lines, False, scenario, Counter()))
    return plans


_ITEMS: list[dict[str, Any]] = []


def items(base: str) -> list[dict[str, Any]]:
    if not _ITEMS:
        _ITEMS.extend(json.loads(http(base, "GET", "/api/items?limit=100").body)["data"])
    return _ITEMS


def schedule(plans: list[Plan], rng: random.Random) -> tuple[list[tuple[Plan, str]], list[tuple[Plan, str]]]:
    """Two phases: what must arrive first for an order goes in phase one, the rest in phase two;
    racing orders send both kinds in phase one. Extra copies are duplicates, spread at random."""
    first: list[tuple[Plan, str]] = []
    second: list[tuple[Plan, str]] = []
    for plan in plans:
        kinds = {
            "paid": (["order_paid"], []),
            "paid_then_canceled": (["order_paid"], ["order_canceled"]),
            "canceled_then_paid": (["order_canceled"], ["order_paid"]),
            "racing": (["order_paid", "order_canceled"], []),
            "canceled_only": (["order_canceled"], []),
        }[plan.scenario]
        first += [(plan, kind) for kind in kinds[0]]
        second += [(plan, kind) for kind in kinds[1]]
    while len(first) + len(second) < DELIVERIES - FORGED:
        phase = rng.choice([first, second]) if second else first
        phase.append(rng.choice(phase))
    for phase in (first, second):
        for plan, kind in phase:
            plan.copies[kind] += 1
        rng.shuffle(phase)
    return first, second


@dataclass
class Outcome:
    status: int
    attempts: int


def send(base: str, body: bytes, headers: dict[str, str], deadline: float) -> Outcome:
    """As Xsolla does: a 5xx or no answer at all is retried; a 2xx or 4xx is final."""
    for attempt in range(1, RETRIES + 1):
        FIGURES["deliveries"] += 1
        try:
            reply = http(base, "POST", "/api/webhooks/payment", body, headers)
        except OSError:
            reply = None
        if reply is not None:
            assert_clean_body(reply.body)
            if reply.status < 500:
                return Outcome(reply.status, attempt)
        if time.monotonic() > deadline:
            break
        time.sleep(0.05 * attempt)
    return Outcome(0, RETRIES)


def run_phase(base: str, phase: list[tuple[Plan, str, bool]], rng: random.Random, deadline: float) -> list[Outcome]:
    jobs = []
    for plan, kind, forged in phase:
        body = plan.body(kind)
        scheme = rng.choice(signatures.SCHEMES)
        headers = signatures.sign(body, "not-the-secret" if forged else WEBHOOK_SECRET, scheme)
        jobs.append((body, headers, forged))
    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        outcomes = list(pool.map(lambda job: send(base, job[0], job[1], deadline), jobs))
    for (_, _, forged), outcome in zip(jobs, outcomes, strict=True):
        assert outcome.status == (400 if forged else 204), outcome
    return outcomes


def expected_state(plan: Plan, first: str | None) -> dict[str, Any]:
    """The rules: a grant only on the first order_paid of an order not canceled before it; a cancel
    revokes whatever was granted; every (type, order) is processed once."""
    paid_first = plan.copies["order_paid"] > 0 and (first == "order_paid" or plan.copies["order_canceled"] == 0)
    claims: dict[str, str] = {}
    if plan.copies["order_paid"]:
        claims[f"order_paid:{plan.order_id}"] = "granted" if paid_first else "ignored_canceled"
    if plan.copies["order_canceled"]:
        claims[f"order_canceled:{plan.order_id}"] = "revoked" if paid_first else "canceled_before_paid"
    canceled = plan.copies["order_canceled"] > 0
    status = "canceled" if canceled else "paid"
    purchases = []
    if paid_first:
        purchases = [
            (plan.order_id, plan.user, line.sku, line.quantity, line.amount, "canceled" if canceled else "paid")
            for line in plan.lines
        ]
    return {"order": (plan.user, status, plan.total, "USD"), "purchases": purchases, "claims": claims}


def actual_state(direct: Engine) -> dict[str, Any]:
    with direct.connect() as connection:
        orders = {
            row.id: (row.user_id, row.status, row.amount, row.currency)
            for row in connection.execute(text("SELECT id, user_id, status, amount, currency FROM orders"))
        }
        purchases = [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT p.order_id, p.user_id, i.sku, p.quantity, p.amount, p.status "
                    "FROM purchases p JOIN items i ON i.id = p.item_id"
                )
            )
        ]
        claims = [
            (row.id, row.processed_key, row.outcome)
            for row in connection.execute(
                text(
                    "SELECT id, processed_key, outcome FROM webhook_events WHERE processed_key IS NOT NULL ORDER BY id"
                )
            )
        ]
        audit_rows = connection.execute(text("SELECT count(*) FROM webhook_events")).scalar_one()
    return {"orders": orders, "purchases": purchases, "claims": claims, "audit_rows": audit_rows}


def test_two_hundred_concurrent_deliveries_end_in_the_modelled_state(server: Server, direct: Engine) -> None:
    rng = random.Random(20_261_204)
    base = server.base_url
    with direct.begin() as connection:
        for player in PLAYERS:
            connection.execute(
                text("INSERT INTO users (id, email, created_at) VALUES (:id, :email, now()) ON CONFLICT DO NOTHING"),
                {"id": player, "email": f"{player}@example.com"},
            )
    plans = plan_orders(base, rng)
    first, second = schedule(plans, rng)
    forged = [(plan, kind, True) for plan, kind in rng.sample(first + second, FORGED)]
    deadline = time.monotonic() + DEADLINE_S
    outcomes = run_phase(base, [(p, k, False) for p, k in first] + forged, rng, deadline)
    outcomes += run_phase(base, [(p, k, False) for p, k in second], rng, deadline)
    assert len(outcomes) == DELIVERIES

    actual = actual_state(direct)
    claim_order = {key: index for index, key, _ in actual["claims"]}
    expected_orders, expected_purchases, expected_claims = {}, [], {}
    for plan in plans:
        racing = {k: claim_order.get(f"{k}:{plan.order_id}", 0) for k in ("order_paid", "order_canceled")}
        first_kind = {
            "paid_then_canceled": "order_paid",
            "canceled_then_paid": "order_canceled",
            "racing": min(racing, key=lambda k: racing[k]),
        }.get(plan.scenario)
        model = expected_state(plan, first_kind)
        expected_orders[plan.order_id] = model["order"]
        expected_purchases += model["purchases"]
        expected_claims.update(model["claims"])

    have, want = Counter(actual["purchases"]), Counter(expected_purchases)
    FIGURES["doubled"] += sum((have - want).values())
    FIGURES["lost"] += sum((want - have).values()) + sum(1 for o in outcomes if o.status == 0)
    assert actual["orders"] == expected_orders
    assert sorted(have.elements()) == sorted(want.elements())
    assert {key: outcome for _, key, outcome in actual["claims"]} == expected_claims
    assert len(actual["claims"]) == len(expected_claims)
    answered = sum(1 for o in outcomes if o.status)
    assert answered <= actual["audit_rows"] <= sum(o.attempts for o in outcomes)
    assert {p.scenario for p in plans if p.copies["order_paid"] + p.copies["order_canceled"] > 2}, "no duplicates"
    assert_purchase_lists_are_fresh(base, plans, actual["purchases"])
    log = server.log_path.read_text()
    assert server_tracebacks(log) == [] and '" 500 ' not in log


def assert_purchase_lists_are_fresh(base: str, plans: list[Plan], rows: list[tuple[Any, ...]]) -> None:
    """Every player's cached list (Redis) agrees with the database after the storm."""
    for player in PLAYERS:
        reply = http(base, "GET", "/api/purchases?limit=100", headers=bearer(player))
        assert reply.status == 200
        listed = sorted((p["order_id"], p["item"]["sku"], p["status"]) for p in json.loads(reply.body)["data"])
        assert listed == sorted((r[0], r[2], r[5]) for r in rows if r[1] == player)
