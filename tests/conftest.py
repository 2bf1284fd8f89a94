"""Shared fixtures: databases on both backends, the Slack stand-in, the app, a time source."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from bot import logs
from bot.app import WebApp, create_app
from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery, deliver_due
from bot.problems.queue import detect_queued
from bot.timesource import ManualTime
from bot.worker import delivery
from config.load import load_config
from config.schema import CasebotConfig
from config.settings import Settings
from handlers.channels.base import sign as channel_sign
from storage.db import Database
from tests.support import databases
from tests.support.slackreq import SIGNING_SECRET, SlackClientSim

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = ROOT / "config" / "casebot.example.yaml"
INGEST_SECRET = "test-ingest-secret"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `both_db` run once per backend, `postgresql_only` (what SQLite's one
    writer at a time cannot show) on PostgreSQL alone; the rest on SQLite."""
    if "backend" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("postgresql_only"):
        metafunc.parametrize("backend", ("postgresql",), indirect=True)
    elif metafunc.definition.get_closest_marker("both_db"):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def _postgres_url() -> Iterator[str]:
    url = databases.postgres_url()
    yield url
    databases.drop_postgres(url)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def db_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path
) -> str:
    if backend == "postgresql":
        url: str = request.getfixturevalue("_postgres_url")
        databases.truncate_postgres(url)
        return url
    return databases.sqlite_copy(_sqlite_template, tmp_path / "casebot.db")


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def slack(time_source: ManualTime) -> Iterator[SlackStandIn]:
    """Its message timestamps follow the test's time, as Slack's follow the real one."""
    standin = SlackStandIn(epoch=lambda: time_source.now().timestamp()).start()
    yield standin
    standin.stop()


@pytest.fixture
def config() -> CasebotConfig:
    return load_config(EXAMPLE_CONFIG)


@pytest.fixture
def time_source() -> ManualTime:
    return ManualTime(START)


@pytest.fixture
def deps(db: Database, slack: SlackStandIn, config: CasebotConfig, time_source: ManualTime) -> Deps:
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=db.url,
        ingest_secret=INGEST_SECRET,
        slack_channel_rate=0,
    )
    return Deps(settings=settings, config=config, db=db, time=time_source)


@pytest.fixture
def web(deps: Deps) -> WebApp:
    return create_app(deps, process_before_response=True)


@pytest.fixture
def http(web: WebApp) -> FlaskClient:
    return web.flask.test_client()


@pytest.fixture
def user(http: FlaskClient, slack: SlackStandIn) -> SlackClientSim:
    return SlackClientSim(http, slack.response_url())


@pytest.fixture
def worker(deps: Deps) -> Delivery:
    return delivery(deps)


def count(session: Session, model: type[SQLModel], *where: Any) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def drain(d: Delivery) -> int:
    """Run the worker's outbox job until nothing more is due now (its detection of
    queued cases first, as `bot.worker.outbox_round`); returns how much it delivered."""
    detect_queued(d.db, d.config)
    total = 0
    while (n := deliver_due(d)) > 0:
        total += n
    return total


def sign(body: bytes, secret: str = INGEST_SECRET, timestamp: str | None = None) -> str:
    return channel_sign(secret, body, timestamp)


def post_json(
    http: FlaskClient, source: str, payload: dict[str, Any] | bytes, **headers: str
) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return http.post(
        f"/ingest/{source}",
        data=body,
        headers={"Content-Type": "application/json", "X-Casebot-Signature": sign(body), **headers},
    )


def sample_post(n: int = 1, text: str = "My order never arrived", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"p{n}",
        "text": text,
        "author": {"id": f"a{n}", "handle": f"@cust{n}", "name": f"Customer {n}"},
        "url": f"https://social.example/p{n}",
        **extra,
    }


UNREACHABLE = {
    "sqlite": "sqlite:////nonexistent-casebot-dir/casebot.db",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/casebot",
}
"""A database that is down: nothing answers there (no such directory; a closed port)."""


@pytest.fixture
def down_deps(deps: Deps, backend: str) -> Iterator[Deps]:
    """`deps` whose database does not answer, as after the database server stopped."""
    down = Database(UNREACHABLE[backend])
    yield Deps(settings=deps.settings, config=deps.config, db=down, time=deps.time)
    down.dispose()


@pytest.fixture
def down_http(down_deps: Deps) -> FlaskClient:
    return create_app(down_deps, process_before_response=True).flask.test_client()


@pytest.fixture(autouse=True)
def root_logging_restored() -> Iterator[None]:
    """A test that runs `casebot` in-process (`cli.main`) points the root logger at the
    stderr pytest captured for it; later tests' background threads (the SMTP stand-in,
    the flood summariser) would write there after pytest closed it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The process's logging as `casebot` sets it up (JSON lines, flood summaries, quiet
    libraries), into a buffer; call the fixture's value for the records so far."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in logs.QUIET_LIBRARIES}
    stream = io.StringIO()
    logs.setup("INFO", stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
