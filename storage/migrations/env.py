"""Alembic environment: the target schema is SQLModel's metadata from storage.models."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """On SQLite, foreign keys are off while migrating: a batch migration copies a table
    and drops the original, which rows of other tables reference (SQLite's own recipe
    for altering a table). Whether every reference still holds is checked after."""
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # On the driver's connection, outside any transaction (inside one it is a no-op).
            connection.connection.cursor().execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            cursor = connection.connection.cursor()
            broken = cursor.execute("PRAGMA foreign_key_check").fetchall()
            cursor.execute("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"migrating broke {len(broken)} foreign key references")
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
