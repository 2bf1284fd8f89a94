"""Runs the web app under gunicorn (threaded workers), or over Socket Mode.

A sync Bolt app behind threaded WSGI workers: each request holds a thread only until
`ack()`, and there is one concurrency model in the whole process.

The app (Flask, Bolt, the handlers), its dependencies (config, database) and the
worker's scheduler are built in the gunicorn worker (`load`), not here: the master only
forks and watches, and what it imports is resident twice (master and worker), since
reference counting dirties the pages a fork would share. Its start-up checks ran in a
child that has exited (`bot.prefork`).
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import sys
from datetime import timedelta
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from gunicorn.config import Config
from gunicorn.workers.gthread import ThreadWorker

from bot.metrics_dir import MULTIPROC_ENV
from handlers.channels.limits import MAX_BODY, MAX_HEADER_BYTES, MAX_HEADERS, MAX_REQUEST_LINE

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
        from handlers.status.page import loggable_path

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
    if length.isdigit() and (len(length) > len(str(MAX_BODY)) or int(length) > MAX_BODY):
        req.force_close()


class _Captured:
    """Stands in for the client socket while gunicorn writes its error page."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data: bytes) -> None:
        self.data += data


class CasebotWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's threaded worker, with two differences:
    - a stopping worker lets go of the port at once, then finishes its requests (gunicorn
      would hold it while kept-alive connections linger, 2 s), so a restarted master can
      bind it;
    - requests gunicorn refuses before the app sees them (a request line or headers over
      the limits: 414, 431; a malformed request or an unknown transfer coding: 400) are
      answered with JSON like every other answer, not with gunicorn's HTML page."""

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled)
        stopping = not self.alive or self.ppid != os.getppid()
        if not enabled and stopping:
            for listener in self.sockets:
                listener.close()

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        page = _Captured()
        super().handle_error(req, page, addr, exc)
        status = page.data.split(b"\r\n", 1)[0].split(b" ", 2)
        code = int(status[1]) if len(status) > 1 and status[1].isdigit() else 400
        reason = status[2].decode("latin-1") if len(status) > 2 else "Bad Request"
        if code == 501:  # an unknown Transfer-Encoding: the client's doing, so a 4xx
            code, reason = 400, "Unsupported Transfer Coding"
        body = json.dumps({"error": reason.lower()}).encode()
        head = (
            f"HTTP/1.1 {code} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        try:
            client.sendall(head.encode("latin-1") + body)
        except OSError:
            self.log.debug("Failed to send error message.")


PR_SET_PDEATHSIG = 1
M_ARENA_MAX = -8
MALLOC_ARENAS = 2
"""glibc gives each thread that contends for the allocator an arena of its own (up to 8
per core); a worker has dozens of threads (gunicorn's, Bolt's listeners, the
scheduler's) whose freed memory stays scattered over those arenas. Two arenas took
about 10 MB off a worker's resident set at 100k open cases (`bench.memory`)."""


def die_with_master(server: Any, _worker: Any) -> None:
    """gunicorn's `post_fork`: fewer malloc arenas (`MALLOC_ARENAS`), and on Linux the
    kernel sends the worker SIGTERM (a graceful stop: it closes the listening socket at
    once, then finishes its requests) when the master dies, even by SIGKILL. Without it
    a worker notices only at its next check, and meanwhile holds the port a restarted
    master needs."""
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if hasattr(libc, "mallopt"):  # glibc; before the worker starts its threads
        libc.mallopt(M_ARENA_MAX, MALLOC_ARENAS)
    if os.getppid() != server.pid:  # the master died before the line above
        os.kill(os.getpid(), signal.SIGTERM)


def forget_worker(_server: Any, worker: Any) -> None:
    """gunicorn's `child_exit`: a dead worker's live gauges leave the pooled metrics."""
    from prometheus_client import multiprocess

    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(worker.pid)


def stop_scheduler(_server: Any, worker: Any) -> None:
    """gunicorn's `worker_exit`: `serve`'s in-process scheduler finishes its running job
    and stops before the interpreter does; left to interpreter shutdown, its thread
    would try to run the next job on an executor that is already closed, and log that
    as an error on every stop."""
    scheduler = getattr(worker.app, "scheduler", None)
    if scheduler is not None:
        scheduler.shutdown(wait=True)


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], with_worker: bool) -> None:
        self.options = options
        self.with_worker = with_worker
        self.scheduler: Any = None
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Runs in each gunicorn worker process, after the fork (engines are not shared)."""
        from bot.app import create_app
        from bot.deps import from_environment
        from bot.worker import build_scheduler

        deps = from_environment()
        web = create_app(deps)
        if deps.settings.slack_app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            SocketModeHandler(web.bolt, deps.settings.slack_app_token).connect()
            log.info("socket_mode.connected")
        if self.with_worker:
            self.scheduler = build_scheduler(deps, background=True)
            self.scheduler.start()
            log.info("worker.started_in_process")
        return web.flask


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def run_web(bind: str, *, with_worker: bool) -> None:
    log.info("metrics.dir", extra={"path": os.environ.get(MULTIPROC_ENV)})
    workers = 1 if with_worker else int(os.environ.get("WEB_CONCURRENCY", "2"))
    options = {
        "bind": bind,
        "workers": workers,
        "worker_class": CasebotWorker,
        "threads": int(os.environ.get("WEB_THREADS", "8")),
        "timeout": 30,
        "accesslog": "-",
        "logger_class": JsonLogger,
        "pre_request": close_when_refused,
        "post_fork": die_with_master,
        "child_exit": forget_worker,
        "worker_exit": stop_scheduler,
        "limit_request_line": MAX_REQUEST_LINE,
        "limit_request_fields": MAX_HEADERS,
        "limit_request_field_size": MAX_HEADER_BYTES,
    }
    _Gunicorn(options, with_worker).run()
