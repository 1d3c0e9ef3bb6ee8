"""The same requests over HTTP through ``chalice local``, with keep-alive clients (as browsers
and Xsolla's senders are) and, for comparison, a new connection per request."""

from __future__ import annotations

import http.client
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.environment import Environment, paid_delivery
from bench.stats import summary_ms
from scripts import local_server

ITEMS = "/api/items?limit=12&offset=0"
BURST_CONNECTIONS = 64


def start(env: Environment, log_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    process, base = local_server.start(env.child_env(), log_path)
    return process, int(base.rsplit(":", 1)[1])


stop = local_server.stop


def _request(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    expected: int,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> float:
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    if response.status != expected:
        raise RuntimeError(f"{method} {path} answered {response.status}, expected {expected}")
    return elapsed


def _repeat(call: Any, n: int, budget_s: float) -> list[float]:
    samples: list[float] = []
    deadline = time.monotonic() + budget_s
    while len(samples) < n and (len(samples) < 5 or time.monotonic() < deadline):
        samples.append(call())
    return samples


def run(
    env: Environment, port: int, items: list[tuple[str, str, str, str]], n: int, count: int, budget_s: float
) -> dict[str, Any]:
    keep_alive = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    _request(keep_alive, "GET", ITEMS, 200)
    connection = keep_alive.sock
    hits = _repeat(lambda: _request(keep_alive, "GET", ITEMS, 200), n, budget_s)
    reused = keep_alive.sock is connection
    keep_alive.request("GET", ITEMS)
    reply = keep_alive.getresponse()
    reply.read()
    etag = reply.getheader("ETag") or ""
    cond = _repeat(lambda: _request(keep_alive, "GET", ITEMS, 304, headers={"If-None-Match": etag}), n, budget_s)
    keep_alive.close()

    def fresh() -> float:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            return _request(connection, "GET", ITEMS, 200, headers={"Connection": "close"})
        finally:
            connection.close()

    new_connections = _repeat(fresh, n, budget_s)

    burst = _burst(port, BURST_CONNECTIONS)

    def sender(user: str) -> tuple[float, float, list[float]]:
        deliveries = [paid_delivery(user, items[k % len(items)]) for k in range(count)]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        latencies: list[float] = []
        started = time.perf_counter()
        stop_at = started + budget_s
        for body, signed in deliveries:
            if time.perf_counter() >= stop_at:
                break
            headers = {"Content-Type": "application/json", **signed}
            latencies.append(_request(connection, "POST", "/api/webhooks/payment", 204, body, headers))
        connection.close()
        return started, time.perf_counter(), latencies

    with ThreadPoolExecutor(max_workers=len(env.users)) as pool:
        runs = list(pool.map(sender, env.users))
    latencies = [x for r in runs for x in r[2]]
    window = max(r[1] for r in runs) - min(r[0] for r in runs)
    hit, not_modified, opened, webhook = (
        summary_ms(hits),
        summary_ms(cond),
        summary_ms(new_connections),
        summary_ms(latencies),
    )
    return {
        "items_keepalive_p50_ms": hit["p50_ms"],
        "items_keepalive_p99_ms": hit["p99_ms"],
        "items_keepalive_reused_connection": reused,
        "items_304_keepalive_p50_ms": not_modified["p50_ms"],
        "items_new_connection_p50_ms": opened["p50_ms"],
        "webhook_per_s": round(len(latencies) / window, 1),
        "webhook_p50_ms": webhook["p50_ms"],
        "webhook_p99_ms": webhook["p99_ms"],
        "webhook_senders": len(env.users),
        "burst_connections": BURST_CONNECTIONS,
        "burst_max_ms": burst["max_ms"],
        "burst_failures": burst["failures"],
    }


def _burst(port: int, connections: int) -> dict[str, Any]:
    """A burst of new connections at once (a page load, a retry storm): how long the slowest
    waits, and how many are refused or reset."""
    gate = threading.Barrier(connections)

    def one(_: int) -> float | None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        gate.wait()
        try:
            return _request(connection, "GET", ITEMS, 200, headers={"Connection": "close"})
        except OSError:
            return None
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=connections) as pool:
        results = list(pool.map(one, range(connections)))
    answered = [r for r in results if r is not None]
    return {
        "max_ms": round(max(answered) * 1000, 3) if answered else None,
        "failures": len(results) - len(answered),
    }
