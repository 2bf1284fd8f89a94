"""`GET /status/{token}`: the case's status page, server-rendered, no script at all.

Every answer under `/status/` has the one page shape (found, not found, rate-limited),
`Cache-Control: no-store` (the page is live and may sit on a shared computer) and
headers that keep it from being framed, sniffed, indexed or leaking its address as a
referrer. The stylesheet is a file of its own, so the CSP allows no inline style.
"""

from __future__ import annotations

import logging
import math
import re

from flask import Blueprint, Flask, Response, render_template, request

from bot import status
from bot.deps import Deps
from bot.status import StatusPage
from handlers.status.ratelimit import TokenBucket

log = logging.getLogger("casebot.status")

BURST = 30
PER_SECOND = 0.5
"""Per client address and web process: 30 loads at once, then one every 2 s (30 a minute)."""
ASSETS = "/status-assets"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none';"
    " form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_TOKEN_PATH = re.compile(rf"^{re.escape(status.PATH)}.+")


def loggable_path(path: str) -> str:
    """A request path fit for the access log: a status token is a key, never logged."""
    return _TOKEN_PATH.sub(f"{status.PATH}…", path)


def _answer(page: StatusPage | None, code: int) -> Response:
    return Response(render_template("status_page.html", page=page, code=code), status=code)


def blueprint(deps: Deps, limiter: TokenBucket) -> Blueprint:
    bp = Blueprint(
        "status",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path=ASSETS,
    )

    @bp.get(status.PATH, defaults={"token": ""})
    @bp.get(f"{status.PATH}<path:token>")
    def status_page(token: str) -> Response:
        verdict = limiter.take(request.remote_addr or "")
        if not verdict.allowed:
            limited = _answer(None, 429)
            limited.headers["Retry-After"] = str(math.ceil(verdict.retry_after))
            return limited
        now = deps.time.now()
        with deps.db.read() as session:
            case_id = status.case_for_token(session, token)
            page = None if case_id is None else status.page(session, case_id, deps.config, now)
        if page is None:
            log.info("status.not_found")
            return _answer(None, 404)
        log.info("status.shown", extra={"case": case_id})
        return _answer(page, 200)

    @bp.after_request
    def _headers(resp: Response) -> Response:
        resp.headers.update(SECURITY_HEADERS)
        if request.endpoint != "status.static":
            resp.headers["Cache-Control"] = "no-store"
        return resp

    return bp


def register(web: Flask, deps: Deps, limiter: TokenBucket | None = None) -> None:
    web.register_blueprint(
        blueprint(deps, limiter or TokenBucket(capacity=BURST, per_second=PER_SECOND))
    )
