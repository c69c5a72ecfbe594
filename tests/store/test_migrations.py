"""The migrations build exactly the schema the models describe, on SQLite
and on PostgreSQL (when TEAMINBOX_TEST_DATABASE_URL is set)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from teaminbox.store.db import Database
from teaminbox.store.models import Base


def test_migrations_match_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
