"""`POST /ingest/{source}`: verify the HMAC, parse with the source's channel module, store.

Answers 202 only after the post and its case are committed, so an integration that
got a 202 can forget the post.
"""

from __future__ import annotations

import hmac
import logging
import re
from datetime import datetime

from flask import Flask, Request, jsonify, request
from flask.typing import ResponseReturnValue

from bot import intake
from bot.deps import Deps
from bot.ids import format_case_id
from handlers.channels import registry
from handlers.channels.base import ParseError, sign

log = logging.getLogger("casebot.ingest")

MAX_BODY = 1024 * 1024
REPLAY_WINDOW_SECONDS = 300
_SOURCE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def _verified(req: Request, secret: str, body: bytes, now: datetime) -> bool:
    given = req.headers.get("X-Casebot-Signature", "")
    timestamp = req.headers.get("X-Casebot-Timestamp")
    if timestamp is not None:
        if not timestamp.isdigit():
            return False
        if abs(now.timestamp() - int(timestamp)) > REPLAY_WINDOW_SECONDS:
            return False
    return hmac.compare_digest(given.encode(), sign(secret, body, timestamp).encode())


def _error(status: int, message: str, field: str | None = None) -> ResponseReturnValue:
    body: dict[str, str] = {"error": message}
    if field:
        body["field"] = field
    return jsonify(body), status


def register(web: Flask, deps: Deps) -> None:
    secret = deps.settings.ingest_secret or ""

    @web.post("/ingest/<source>")
    def ingest(source: str) -> ResponseReturnValue:
        if not _SOURCE.match(source):
            return _error(404, "unknown source name", "source")
        if (request.content_length or 0) > MAX_BODY:
            return _error(413, f"body larger than {MAX_BODY} bytes")
        body = request.get_data(cache=False)
        if len(body) > MAX_BODY:
            return _error(413, f"body larger than {MAX_BODY} bytes")
        if not secret or not _verified(request, secret, body, deps.clock.now()):
            return _error(401, "bad or missing X-Casebot-Signature")
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

        received = intake.store(deps.db, post, now=deps.clock.now(), config=deps.config)
        log.info(
            "ingest.accepted",
            extra={"source": source, "case": received.case_id, "duplicate": received.duplicate},
        )
        return jsonify(
            case=format_case_id(received.case_id),
            post=received.post_id,
            duplicate=received.duplicate,
        ), 202
