"""How the web side answers when a request goes wrong: always JSON with an `error` field,
never an HTML page or a traceback.

The database being unreachable is not a bug in the request: it answers 503 with
`Retry-After`, so a sender retries later instead of dropping the post, and the log
gets one line per kind of failure and minute (see `bot.logs.FloodFilter`), not a
traceback per request.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from storage.db import is_unavailable

log = logging.getLogger("casebot.web")

RETRY_AFTER_SECONDS = 10


def unavailable(what: str = "database unreachable") -> ResponseReturnValue:
    response = jsonify(error=f"{what}; try again later", retry_after=RETRY_AFTER_SECONDS)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response, 503


def register(web: Flask) -> None:
    @web.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        response = jsonify(error=(exc.name or "error").lower())
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value  # e.g. `Allow` of a 405
        return response, exc.code or 500

    @web.errorhandler(Exception)
    def failure(exc: Exception) -> ResponseReturnValue:
        door = request.path.strip("/").split("/", 1)[0]
        if is_unavailable(exc):
            log.warning("database.unavailable", exc_info=exc, extra={"door": door})
            return unavailable()
        log.error("web.failed", exc_info=exc, extra={"door": door})
        return jsonify(error="internal error; it has been logged"), 500
