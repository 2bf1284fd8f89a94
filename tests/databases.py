"""Test databases: a migrated SQLite file per test, and one migrated PostgreSQL database
emptied between tests. In CI (`CI=true`) a missing PostgreSQL fails the run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from storage.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PG_TEST_DB = "casebot_test"


def sqlite_template(root: Path) -> Path:
    path = root / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def sqlite_copy(template: Path, dest: Path) -> str:
    shutil.copy(template, dest)
    return f"sqlite:///{dest}"


def postgres_url() -> str:
    """Create (fresh) and migrate the test database; fail in CI, skip locally, if absent."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {PG_TEST_DB} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {PG_TEST_DB}"))
    except Exception as exc:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message + " (set CI=true to make this a failure)")
    finally:
        admin.dispose()
    url = make_url(PG_ADMIN_URL).set(database=PG_TEST_DB).render_as_string(hide_password=False)
    upgrade(url)
    return url


def truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
