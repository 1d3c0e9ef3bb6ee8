"""Alembic migrations build exactly the schema the models describe, on SQLite and Postgres."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from chalicelib.db import build_engine
from chalicelib.models import Base


def test_migrated_schema_matches_the_models(stack):
    engine = build_engine(stack.database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() is not None
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []
