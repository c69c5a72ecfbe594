"""Running the Alembic migrations that ship inside the package."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from teaminbox.store.db import Database


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", "teaminbox.store:migrations")
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision` (the newest by default)."""
    config = alembic_config(database)
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(database: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
