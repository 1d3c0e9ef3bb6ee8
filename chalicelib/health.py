"""Liveness of the backing services: the database is required, the cache is optional."""

from __future__ import annotations

from typing import Any


def check() -> tuple[int, dict[str, Any]]:
    from sqlalchemy import text

    from chalicelib.cache import get_cache
    from chalicelib.db import get_engine, is_unavailable

    database = "ok"
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        database = "unavailable"
    body = {"status": "ok" if database == "ok" else "error", "database": database, "cache": get_cache().status()}
    return (200 if database == "ok" else 503), body
