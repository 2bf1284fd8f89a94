"""Apps under test, served the production way, for the A/B benchmarks.

Every app runs in a child process under gunicorn with exactly the options `casebot web`
gives it (`bot.server.run_web`: worker class, 2 workers x 8 threads, timeouts, logging);
only the bind changes, to loopback, so a benchmark opens no port to the network. The
baselines ("bare") are served by the same code path with a different WSGI app, so a ratio
compares the apps, not the servers:

- `casebot`: `python -m bot web` (or `serve`: web and worker in one process);
- `bare-ingest`: one `INSERT` of a post-sized row and its `COMMIT` per request, through
  the same engine setup (`storage.db.make_engine`), no signature, no parsing;
- `bare-bolt`: a Bolt app with one slash command and one button that ack and answer on
  `response_url` with a line of text, the Flask adapter, as many listener threads as
  Casebot's (`handlers.slack.workpool.LISTENER_THREADS`: with fewer, its acks waited for
  threads busy answering, and its p99 was Casebot's advantage, not the apps').

Run as `python -m bench.serving KIND` with `PORT`, `DATABASE_URL`… in the environment.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "config", "casebot.example.yaml")
"""Not imported from `bench.common`: the child must not import `prometheus_client`
before `casebot web` prepares its metrics directory."""
SIGNING_SECRET = "bench-signing-secret"
INGEST_SECRET = "bench-ingest-secret"


def bare_ingest_app() -> Callable[..., Any]:
    """WSGI: read the body, insert one row, commit, answer 202. The floor under ingest.

    The row: a post's identity, author, text and time, unique on the id."""
    import json

    from sqlalchemy import Column, Integer, MetaData, String, Table, Text, exc, insert

    from storage.db import make_engine  # storage only: the same engine set-up

    engine = make_engine(os.environ["DATABASE_URL"])
    bare = MetaData()
    posts = Table(
        "bench_bare_posts",
        bare,
        Column("id", Integer, primary_key=True),
        Column("source", String(32), nullable=False),
        Column("external_id", String(200), nullable=False, unique=True),
        Column("author", String(200)),
        Column("text", Text, nullable=False),
        Column("received_at", String(40), nullable=False),
    )
    for attempt in range(5):
        try:
            bare.create_all(engine)
            break
        except exc.DBAPIError:
            # Both workers create the table at start: on PostgreSQL the second one's
            # CREATE can fail on the first one's (the worker died, and gunicorn with it).
            if attempt == 4:
                raise
            time.sleep(0.2)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ["REQUEST_METHOD"] == "GET":  # /healthz
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"ok": true}']
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length))
        with engine.begin() as conn:
            new_id = conn.execute(
                insert(posts).values(
                    source="twitter",
                    external_id=body["id"],
                    author=body["author"]["handle"],
                    text=body["text"],
                    received_at=time.strftime("%Y-%m-%dT%H:%M:%S"),
                )
            ).inserted_primary_key[0]
        out = json.dumps({"post": new_id}).encode()
        start_response("202 Accepted", [("Content-Type", "application/json")])
        return [out]

    return app


def bare_bolt_app() -> Callable[..., Any]:
    """The same door Casebot has (Bolt, Flask adapter, listener pool), doing nothing."""
    from flask import Flask, request
    from slack_bolt import App
    from slack_bolt.adapter.flask import SlackRequestHandler
    from slack_bolt.authorization import AuthorizeResult

    bolt = App(
        signing_secret=SIGNING_SECRET,
        authorize=lambda **_: AuthorizeResult(
            enterprise_id=None, team_id="T1", bot_user_id="UCASEBOT", bot_token="xoxb-bench"
        ),
        listener_executor=ThreadPoolExecutor(max_workers=int(os.environ["LISTENER_THREADS"])),
    )

    @bolt.command("/case")
    def command(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        ack()
        respond(text=f"ok {command.get('text', '')}", response_type="ephemeral")

    @bolt.action({"action_id": "case_claim"})
    def click(ack: Any, respond: Any) -> None:
        ack()
        respond(text="ok claimed", replace_original=False)

    handler = SlackRequestHandler(bolt)
    web = Flask("bare")

    @web.post("/slack/events")
    def events() -> Any:
        return handler.handle(request)

    @web.get("/healthz")
    def healthz() -> Any:
        return {"ok": True}

    return web


def child(kind: str) -> None:
    """The child process: Casebot as `casebot web` (or `serve`) runs it, or a bare app
    under the same gunicorn options without importing any of Casebot."""
    if kind in BARE_APPS:
        bare(BARE_APPS[kind])
    else:
        casebot(kind)


def casebot(kind: str) -> None:
    """`casebot web` / `serve`, its gunicorn application bound to loopback.

    `casebot web` prepares the metrics directory before anything imports
    `prometheus_client`; patching the server needs that import first, so it is
    prepared here and `casebot web`'s own call is handed the same result."""
    from bot import metrics_dir

    remove_metrics = metrics_dir.prepare()
    metrics_dir.prepare = lambda: remove_metrics  # type: ignore[assignment]

    from bot import server
    from bot.__main__ import main

    class Loopback(server._Gunicorn):
        def load_config(self) -> None:
            super().load_config()
            self.cfg.set("bind", f"127.0.0.1:{os.environ['PORT']}")

    server._Gunicorn = Loopback  # type: ignore[misc]
    main(["serve" if kind == "casebot-serve" else "web"])


def bare(make: Callable[[], Callable[..., Any]]) -> None:
    """gunicorn's threaded worker with the options `bot.server.run_web` sets (workers,
    threads, timeout, an access log line per request), none of Casebot imported: the
    floor a minimal app pays for the same server."""
    from gunicorn.app.base import BaseApplication

    class Bare(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {
                "bind": f"127.0.0.1:{os.environ['PORT']}",
                "workers": int(os.environ.get("WEB_CONCURRENCY", "2")),
                "worker_class": "gthread",
                "threads": int(os.environ.get("WEB_THREADS", "8")),
                "timeout": 30,
                "accesslog": "-",
            }.items():
                self.cfg.set(key, value)

        def load(self) -> Callable[..., Any]:
            return make()

    Bare().run()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(url: str, api_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_URL": api_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "INGEST_SECRET": INGEST_SECRET,
        "CASEBOT_CONFIG": os.path.abspath(EXAMPLE),
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
        "WEB_THREADS": os.environ.get("WEB_THREADS", "8"),
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    env.pop("SLACK_APP_TOKEN", None)
    return env


@contextmanager
def served(
    kind: str, url: str, api_url: str, log_path: str, **extra: str
) -> Iterator[tuple[str, int]]:
    """`kind` in a child process until the block ends; yields its base URL and pid.
    `api_url` is Slack's Web API as the app sees it (a stand-in)."""
    from handlers.slack.workpool import LISTENER_THREADS  # here: the child stays bare

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    threads = str(LISTENER_THREADS)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.serving", kind],
            cwd=ROOT,
            env=_env(url, api_url, PORT=str(port), LISTENER_THREADS=threads, **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_healthy(base, proc)
            yield base, proc.pid
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


@contextmanager
def worker(url: str, api_url: str, log_path: str, **extra: str) -> Iterator[int]:
    """`casebot worker` beside a served app (started after it: the app migrates the
    database), as production runs the two; yields its pid."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            cwd=ROOT,
            env=_env(url, api_url, **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc.pid
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


def wait_healthy(base: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx  # not at the top: the served child (this module) must stay bare

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the served app exited with {proc.returncode}")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the served app did not become healthy within 60 s")


def load() -> str:
    """The 1-minute load average, to print beside every figure on a shared machine."""
    return f"{os.getloadavg()[0]:.2f}"


BARE_APPS: dict[str, Callable[[], Callable[..., Any]]] = {
    "bare-ingest": bare_ingest_app,
    "bare-bolt": bare_bolt_app,
}

if __name__ == "__main__":
    child(sys.argv[1])
