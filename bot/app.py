"""Assembles the web side: the Bolt app (one signed `/slack/events`), ingest and health."""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, Response, jsonify
from flask.typing import ResponseReturnValue
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from slack_bolt import App
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from bot import metrics, polling, web_errors
from bot.deps import Deps
from bot.slack.client import configure, make_lookup_client
from bot.slack.identity import Identity
from bot.slack.people import People
from handlers import ingest
from handlers.slack import (
    actions,
    answers,
    commands,
    door,
    events,
    pages,
    problem_actions,
    views,
    workpool,
)
from handlers.status import page as status_page
from storage import backlog, detection_queue, outbox
from storage.db import is_unavailable

log = logging.getLogger("casebot.app")
MAX_REQUEST_BYTES = 1024 * 1024 + 4096
LISTENER_THREADS = int(os.environ.get("WEB_THREADS", "8"))
"""Listener threads when the listener runs before the answer (`process_before_response`,
tests and the demo); in production `handlers.slack.workpool` sizes Bolt's pool."""


@dataclass
class WebApp:
    bolt: App
    flask: Flask


def create_bolt(
    deps: Deps, *, process_before_response: bool = False, identity: Identity | None = None
) -> App:
    """The Bolt app. `process_before_response=True` answers Slack only after the listener
    finished, which tests and the demo use to observe the result deterministically; in
    production the listener acks first and the HTTP answer leaves at `ack()`.

    Bolt gets no token but an `authorize` that hands it the token and the bot's identity
    as `Identity` keeps them (asked once at start, never per request), so no request
    waits on Slack's Web API before its ack; requests from another workspace are
    refused by a middleware."""
    settings = deps.settings
    if identity is None:
        identity = Identity(make_lookup_client(settings.slack_bot_token, settings.slack_api_url))
        identity.start()
    pool = workpool.WorkPool() if not process_before_response else None
    bolt = App(
        signing_secret=settings.slack_signing_secret,
        authorize=identity.authorize(settings.slack_bot_token),
        process_before_response=process_before_response,
        # Unhandled requests go to our error handler (handlers.slack.door), which answers
        # them without logging their body (Bolt's own warning would).
        raise_error_for_unhandled_request=True,
        listener_executor=pool or ThreadPoolExecutor(max_workers=LISTENER_THREADS),
    )
    if pool is not None:
        workpool.install(bolt, pool)
    configure(bolt.client, settings.slack_api_url)
    bolt.use(identity.only_our_workspace)
    people = People(make_lookup_client(settings.slack_bot_token, settings.slack_api_url), identity)
    bolt.use(answers.provide(deps))
    commands.register(bolt, deps, people)
    actions.register(bolt)
    problem_actions.register(bolt)
    views.register(bolt)
    pages.register(bolt)
    events.register(bolt)
    return bolt


def create_app(
    deps: Deps, *, process_before_response: bool = False, identity: Identity | None = None
) -> WebApp:
    bolt = create_bolt(deps, process_before_response=process_before_response, identity=identity)
    web = Flask("casebot")
    web.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    door.register(web, bolt, deps.settings.slack_signing_secret or "")

    @web.get("/healthz")
    def healthz() -> ResponseReturnValue:
        """The database answers, and what the outbox still owes: `outbox` counts rows by
        status, `backlog` the rows not yet delivered, `oldest_age_seconds` how long the
        oldest of them has waited (null when none); `detection_queue` the cases not yet
        compared for a problem (`bot.problems.queue`), the same way; `pollers` each
        poller's last success and last error (`bot.polling.health`)."""
        if not deps.db.ping():
            response = jsonify(ok=False, database="unreachable")
            response.headers["Retry-After"] = str(web_errors.RETRY_AFTER_SECONDS)
            return response, 503
        with deps.db.read() as session:
            queue = outbox.backlog(session)
            waiting = backlog.pending(session)
            detections = detection_queue.waiting(session)
            polled = polling.health(session, deps.config)
        now = deps.time.now()
        oldest = min((p.oldest for p in waiting), default=None)
        return jsonify(
            ok=True,
            database="ok",
            outbox=queue,
            backlog=sum(p.depth for p in waiting),
            oldest_age_seconds=_age(now, oldest),
            detection_queue={
                "depth": detections.depth,
                "oldest_age_seconds": _age(now, detections.oldest),
            },
            pollers=polled,
        ), 200

    @web.get("/metrics")
    def metrics_page() -> ResponseReturnValue:
        """Prometheus text format; the outbox gauges are read from the database now, and
        a database that does not answer leaves them out (`casebot_database_up 0`)."""
        waiting: list[backlog.Pending] | None = None
        detections: detection_queue.Waiting | None = None
        try:
            with deps.db.read() as session:
                waiting = backlog.pending(session)
                detections = detection_queue.waiting(session)
        except SQLAlchemyError as exc:
            if not is_unavailable(exc):
                raise
        return Response(
            metrics.render(waiting, detections, deps.time.now()),
            content_type=CONTENT_TYPE_PLAIN_0_0_4,
        )

    ingest.register(web, deps)
    status_page.register(web, deps)
    web_errors.register(web)
    if hops := deps.settings.trusted_proxies:
        web.wsgi_app = ProxyFix(web.wsgi_app, x_for=hops)  # type: ignore[method-assign]
    return WebApp(bolt=bolt, flask=web)


def _age(now: datetime, since: datetime | None) -> float | None:
    return round((now - since).total_seconds(), 1) if since else None
