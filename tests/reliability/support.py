"""Fault injectors and helpers for the reliability suite: a Redis server of our own that can be
killed or frozen, a TCP proxy in front of Postgres that can cut or hang connections, and the
counters the closing summary prints."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import SESSION_SECRET, Stack, Store, configure, free_port, wipe_and_seed

FIGURES: Counter[str] = Counter()
FIGURE_LABELS = {
    "deliveries": "webhook deliveries sent",
    "faults": "faults injected",
    "fuzz_cases": "fuzz cases run (Hypothesis)",
    "schemathesis_calls": "schemathesis requests",
    "lost": "deliveries lost",
    "doubled": "grants doubled",
}

# The production default (50 ms) is for a quiet network; on a loaded two-core test box a healthy
# Redis sometimes misses it, and tests that assert what is cached must not see that as an outage.
CALM_REDIS_TIMEOUT_S = "0.3"
DOCUMENTED_WEBHOOK_CODES = {
    "INVALID_PARAMETER",
    "INVALID_USER",
    "INCORRECT_AMOUNT",
    "INCORRECT_INVOICE",
    "INVALID_SIGNATURE",
}
REQUIRED_SECURITY_HEADERS = {
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "strict-transport-security",
}
TRACEBACK_MARKERS = (b"Traceback (most recent call last)", b'File "', b"sqlalchemy", b"pg8000")


def assert_clean_body(body: bytes) -> None:
    """No traceback, no driver or SQL detail in anything we answer."""
    lowered = body.lower()
    for marker in TRACEBACK_MARKERS:
        assert marker.lower() not in lowered, body[:500]


def server_tracebacks(log: str) -> list[str]:
    """Tracebacks in a `chalice local` log, less the dev server's report of a client that hung up
    before its answer was written (socketserver prints those; they never reach a body)."""
    blocks = log.split("Traceback (most recent call last):")[1:]
    hung_up = ("BrokenPipeError", "ConnectionResetError")
    return [b for b in blocks if not any(line.startswith(hung_up) for line in b.splitlines())]


def error_code(body: bytes) -> str:
    return str(json.loads(body)["error"]["code"])


def bearer(user_id: str, *, secret: str = SESSION_SECRET, ttl: int = 3600, **overrides: Any) -> dict[str, str]:
    import jwt

    from chalicelib.auth import AUDIENCE, ISSUER

    now = int(time.time())
    claims = {"sub": user_id, "iat": now, "exp": now + ttl, "iss": ISSUER, "aud": AUDIENCE, **overrides}
    return {"Authorization": "Bearer " + jwt.encode(claims, secret, algorithm="HS256")}


@dataclass
class HttpReply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


def http(
    base: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> HttpReply:
    sent = {"Content-Type": "application/json", **(headers or {})} if body is not None else dict(headers or {})
    request = urllib.request.Request(base + path, data=body, method=method, headers=sent)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return HttpReply(response.status, _lower(response.headers), response.read(), time.monotonic() - started)
    except urllib.error.HTTPError as exc:
        return HttpReply(exc.code, _lower(exc.headers), exc.read(), time.monotonic() - started)


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


class RedisServer:
    """redis-server on a free loopback port, owned by one test: kill it, freeze it, bring it back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.frozen = False
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def client(self) -> Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1, socket_connect_timeout=1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)
        FIGURES["faults"] += 1

    def freeze(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)
        self.frozen = True
        FIGURES["faults"] += 1

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)
        self.frozen = False

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            if self.frozen:
                self.thaw()
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass(eq=False)
class _Pair:
    client: socket.socket
    upstream: socket.socket | None
    closed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def close(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for sock in (self.client, self.upstream):
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


class TcpProxy:
    """A loopback TCP proxy between the app and Postgres.

    ``cut()`` closes every connection and refuses new ones (the database is unreachable);
    ``hang()`` keeps connections open but forwards nothing (a partition or a frozen server);
    ``restore()`` forwards again. ``cut_before(pattern)`` closes the connection that is about to
    send ``pattern`` to the server; ``drop_reply(pattern)`` lets the server answer ``pattern``
    and closes the connection instead of forwarding that answer (e.g. the reply to COMMIT).
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = int(self._listener.getsockname()[1])
        self._mode = "up"
        self._pairs: set[_Pair] = set()
        self._lock = threading.Lock()
        self._cut_before: bytes | None = None
        self._drop_reply: bytes | None = None
        self.triggered: list[str] = []
        self._running = True
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def url_for(self, database_url: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(database_url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def cut(self) -> None:
        self._mode = "down"
        self._close_all()
        FIGURES["faults"] += 1

    def hang(self) -> None:
        self._mode = "hang"
        FIGURES["faults"] += 1

    def restore(self) -> None:
        previous, self._mode = self._mode, "up"
        if previous == "hang":
            self._close_all()

    def cut_before(self, pattern: bytes) -> None:
        self._cut_before = pattern.lower()

    def drop_reply(self, pattern: bytes) -> None:
        self._drop_reply = pattern

    def close(self) -> None:
        self._running = False
        self._thread.join(timeout=5)
        self._listener.close()
        self._close_all()

    def _close_all(self) -> None:
        with self._lock:
            pairs, self._pairs = list(self._pairs), set()
        for pair in pairs:
            pair.close()

    def _accept_loop(self) -> None:
        while self._running:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._mode == "down":
                client.close()
                continue
            upstream = None
            if self._mode == "up":
                try:
                    upstream = socket.create_connection(self._upstream, timeout=5)
                    upstream.settimeout(None)
                except OSError:
                    client.close()
                    continue
            pair = _Pair(client, upstream)
            with self._lock:
                self._pairs.add(pair)
            if upstream is not None:
                threading.Thread(target=self._pump, args=(pair, client, upstream, True), daemon=True).start()
                threading.Thread(target=self._pump, args=(pair, upstream, client, False), daemon=True).start()

    def _pump(self, pair: _Pair, source: socket.socket, target: socket.socket, to_server: bool) -> None:
        try:
            while not pair.closed:
                data = source.recv(65536)
                if not data:
                    break
                while self._mode == "hang" and not pair.closed:
                    time.sleep(0.01)
                if pair.closed or self._mode == "down":
                    break
                if to_server and self._cut_before is not None and self._cut_before in data.lower():
                    self._cut_before = None
                    self._fire("cut_before")
                    break
                if not to_server and self._drop_reply is not None and self._drop_reply in data:
                    self._drop_reply = None
                    self._fire("drop_reply")
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            pair.close()
            with self._lock:
                self._pairs.discard(pair)

    def _fire(self, what: str) -> None:
        self.triggered.append(what)
        FIGURES["faults"] += 1


def in_process_store(database: str, redis: RedisServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The app in process on ``database`` and ``redis``, freshly seeded; clients dropped after."""
    stack = Stack("services", database, redis.url)
    configure(monkeypatch, stack, REDIS_TIMEOUT_S=CALM_REDIS_TIMEOUT_S)
    wipe_and_seed()
    yield Store(stack)
    from chalicelib import cache, db

    db.reset_engine()
    cache.reset_cache()
