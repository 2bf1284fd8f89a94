"""Test databases: a migrated SQLite file per test, and one migrated PostgreSQL database
emptied between tests. In CI (`CI=true`) a missing PostgreSQL fails the run."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from storage.migrate import upgrade
from storage.models import Customer

PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def sqlite_template(root: Path) -> Path:
    path = root / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def sqlite_copy(template: Path, dest: Path) -> str:
    shutil.copy(template, dest)
    return f"sqlite:///{dest}"


def _admin(statement: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


def postgres_url() -> str:
    """Create and migrate a database of this test run's own (runs may overlap); fail in CI,
    skip locally, when PostgreSQL is absent."""
    name = f"casebot_test_{os.getpid()}"
    try:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _admin(f"CREATE DATABASE {name}")
    except Exception as exc:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message + " (set CI=true to make this a failure)")
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def drop_postgres(url: str) -> None:
    _admin(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)")


def truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


def new_customer(session: Session, at: datetime) -> int:
    """One customer row, for tests that write a burst of rows by hand beneath the core."""
    return int(
        session.execute(
            insert(Customer).values(name="c", tier="standard", created_at=at).returning(Customer.id)
        ).scalar_one()
    )
