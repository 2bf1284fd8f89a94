"""Shared set-up for benchmarks: a migrated database and app wired like production."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.timesource import ManualTime
from config.load import load_config
from config.settings import Settings
from storage.db import Database
from storage.migrate import upgrade

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "config", "casebot.example.yaml")
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def database(backend: str) -> Iterator[str]:
    """A fresh migrated database of the given backend, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            upgrade(url)
            yield url
        return
    name = f"casebot_bench_{os.getpid()}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def make_deps(url: str, slack: SlackStandIn, ingest_secret: str = "bench") -> Deps:
    settings = Settings(
        slack_bot_token="xoxb-bench",
        slack_signing_secret="bench",
        slack_api_url=slack.api_url,
        database_url=url,
        ingest_secret=ingest_secret,
    )
    return Deps(
        settings=settings,
        config=load_config(EXAMPLE),
        db=Database(url),
        time=ManualTime(datetime(2026, 11, 23, 9, tzinfo=UTC)),
    )
