"""The SQLAlchemy engine, built on first use, and one-transaction sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from chalicelib.config import get_settings

_engine: Engine | None = None
_sessions: sessionmaker[Session] | None = None


def build_engine(
    url: str,
    *,
    pool_size: int = 5,
    max_overflow: int = 5,
    connect_timeout_s: float = 3.0,
    statement_timeout_ms: int = 5000,
    ssl: bool = False,
) -> Engine:
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        _serialise_sqlite_writes(engine)
        return engine
    # pg8000 has no timeouts by default: a hung database would hang the webhook past
    # Xsolla's 3 s budget instead of failing fast into a 5xx it will retry.
    connect_args: dict[str, Any] = {
        "timeout": connect_timeout_s,
        "application_name": "game-item-store",
        "startup_params": {
            "statement_timeout": str(statement_timeout_ms),
            "lock_timeout": str(statement_timeout_ms),
        },
    }
    if ssl:
        import ssl as tls

        connect_args["ssl_context"] = tls.create_default_context()
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=connect_timeout_s,
        pool_pre_ping=True,
        pool_recycle=300,
        connect_args=connect_args,
    )


def _serialise_sqlite_writes(engine: Engine) -> None:
    """SQLite's deferred transactions deadlock when two readers upgrade to writers; take the
    write lock up front (BEGIN IMMEDIATE) so concurrent requests queue on busy_timeout instead."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def get_engine() -> Engine:
    global _engine, _sessions
    if _engine is None:
        settings = get_settings()
        _engine = build_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            ssl=settings.db_ssl,
            connect_timeout_s=settings.db_connect_timeout_s,
            statement_timeout_ms=settings.db_statement_timeout_ms,
        )
        _sessions = sessionmaker(bind=_engine, expire_on_commit=False)
    return _engine


def reset_engine() -> None:
    """Drop the engine (tests point the app at another database)."""
    global _engine, _sessions
    if _engine is not None:
        _engine.dispose()
    _engine = None
    _sessions = None


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    get_engine()
    assert _sessions is not None
    with _sessions() as session, session.begin():
        yield session


def is_unavailable(exc: BaseException) -> bool:
    """A fault of the database or the network to it, as opposed to a bug or bad input."""
    from sqlalchemy import exc as sa_exc

    # Constraint violations, bad data and bad SQL are ours to fix, not to retry; everything else a
    # driver raises (refused or dropped connections, statement and lock timeouts) is transient.
    if isinstance(exc, (sa_exc.IntegrityError, sa_exc.DataError, sa_exc.ProgrammingError)):
        return False
    return isinstance(exc, (sa_exc.DBAPIError, sa_exc.TimeoutError, ConnectionError, TimeoutError))
