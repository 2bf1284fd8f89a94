"""`python -m bot web | worker | serve | migrate | check | demo`."""

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


def cmd_demo() -> None:
    from bot.demo import run_demo

    run_demo()


COMMANDS: dict[str, Callable[[], None]] = {
    "web": lambda: _web(with_worker=False),
    "serve": lambda: _web(with_worker=True),
    "worker": cmd_worker,
    "migrate": cmd_migrate,
    "check": cmd_check,
    "demo": cmd_demo,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("command", choices=sorted(COMMANDS))
    args = parser.parse_args(argv)
    quiet = "WARNING" if args.command == "demo" else "INFO"
    logs.setup(os.environ.get("LOG_LEVEL", quiet))
    try:
        COMMANDS[args.command]()
    except ConfigError as exc:
        print(f"casebot: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
