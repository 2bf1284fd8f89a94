"""`python -m bot web | worker | serve | migrate | check | demo | report`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from bot import logs
from bot.deps import Deps
from config.errors import ConfigError
from config.load import load_config
from config.settings import load_settings
from storage.db import Database
from storage.migrate import upgrade


def _deps() -> Deps:
    settings = load_settings()
    config = load_config(settings.casebot_config)
    return Deps(settings=settings, config=config, db=Database(settings.database_url))


def cmd_migrate() -> None:
    upgrade(load_settings().database_url)
    print("database is at the latest migration")


def _web(*, with_worker: bool) -> None:
    from bot.server import run_web

    deps = _deps()
    deps.settings.require("slack_bot_token", "slack_signing_secret", "ingest_secret")
    if with_worker:
        upgrade(deps.settings.database_url)
    run_web(deps, with_worker=with_worker)


def cmd_worker() -> None:
    from bot.worker import build_scheduler

    deps = _deps()
    deps.settings.require("slack_bot_token")
    build_scheduler(deps, background=False).start()


def cmd_check() -> None:
    from bot.check import run_check

    sys.exit(run_check(_deps()))


def cmd_report(args: argparse.Namespace) -> None:
    from bot import report

    deps = _deps()
    print(
        report.render(report.build(deps, since=args.since, now=deps.clock.now()), args.format),
        end="",
    )


def cmd_demo() -> None:
    from bot.demo import run_demo

    run_demo()


COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "web": lambda _: _web(with_worker=False),
    "serve": lambda _: _web(with_worker=True),
    "worker": lambda _: cmd_worker(),
    "migrate": lambda _: cmd_migrate(),
    "check": lambda _: cmd_check(),
    "demo": lambda _: cmd_demo(),
    "report": cmd_report,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--since", default="7d", help="report: how far back (30m, 7d, …)")
    parser.add_argument("--format", default="csv", choices=("csv", "json"), help="report format")
    args = parser.parse_args(argv)
    quiet = "WARNING" if args.command == "demo" else "INFO"
    logs.setup(os.environ.get("LOG_LEVEL", quiet))
    try:
        COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"casebot: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
