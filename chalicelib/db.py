"""The SQLAlchemy engine, built on first use, and one-transaction sessions."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from chalicelib.config import get_settings

PING_AFTER_IDLE_S = 10.0

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
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=connect_timeout_s,
        pool_recycle=300,
        connect_args=connect_args,
    )
    _ping_after_idle(engine)
    return engine


def _ping_after_idle(engine: Engine) -> None:
    """Test a pooled connection before use only if it sat idle for PING_AFTER_IDLE_S (a Lambda
    container frozen between invocations, a NAT or proxy timeout). pool_pre_ping would test it on
    every checkout: two more round trips with pg8000 on every request, a third of a webhook's.
    A connection that dies while in steady use fails its statement instead; that is a 5xx (503 on
    the API), SQLAlchemy then discards the whole pool, and the retry connects afresh."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool replaces the connection and tries again (up to three times).
            raise DisconnectionError() from exc


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


def run_prepared(sql: str, params: Mapping[str, Any]) -> tuple[Any, ...]:
    """Postgres: one statement as its own transaction, as a server-side prepared statement. One
    round trip with pg8000, where a transaction through SQLAlchemy costs at least seven (BEGIN;
    Parse, Describe + Bind and Execute for the statement; the same three for COMMIT). Only for a
    statement that is atomic by itself, such as one function call.

    ``sql`` uses ``:name`` placeholders; it is prepared once per pooled connection. Errors come
    out as SQLAlchemy's. Only an error the server answered leaves the connection usable; after
    any other (a timeout, a reset) it is discarded, not returned to the pool.

    With DB_PREPARED_STATEMENTS off, the statement is sent as an ordinary transaction instead."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError, OperationalError

    engine = get_engine()
    if not get_settings().db_prepared_statements:
        with engine.begin() as connection:
            return tuple(connection.execute(text(sql), params).all())
    dbapi = engine.dialect.loaded_dbapi
    pooled = engine.raw_connection()
    try:
        raw = pooled.dbapi_connection
        assert raw is not None
        prepared = pooled.info.get(("prepared", sql))
        if prepared is None:
            prepared = pooled.info[("prepared", sql)] = raw.prepare(sql)
        raw.autocommit = True
        try:
            return tuple(prepared.run(**params))
        finally:
            raw.autocommit = False
    except Exception as exc:
        answered = isinstance(exc, dbapi.DatabaseError)
        if not answered:
            pooled.invalidate(exc)
        if isinstance(exc, dbapi.Error):
            raise DBAPIError.instance(
                sql, params, exc, dbapi.Error, hide_parameters=True, connection_invalidated=not answered
            ) from exc
        if isinstance(exc, OSError):
            raise OperationalError(sql, None, exc, hide_parameters=True, connection_invalidated=True) from exc
        raise
    finally:
        pooled.close()


# SQLSTATEs of faults that pass: connection exceptions (08), insufficient resources (53),
# operator intervention (57: statement timeout, shutdown), system errors (58), lock timeout,
# serialization failure and deadlock.
_TRANSIENT_CLASSES = ("08", "53", "57", "58")
_TRANSIENT_STATES = ("55P03", "40001", "40P01")


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of an error the server answered (pg8000 keeps the server's fields)."""
    fields = getattr(getattr(exc, "orig", None), "args", None)
    if fields and isinstance(fields[0], dict):
        code = fields[0].get("C")
        return code if isinstance(code, str) else None
    return None


def is_unavailable(exc: BaseException) -> bool:
    """A fault of the database or the network to it, as opposed to a bug or bad input."""
    from sqlalchemy import exc as sa_exc

    # pg8000 reports every server error with one class, so the server's SQLSTATE decides.
    code = sqlstate(exc)
    if code is not None:
        return code[:2] in _TRANSIENT_CLASSES or code in _TRANSIENT_STATES
    # Constraint violations, bad data and bad SQL are ours to fix, not to retry; everything else a
    # driver raises (refused or dropped connections, timeouts) is transient.
    if isinstance(exc, (sa_exc.IntegrityError, sa_exc.DataError, sa_exc.ProgrammingError)):
        return False
    return isinstance(exc, (sa_exc.DBAPIError, sa_exc.TimeoutError, ConnectionError, TimeoutError))
