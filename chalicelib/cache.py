"""Cache-aside for read models, on Redis or, without REDIS_URL, in process.

Each namespace (the item catalogue, one user's purchases) has a generation counter. Readers
fetch the generation and the value in one round trip and write back under the generation they
read; invalidation bumps the generation. A reader that raced an invalidation therefore writes
under a stale generation that nobody reads again, so a webhook's change is never hidden by a
slow reader.

Redis is an optimisation, never a dependency: every Redis error or timeout degrades to "miss"
(the database answers), opens a short circuit breaker so a hung Redis costs one timeout and not
one per request, and remembers failed invalidations to replay when Redis is back.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from typing import Any, Protocol

log = logging.getLogger(__name__)

GENERATION_TTL_S = 86_400
BREAKER_COOLDOWN_S = 2.0


class Cache(Protocol):
    def get(self, namespace: str, field: str) -> tuple[str | None, str | None]: ...
    def put(self, namespace: str, field: str, value: str, generation: str | None, ttl: int) -> None: ...
    def invalidate(self, namespace: str) -> None: ...
    def hit_rate_limit(self, key: str, limit: int, window_s: int) -> int | None: ...
    def status(self) -> str: ...


class MemoryCache:
    """Same semantics as RedisCache for one process (chalice local with no REDIS_URL, tests)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generations: dict[str, int] = {}
        self._values: dict[tuple[str, int, str], tuple[float, str]] = {}
        self._counters: dict[str, tuple[float, int]] = {}

    def get(self, namespace: str, field: str) -> tuple[str | None, str | None]:
        with self._lock:
            generation = self._generations.get(namespace, 0)
            entry = self._values.get((namespace, generation, field))
            if entry is not None and entry[0] < time.monotonic():
                del self._values[(namespace, generation, field)]
                entry = None
            return (entry[1] if entry else None), str(generation)

    def put(self, namespace: str, field: str, value: str, generation: str | None, ttl: int) -> None:
        if generation is None:
            return
        with self._lock:
            if len(self._values) > 10_000:
                self._values.clear()
            self._values[(namespace, int(generation), field)] = (time.monotonic() + ttl, value)

    def invalidate(self, namespace: str) -> None:
        with self._lock:
            self._generations[namespace] = self._generations.get(namespace, 0) + 1
            for key in [k for k in self._values if k[0] == namespace]:
                del self._values[key]

    def hit_rate_limit(self, key: str, limit: int, window_s: int) -> int | None:
        now = time.monotonic()
        with self._lock:
            started, count = self._counters.get(key, (now, 0))
            if now - started >= window_s:
                started, count = now, 0
            count += 1
            self._counters[key] = (started, count)
            return None if count <= limit else max(1, int(window_s - (now - started)) + 1)

    def status(self) -> str:
        return "disabled"


# KEYS[1] = generation key, ARGV[1] = value key prefix, ARGV[2] = field
_READ_SCRIPT = """
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2])}
"""


class RedisCache:
    def __init__(self, url: str, timeout_s: float, prefix: str = "store") -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self._client = redis.Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )
        self._read = self._client.register_script(_READ_SCRIPT)
        self._prefix = prefix
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._open_until = 0.0
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def _keys(self, namespace: str) -> tuple[str, str]:
        # One hash tag per namespace keeps a namespace's keys in one cluster slot.
        tag = "{" + self._prefix + ":" + namespace + "}"
        return f"{tag}:gen", f"{tag}:v"

    def _available(self) -> bool:
        if time.monotonic() < self._open_until:
            return False
        if self._pending:
            self._replay_invalidations()
        return time.monotonic() >= self._open_until

    def _trip(self, operation: str, exc: BaseException) -> None:
        self._open_until = time.monotonic() + BREAKER_COOLDOWN_S
        log.warning("cache unavailable during %s (%s); serving from the database", operation, type(exc).__name__)

    def _replay_invalidations(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, set()
        for namespace in pending:
            self.invalidate(namespace)

    def get(self, namespace: str, field: str) -> tuple[str | None, str | None]:
        if not self._available():
            return None, None
        gen_key, prefix = self._keys(namespace)
        try:
            generation, value = self._read(keys=[gen_key], args=[prefix, field])
        except self._errors as exc:
            self._trip("get", exc)
            return None, None
        return (value.decode("utf-8") if value is not None else None), generation.decode("ascii")

    def put(self, namespace: str, field: str, value: str, generation: str | None, ttl: int) -> None:
        if generation is None or not self._available():
            return
        _, prefix = self._keys(namespace)
        try:
            self._client.set(f"{prefix}{generation}:{field}", value.encode("utf-8"), ex=ttl)
        except self._errors as exc:
            self._trip("put", exc)

    def invalidate(self, namespace: str) -> None:
        gen_key, _ = self._keys(namespace)
        if time.monotonic() >= self._open_until:
            try:
                # A new generation need only differ from every earlier one: a fresh random token
                # set with its expiry is one plain command (INCR would need EXPIRE beside it).
                self._client.set(gen_key, secrets.token_hex(8), ex=GENERATION_TTL_S)
                return
            except self._errors as exc:
                self._trip("invalidate", exc)
        with self._lock:
            self._pending.add(namespace)

    def hit_rate_limit(self, key: str, limit: int, window_s: int) -> int | None:
        """Fixed-window counter. Fails open: a cache outage must not stop purchases."""
        if not self._available():
            return None
        window = int(time.time() // window_s)
        redis_key = f"{{{self._prefix}:rate}}:{key}:{window}"
        try:
            pipe = self._client.pipeline(transaction=False)
            pipe.incr(redis_key)
            pipe.expire(redis_key, window_s + 1)
            count = int(pipe.execute()[0])
        except self._errors as exc:
            self._trip("rate limit", exc)
            return None
        if count <= limit:
            return None
        return max(1, int((window + 1) * window_s - time.time()) + 1)

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except self._errors:
            return False

    def status(self) -> str:
        if self.ping():
            self._open_until = 0.0
            if self._pending:
                self._replay_invalidations()
            return "ok"
        return "degraded"


_cache: Any = None


def get_cache() -> Cache:
    global _cache
    if _cache is None:
        from chalicelib.config import get_settings

        settings = get_settings()
        _cache = (
            RedisCache(settings.redis_url, settings.redis_timeout_s, settings.redis_key_prefix)
            if settings.redis_url
            else MemoryCache()
        )
    return _cache  # type: ignore[no-any-return]


def reset_cache() -> None:
    global _cache
    _cache = None
