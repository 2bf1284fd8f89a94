"""Alembic, driven from code so `python -m bot migrate` needs no alembic.ini."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from storage.db import sqlite_file

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"
"""Alembic's default; read directly, since an Alembic context logs its set-up at INFO."""


def alembic_config(url: str, migrations: Path = MIGRATIONS) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrating is what creates a SQLite file, so it also creates the file's directory."""
    if (path := sqlite_file(url)) is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


@dataclass(frozen=True)
class SchemaState:
    """Where the database's schema is against this code's migrations."""

    current: tuple[str, ...]
    """The revisions the database records; empty when it was never migrated."""
    heads: tuple[str, ...]
    """Where this code's migrations end, read at run time (new migrations count)."""
    unknown: tuple[str, ...]
    """Recorded revisions this code has no migration for (a newer version migrated it)."""

    @property
    def up_to_date(self) -> bool:
        return set(self.current) == set(self.heads)


def schema_state(engine: Engine, migrations: Path = MIGRATIONS) -> SchemaState:
    script = ScriptDirectory.from_config(alembic_config("", migrations))
    with engine.connect() as conn:
        recorded = (
            conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
            if inspect(conn).has_table(VERSION_TABLE)
            else []
        )
    current = tuple(sorted(recorded))
    known = {rev.revision for rev in script.walk_revisions()}
    return SchemaState(
        current=current,
        heads=tuple(sorted(script.get_heads())),
        unknown=tuple(r for r in current if r not in known),
    )
