"""The in-process cache keeps the same guarantees as the Redis one."""

from chalicelib.cache import MemoryCache


def test_a_reader_that_raced_an_invalidation_cannot_hide_it():
    cache = MemoryCache()
    value, generation = cache.get("ns", "page")
    assert value is None
    cache.invalidate("ns")
    cache.put("ns", "page", "stale", generation, ttl=60)
    assert cache.get("ns", "page")[0] is None
    _, fresh = cache.get("ns", "page")
    cache.put("ns", "page", "fresh", fresh, ttl=60)
    assert cache.get("ns", "page")[0] == "fresh"


def test_entries_expire():
    cache = MemoryCache()
    _, generation = cache.get("ns", "k")
    cache.put("ns", "k", "v", generation, ttl=-1)
    assert cache.get("ns", "k")[0] is None


def test_namespaces_are_independent():
    cache = MemoryCache()
    for ns in ("a", "b"):
        cache.put(ns, "k", ns, cache.get(ns, "k")[1], ttl=60)
    cache.invalidate("a")
    assert cache.get("a", "k")[0] is None and cache.get("b", "k")[0] == "b"


def test_rate_limit_window():
    cache = MemoryCache()
    assert [cache.hit_rate_limit("u", 2, 60) for _ in range(3)][:2] == [None, None]
    assert cache.hit_rate_limit("u", 2, 60) >= 1
    assert cache.hit_rate_limit("other", 2, 60) is None
