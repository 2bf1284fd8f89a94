"""`POST /ingest/{source}`: verify the HMAC, parse with the source's channel module, store.

Answers 202 only after the post and its case are committed, so an integration that
got a 202 can forget the post. Posts that arrive together are committed together
(`bot.groupcommit`), each answered once the commit that holds it is done.
"""

from __future__ import annotations

import hmac
import logging
import re
from datetime import datetime

from flask import Flask, Request, Response, jsonify, request
from flask.typing import ResponseReturnValue

from bot import intake, metrics
from bot.deps import Deps
from bot.groupcommit import GroupCommit
from bot.ids import format_case_id
from handlers.channels import registry
from handlers.channels.base import ParseError, sign
from handlers.channels.limits import MAX_BODY, unix_seconds
from storage.db import is_unavailable

log = logging.getLogger("casebot.ingest")

REPLAY_WINDOW_SECONDS = 300
_SOURCE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def _refusal(req: Request, secret: str, body: bytes, now: datetime) -> str | None:
    """Why a request is not authentic, or None. A correctly signed request with a stale
    timestamp is named as such, so a sender with a drifting clock is not sent hunting
    for a wrong key."""
    given = req.headers.get("X-Casebot-Signature", "")
    timestamp = req.headers.get("X-Casebot-Timestamp")
    if timestamp is not None and not unix_seconds(timestamp):
        # Read as a number below: its form is checked first, signed or not.
        return "X-Casebot-Timestamp must be unix seconds"
    expected = sign(secret, body, timestamp)
    if not secret or not hmac.compare_digest(given.encode(), expected.encode()):
        return "bad or missing X-Casebot-Signature"
    if timestamp is None:
        return None
    if abs(now.timestamp() - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        return (
            f"stale X-Casebot-Timestamp: more than {REPLAY_WINDOW_SECONDS} s away from"
            " the server's clock (check the sender's clock)"
        )
    return None


def _error(status: int, message: str, field: str | None = None) -> tuple[Response, int]:
    body: dict[str, str] = {"error": message}
    if field:
        body["field"] = field
    return jsonify(body), status


UNAUTHENTICATED = "(unauthenticated)"
"""The source label of requests counted before their signature was checked: anyone can
send those, so the name they give is not a label (it would grow without bound)."""


def register(web: Flask, deps: Deps) -> None:
    secret = deps.settings.ingest_secret or ""
    posts = GroupCommit(deps.db, deps.config)

    @web.post("/ingest/<source>")
    def ingest(source: str) -> ResponseReturnValue:
        """Every answer is counted by source and code, the 503 of a database that is down
        (answered by `bot.web_errors`) included."""
        seen = {"source": UNAUTHENTICATED}
        try:
            response, status = receive(source, seen)
        except Exception as exc:
            code = "503" if is_unavailable(exc) else "500"
            metrics.INGESTED.labels(source=seen["source"], code=code).inc()
            raise
        metrics.INGESTED.labels(source=seen["source"], code=str(status)).inc()
        return response, status

    def receive(source: str, seen: dict[str, str]) -> tuple[Response, int]:
        if not _SOURCE.match(source):
            return _error(404, "unknown source name", "source")
        if (request.content_length or 0) > MAX_BODY:
            return _error(413, f"body larger than {MAX_BODY} bytes")
        body = request.get_data(cache=False)
        if len(body) > MAX_BODY:
            return _error(413, f"body larger than {MAX_BODY} bytes")
        if refusal := _refusal(request, secret, body, deps.time.now()):
            return _error(401, refusal)
        seen["source"] = source
        parse = registry.parser_for(source, request.content_type)
        if parse is None:
            accepted = ", ".join(registry.accepted_types(source))
            return _error(
                415, f"content type {request.mimetype or '(none)'} not accepted; use {accepted}"
            )
        try:
            post = parse(source, body, request.content_type or "")
        except ParseError as exc:
            return _error(400, str(exc), exc.field)

        now = deps.time.now()
        if isinstance(post, list):
            stored = intake.store_all(deps.db, post, now=now, config=deps.config)
        else:
            stored = [posts.store(post, now=now)]
        for received in stored:
            log.info(
                "ingest.accepted",
                extra={
                    "source": source,
                    "case": received.case_id,
                    "duplicate": received.duplicate,
                },
            )
        answers = [_answer(received) for received in stored]
        body = {**answers[0], "duplicate": all(a["duplicate"] for a in answers)}
        if isinstance(post, list):
            body["posts"] = answers
        return jsonify(body), 202


def _answer(received: intake.Received) -> dict[str, object]:
    """`case` is null for automated mail that concerns none of our cases."""
    return {
        "case": format_case_id(received.case_id) if received.case_id is not None else None,
        "post": received.post_id,
        "duplicate": received.duplicate,
    }
