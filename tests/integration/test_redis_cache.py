"""RedisCache against a real Redis: one round trip per read, generations, unreachable Redis."""

import secrets

from chalicelib.cache import RedisCache
from tests.conftest import free_port


def test_generations_hide_a_racing_reader(redis_url):
    cache = RedisCache(redis_url, 0.5, prefix=f"t-{secrets.token_hex(4)}")
    value, generation = cache.get("purchases:u1", "page")
    assert value is None and generation == "0"
    cache.invalidate("purchases:u1")
    cache.put("purchases:u1", "page", "stale", generation, ttl=60)
    assert cache.get("purchases:u1", "page")[0] is None
    _, fresh = cache.get("purchases:u1", "page")
    cache.put("purchases:u1", "page", "fresh ✓", fresh, ttl=60)
    assert cache.get("purchases:u1", "page")[0] == "fresh ✓"
    assert cache.status() == "ok"


def test_unreachable_redis_degrades_to_misses_quickly():
    import time

    cache = RedisCache(f"redis://127.0.0.1:{free_port()}/0", 0.05)
    started = time.monotonic()
    assert cache.get("items", "page") == (None, None)
    cache.put("items", "page", "x", "0", ttl=60)
    cache.invalidate("items")
    assert cache.hit_rate_limit("k", 1, 60) is None
    assert time.monotonic() - started < 1.0
    assert cache.status() == "degraded"
