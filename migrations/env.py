"""Alembic environment: the schema is chalicelib.models, the URL the app's own settings."""

from alembic import context

from chalicelib.config import get_settings
from chalicelib.db import build_engine
from chalicelib.models import Base

target_metadata = Base.metadata


def _url() -> str:
    return context.config.attributes.get("database_url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # Migrations may legitimately run longer than a request is allowed to.
    engine = build_engine(_url(), statement_timeout_ms=0)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    # render_as_batch lets ALTERs work on SQLite, which cannot alter most columns in place.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
