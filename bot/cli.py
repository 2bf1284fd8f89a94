"""The `casebot` command (`python -m bot` is the same): one subcommand per process or task.

Every start-up mistake (environment, config, database, log level) ends the command with
one line naming it and a non-zero exit code, never a traceback. The heavy imports
(pydantic, SQLAlchemy, alembic) are made by the commands that need them, so that
`web` and `serve` can leave them out of the gunicorn master (`bot.prefork`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot import logs
from bot.prefork import in_child
from config import holiday_days
from config.errors import ConfigError

if TYPE_CHECKING:
    from bot.deps import Deps
    from config.holiday_days import Computed, Place


def prog_name() -> str:
    """How the user started us, so hints name a command they can paste."""
    return "casebot" if Path(sys.argv[0]).name == "casebot" else "python -m bot"


def _deps() -> Deps:
    from bot.deps import from_environment

    return from_environment()


def _stop_on(problem: str | None) -> None:
    if problem:
        raise ConfigError(problem)


def _migrate(url: str) -> None:
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from storage.migrate import upgrade

    try:
        upgrade(url)
    except SQLAlchemyError as exc:
        from bot.check import reason

        raise ConfigError(f"database: cannot migrate ({reason(exc)})") from None
    except CommandError as exc:
        raise ConfigError(f"database: {exc}") from None


def cmd_migrate(_: argparse.Namespace) -> None:
    from config.settings import load_settings

    _migrate(load_settings().database_url)
    print("database is at the latest migration")


def _web(*, with_worker: bool) -> None:
    from bot import metrics_dir

    remove_metrics = metrics_dir.prepare()  # before anything imports prometheus_client
    try:
        bind, holidays = in_child(lambda: _ready_to_serve(with_worker=with_worker))
        holiday_days.adopt(holidays)
        from bot.server import run_web

        run_web(bind, with_worker=with_worker)
    finally:
        remove_metrics()


def _ready_to_serve(*, with_worker: bool) -> tuple[str, dict[Place, Computed]]:
    """The start-up checks (and, for `serve`, the migration); the address to listen on
    and the public holidays the calendars need (`config.holiday_days`)."""
    from bot.check import connector_problem, database_problem
    from bot.server import bind_address

    deps = _deps()
    deps.settings.require("slack_bot_token", "slack_signing_secret", "ingest_secret")
    if with_worker:
        _stop_on(connector_problem(deps.config, os.environ))
        _migrate(deps.settings.database_url)
    else:
        _stop_on(database_problem(deps.db, prog_name()))
    places = deps.config.sla.holiday_places()
    return bind_address(deps.settings.host, deps.settings.port), holiday_days.compute(
        places, deps.time.now().date()
    )


def cmd_worker(_: argparse.Namespace) -> None:
    from bot.check import connector_problem, database_problem
    from bot.worker import build_scheduler

    deps = _deps()
    deps.settings.require("slack_bot_token")
    _stop_on(connector_problem(deps.config, os.environ))
    _stop_on(database_problem(deps.db, prog_name()))
    if deps.settings.metrics_port:
        from prometheus_client import start_http_server

        from bot.metrics import registry

        start_http_server(deps.settings.metrics_port, registry=registry())
    build_scheduler(deps, background=False).start()


def cmd_check(_: argparse.Namespace) -> None:
    from bot.check import run_check

    sys.exit(run_check(_deps(), prog_name()))


def cmd_report(args: argparse.Namespace) -> None:
    from bot import report
    from bot.check import database_problem

    deps = _deps()
    _stop_on(database_problem(deps.db, prog_name()))
    now = deps.time.now()
    if args.cases:
        rows = report.case_rows(
            deps, since=args.since, now=now, department=args.dept, progress=sys.stderr.isatty()
        )
        report.write(rows, report.CASE_COLUMNS, args.format, sys.stdout)
    else:
        summaries = report.build(deps, since=args.since, now=now, department=args.dept)
        report.write(map(report.summary_row, summaries), report.COLUMNS, args.format, sys.stdout)


def cmd_demo(_: argparse.Namespace) -> None:
    from bot.demo import run_demo

    run_demo()


def cmd_standin(args: argparse.Namespace) -> None:
    from bot.demo.standin import serve

    serve(args.port)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog_name(),
        description="Casebot: customer posts become cases owned and answered from Slack.",
        epilog="Environment variables and the config file are described in README.md.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, run: Callable[[argparse.Namespace], None], text: str
    ) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=text, description=text)
        command.set_defaults(run=run)
        return command

    add("web", lambda _: _web(with_worker=False), "HTTP app under gunicorn: Slack, ingest, health")
    add("worker", cmd_worker, "outbox delivery, SLA sweeps and on-call handoffs")
    add("serve", lambda _: _web(with_worker=True), "migrate, then web and worker in one process")
    add("migrate", cmd_migrate, "bring the database to the latest schema (creates it)")
    add("check", cmd_check, "validate env, config, database and Slack; one line per problem")
    report = add("report", cmd_report, "export the summary numbers per department")
    report.add_argument(
        "--since",
        default="7d",
        help="how far back: 12h, 7d, 30d, a start date 2026-11-01, or 2026-11-01..2026-11-30 (7d)",
    )
    report.add_argument("--dept", default=None, help="one department (default: all, and each)")
    report.add_argument("--format", default="csv", choices=("csv", "json", "table"), help="(csv)")
    report.add_argument(
        "--cases", action="store_true", help="one row per case opened in the period, streamed"
    )
    add("demo", cmd_demo, "the whole flow offline, printed as Slack would show it")
    standin = add("standin", cmd_standin, "a local Slack Web API stand-in that records calls")
    standin.add_argument("--port", type=int, default=3999, help="port on 127.0.0.1 (3999)")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    quiet = "WARNING" if args.command == "demo" else "INFO"
    try:
        logs.setup(os.environ.get("LOG_LEVEL", quiet))
        args.run(args)
    except ConfigError as exc:
        print(f"casebot: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
