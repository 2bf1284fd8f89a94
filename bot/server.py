"""Runs the web app under gunicorn (threaded workers), or over Socket Mode.

A sync Bolt app behind threaded WSGI workers: each request holds a thread only until
`ack()`, and there is one concurrency model in the whole process.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from gunicorn.config import Config

from bot.app import create_app
from bot.deps import Deps
from bot.worker import build_scheduler
from handlers.ingest import MAX_BODY
from handlers.status.page import loggable_path

log = logging.getLogger("casebot.server")


class JsonLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's own log and its access log as the same JSON lines as everything else:
    its records go to the root handler of `bot.logs` instead of gunicorn's plain-text
    handlers, and each request is one record with fields rather than a formatted line."""

    def setup(self, cfg: Config) -> None:
        super().setup(cfg)
        level = logging.getLogger().getEffectiveLevel()
        for logger in (self.error_log, self.access_log):
            logger.handlers[:] = [h for h in logger.handlers if not getattr(h, "_gunicorn", 0)]
            logger.propagate = True
            logger.setLevel(level)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        status = str(resp.status).split(None, 1)[0]
        self.access_log.info(
            "http.request",
            extra={
                "method": environ.get("REQUEST_METHOD"),
                "path": loggable_path(str(environ.get("PATH_INFO", ""))),
                "status": int(status) if status.isdigit() else status,
                "bytes": getattr(resp, "sent", None),
                "ms": round(request_time.total_seconds() * 1000, 1),
                "remote": environ.get("REMOTE_ADDR"),
            },
        )


def close_when_refused(_worker: Any, req: Any) -> None:
    """A body over the ingest limit is refused (413) unread, and gunicorn drains at most
    64 KiB of an unread body before resetting the connection: say `Connection: close`
    with the answer, so a sender's pool opens a new connection instead of reusing a dead one."""
    length = next((v for k, v in req.headers if k == "CONTENT-LENGTH"), "0")
    if length.isdigit() and int(length) > MAX_BODY:
        req.force_close()


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


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def run_web(deps: Deps, *, with_worker: bool) -> None:
    workers = 1 if with_worker else int(os.environ.get("WEB_CONCURRENCY", "2"))
    options = {
        "bind": bind_address(deps.settings.host, deps.settings.port),
        "workers": workers,
        "worker_class": "gthread",
        "threads": int(os.environ.get("WEB_THREADS", "8")),
        "timeout": 30,
        "accesslog": "-",
        "logger_class": JsonLogger,
        "pre_request": close_when_refused,
    }
    _Gunicorn(deps, options, with_worker).run()
