"""Runs the web app under gunicorn (threaded workers), or over Socket Mode.

A sync Bolt app behind threaded WSGI workers: each request holds a thread only until
`ack()`, and there is one concurrency model in the whole process.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from gunicorn.app.base import BaseApplication

from bot.app import create_app
from bot.deps import Deps
from bot.worker import build_scheduler

log = logging.getLogger("casebot.server")


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, deps: Deps, options: dict[str, Any], with_worker: bool) -> None:
        self.deps = deps
        self.options = options
        self.with_worker = with_worker
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Runs in each gunicorn worker process, after the fork (engines are not shared)."""
        self.deps.db.dispose()
        web = create_app(self.deps)
        if self.deps.settings.slack_app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            SocketModeHandler(web.bolt, self.deps.settings.slack_app_token).connect()
            log.info("socket_mode.connected")
        if self.with_worker:
            build_scheduler(self.deps, background=True).start()
            log.info("worker.started_in_process")
        return web.flask


def run_web(deps: Deps, *, with_worker: bool) -> None:
    workers = 1 if with_worker else int(os.environ.get("WEB_CONCURRENCY", "2"))
    options = {
        "bind": f"0.0.0.0:{deps.settings.port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": int(os.environ.get("WEB_THREADS", "8")),
        "timeout": 30,
        "accesslog": "-",
    }
    _Gunicorn(deps, options, with_worker).run()
