"""Start-up mistakes, run as a user runs them (`python -m bot …` in a subprocess): each is
one line naming the mistake on stderr and a non-zero exit code, never a traceback."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.check import database_problem
from config.settings import Settings
from storage.db import Database
from storage.migrate import MIGRATIONS, schema_state, upgrade
from tests.conftest import EXAMPLE_CONFIG
from tests.support.processes import clean_env, free_port, run_bot

MIGRATE_HINT = "(run `python -m bot migrate`)"


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a refused start (no traceback, nothing else)."""
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def env_for(db_url: str, **extra: str) -> dict[str, str]:
    """Complete but for Slack, which nobody answers (a free port)."""
    base = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s",
        "INGEST_SECRET": "i",
        "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",
        "CASEBOT_CONFIG": str(EXAMPLE_CONFIG),
        "DATABASE_URL": db_url,
    }
    return clean_env(**{**base, **extra})


def test_a_python_without_the_packages_says_how_to_run_casebot() -> None:
    """`-S` leaves site-packages out, like a system Python that never saw `make`."""
    result = run_bot(["check"], clean_env(), "-S")
    assert result.returncode != 0
    line = one_line(result)
    assert line.startswith("casebot: Python package '"), line
    assert "is not installed for" in line and "run `make` once, then use .venv/bin/casebot" in line


@pytest.mark.parametrize("command", ["web", "worker", "report"])
def test_processes_refuse_a_database_that_was_never_migrated(tmp_path: Path, command: str) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    result = run_bot([command], env_for(f"sqlite:///{path}"))
    assert (result.returncode, one_line(result)) == (
        2,
        f"casebot: database: not migrated yet {MIGRATE_HINT}",
    )


def test_check_reports_a_database_that_was_never_migrated(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    result = run_bot(["check"], env_for(f"sqlite:///{path}"))
    assert result.returncode == 1
    assert f"database: not migrated yet {MIGRATE_HINT}" in result.stdout.splitlines()
    assert "ok" not in result.stdout.split()


def test_check_does_not_create_a_sqlite_database_or_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "data" / "casebot.db"
    result = run_bot(["check"], env_for(f"sqlite:///{path}"))
    assert result.returncode == 1
    assert (
        f"database: {path} does not exist (run `python -m bot migrate` to create it)"
        in result.stdout.splitlines()
    )
    assert not path.parent.exists()
    web = run_bot(["web"], env_for(f"sqlite:///{path}"))
    assert one_line(web) == (
        f"casebot: database: {path} does not exist (run `python -m bot migrate` to create it)"
    )
    assert not path.parent.exists()
    assert run_bot(["migrate"], env_for(f"sqlite:///{path}")).returncode == 0
    assert path.exists()


def test_a_database_migrated_by_a_newer_version_is_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/newer.db"
    upgrade(url)
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    result = run_bot(["worker"], env_for(url))
    assert one_line(result) == (
        "casebot: database: schema is at revision f00d, which this version does not know"
        " (was it migrated by a newer Casebot?)"
    )
    db.dispose()


def test_an_outdated_schema_names_both_revisions(tmp_path: Path) -> None:
    """Against a copy of the migrations with one more revision after the real head (what
    the database lacks once a newer migration ships)."""
    migrations = tmp_path / "migrations"
    subprocess.run(["cp", "-r", str(MIGRATIONS), str(migrations)], check=True)
    url = f"sqlite:///{tmp_path}/old.db"
    upgrade(url)
    db = Database(url)
    head = schema_state(db.engine).heads[0]
    (migrations / "versions" / "9999_next.py").write_text(
        f"revision = '9999'\ndown_revision = '{head}'\n"
        "def upgrade() -> None: ...\ndef downgrade() -> None: ...\n"
    )
    assert database_problem(db, migrations=migrations) == (
        f"database: schema is at revision {head}, this version needs 9999 {MIGRATE_HINT}"
    )
    assert database_problem(db) is None, "at the real head"
    db.dispose()


def test_slack_unreachable_is_one_line_from_check(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ok.db"
    upgrade(url)
    env = env_for(url)
    result = run_bot(["check"], env)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"slack: cannot reach {env['SLACK_API_URL']} (Connection refused;"
        " check SLACK_API_URL and the network)"
    ]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgres://u:p@db.example:5432/casebot",
            "postgresql+psycopg://u:p@db.example:5432/casebot",
        ),
        ("postgresql://u@db.example/casebot", "postgresql+psycopg://u@db.example/casebot"),
        (
            "postgresql+psycopg://u@h/c?sslmode=require",
            "postgresql+psycopg://u@h/c?sslmode=require",
        ),
        ("sqlite:///data/casebot.db", "sqlite:///data/casebot.db"),
    ],
)
def test_heroku_style_database_urls_are_accepted(given: str, expected: str) -> None:
    assert Settings(database_url=given).database_url == expected


def test_a_postgres_url_starts_without_a_traceback() -> None:
    """`postgres://` used to die in SQLAlchemy's dialect loader; now it connects (or says
    in one line why it cannot)."""
    env = env_for("postgres://postgres@127.0.0.1:5432/casebot_no_such_database")
    result = run_bot(["report"], env)
    assert result.returncode == 2
    assert one_line(result).startswith("casebot: database: cannot connect ("), result.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a database URL; use sqlite:///path/to/file.db or postgresql://"),
        (
            "mysql://u:secret@h/db",
            "unsupported database 'mysql'; use sqlite:///… or postgresql://…",
        ),
    ],
)
def test_bad_database_urls_are_named_without_repeating_them(url: str, message: str) -> None:
    line = one_line(run_bot(["check"], env_for(url)))
    assert line.startswith(f"casebot: environment variable DATABASE_URL: {message}")
    assert "secret" not in line


def test_an_unknown_log_level_names_the_allowed_ones(tmp_path: Path) -> None:
    result = run_bot(["check"], env_for(f"sqlite:///{tmp_path}/x.db", LOG_LEVEL="verbose"))
    assert (result.returncode, one_line(result)) == (
        2,
        "casebot: environment variable LOG_LEVEL: 'verbose' is not a level;"
        " use DEBUG, INFO, WARNING, ERROR",
    )


def test_env_errors_do_not_leak_pydantic_wording(tmp_path: Path) -> None:
    env = env_for(f"sqlite:///{tmp_path}/x.db", SLACK_BOT_TOKEN="xoxp-user-token")
    assert one_line(run_bot(["worker"], env)) == (
        "casebot: environment variable SLACK_BOT_TOKEN: must be a bot token starting with xoxb-"
    )


def test_a_missing_connector_secret_stops_serve_and_fails_check(tmp_path: Path) -> None:
    config = tmp_path / "casebot.yaml"
    config.write_text(EXAMPLE_CONFIG.read_text() + "\nsources:\n  twitter:\n    reply: {kind: x}\n")
    url = f"sqlite:///{tmp_path}/serve.db"
    upgrade(url)
    env = env_for(url, CASEBOT_CONFIG=str(config), PORT=str(free_port()))
    expected = (
        "sources.twitter.reply: X_TOKEN: environment variable is not set"
        " (the x reply connector needs it)"
    )
    serve = run_bot(["serve"], env)
    assert (serve.returncode, one_line(serve)) == (2, f"casebot: {expected}")
    check = run_bot(["check"], env)
    assert check.returncode == 1
    assert expected in check.stdout.splitlines()


def test_a_missing_poller_token_stops_the_worker_and_fails_check(tmp_path: Path) -> None:
    config = tmp_path / "casebot.yaml"
    config.write_text(
        EXAMPLE_CONFIG.read_text()
        + "\nsources:\n  mastodon:\n    poll: {kind: mastodon, base_url: https://m.example}\n"
    )
    url = f"sqlite:///{tmp_path}/worker.db"
    upgrade(url)
    env = env_for(url, CASEBOT_CONFIG=str(config))
    env.pop("MASTODON_TOKEN", None)
    expected = (
        "sources.mastodon.poll: MASTODON_TOKEN: environment variable is not set"
        " (the mastodon poller needs it)"
    )
    worker = run_bot(["worker"], env)
    assert (worker.returncode, one_line(worker)) == (2, f"casebot: {expected}")
    check = run_bot(["check"], env)
    assert check.returncode == 1
    assert expected in check.stdout.splitlines()
