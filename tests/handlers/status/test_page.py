"""`GET /status/{token}` through the real Flask app: what the page shows and never shows,
its headers, the one shape of every refusal, timing, and the per-address rate limit."""

from __future__ import annotations

import hashlib
import re
import statistics
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text

from bot import cases, intake, status
from bot.app import create_app
from bot.deps import Deps
from bot.ids import Surface
from bot.posts import Author, IncomingPost
from bot.timesource import ManualTime
from config.schema import CasebotConfig
from handlers.status import page as status_page
from handlers.status.ratelimit import TokenBucket
from storage.db import Database
from tests.support import status as seeded
from tests.support.flows import workflow_config

pytestmark = pytest.mark.both_db

SHAPE = (
    '<link rel="stylesheet" href="/status-assets/status.css">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<footer>Anyone with this link can see this page: keep it to yourself.</footer>",
)


@pytest.fixture
def config() -> CasebotConfig:
    return workflow_config("http://127.0.0.1:9")


def _page_text(html: str) -> str:
    """The words a reader sees (tags dropped, whitespace collapsed)."""
    words = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    return re.sub(r" (?=[.,:;])", "", words)


def _open(db: Database, config: CasebotConfig, time_source: ManualTime, text: str = "hi") -> str:
    with db.session() as s:
        case_id = intake.receive(
            s,
            IncomingPost(
                source="web", external_id="p-1", text=text, author=Author(id="a1", name="Dana")
            ),
            now=time_source.now(),
            config=config,
        ).case_id
        return status.mint_link(s, case_id=case_id, now=time_source.now())


def test_the_page_shows_the_case_and_the_replies_it_got(
    deps: Deps, http: FlaskClient, time_source: ManualTime
) -> None:
    seed = seeded.seed(deps.db, deps.config, time_source)
    resp = http.get(f"/status/{seed.token}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    words = _page_text(html)
    assert "Your case C-1" in words
    assert "Being handled" in words
    assert "A person will answer by Monday 17:18 UTC." in words  # the follow-up's 8h
    assert seeded.FIRST_REPLY in words
    for part in seeded.SECOND_REPLY_MASKED_PARTS:
        assert part in words
    assert words.index(seeded.FIRST_REPLY) < words.index(seeded.SECOND_REPLY_MASKED_PARTS[0])
    assert "23 November 2026, 09:08 UTC" in words  # the first reply's time, zone named
    assert "Received 23 November 2026, 09:00 UTC" in words


def test_the_page_never_shows_what_is_internal_or_someone_elses(
    deps: Deps, http: FlaskClient, time_source: ManualTime
) -> None:
    seed = seeded.seed(deps.db, deps.config, time_source)
    html = http.get(f"/status/{seed.token}").get_data(as_text=True)
    for secret in seeded.SECRETS + seeded.UNMASKED:
        assert secret not in html, secret
    for key, department in deps.config.departments.items():
        assert department.name not in html
        assert re.search(rf"\b{re.escape(key)}\b", html, re.IGNORECASE) is None, key
    assert "C-2" not in html


def test_the_page_has_no_script_and_no_inline_style(
    deps: Deps, http: FlaskClient, time_source: ManualTime
) -> None:
    seed = seeded.seed(deps.db, deps.config, time_source)
    html = http.get(f"/status/{seed.token}").get_data(as_text=True)
    assert "<script" not in html.lower()
    assert "<style" not in html.lower()
    assert " style=" not in html.lower()
    assert re.search(r"\son[a-z]+=", html) is None
    for part in SHAPE:
        assert part in html


def test_the_promise_then_we_are_late_then_being_answered(
    deps: Deps, http: FlaskClient, time_source: ManualTime
) -> None:
    token = _open(deps.db, deps.config, time_source)
    words = _page_text(http.get(f"/status/{token}").get_data(as_text=True))
    assert "Received" in words
    assert "A person will answer by Monday 13:00 UTC." in words  # normal: 4h, 24/7
    assert "late" not in words

    time_source.advance(timedelta(hours=4, minutes=1))
    words = _page_text(http.get(f"/status/{token}").get_data(as_text=True))
    assert "We promised to answer by Monday 13:00 UTC. We are late, sorry" in words

    with deps.db.session() as s:
        cases.wait_on_customer(
            s, 1, actor="U0ANA0001", surface=Surface.BUTTON, now=time_source.now()
        )
    words = _page_text(http.get(f"/status/{token}").get_data(as_text=True))
    assert "Waiting for you" in words and "answer by" not in words

    with deps.db.session() as s:
        cases.resolve(
            s,
            1,
            actor="U0ANA0001",
            surface=Surface.BUTTON,
            now=time_source.now(),
            config=deps.config,
        )
    words = _page_text(http.get(f"/status/{token}").get_data(as_text=True))
    assert "Resolved" in words and "answer by" not in words and "No reply yet." in words


def test_the_security_headers(deps: Deps, http: FlaskClient, time_source: ManualTime) -> None:
    token = _open(deps.db, deps.config, time_source)
    for path in (f"/status/{token}", "/status/nope"):
        headers = http.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "style-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "script-src" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Cache-Control"] == "no-store"
        assert headers["Content-Type"] == "text/html; charset=utf-8"
    css = http.get("/status-assets/status.css")
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert css.headers["X-Content-Type-Options"] == "nosniff"


WELL_FORMED = "Q2FzZWJvdCBzdGF0dXMgdG9rZW4gdGVz"
"""32 URL-safe characters like a real token, but of no case."""
MALFORMED = ["", "x", "../../etc/passwd", "a/b/c", "%00", "ä" * 40, "A" * 600, "<script>"]


@pytest.mark.parametrize("token", [*MALFORMED, WELL_FORMED])
def test_unknown_or_malformed_tokens_get_the_same_404_page(
    deps: Deps, http: FlaskClient, time_source: ManualTime, token: str
) -> None:
    real = _open(deps.db, deps.config, time_source)
    resp = http.get(f"/status/{token}")
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    for part in SHAPE:
        assert part in html
    assert "Case not found" in html and "C-1" not in html
    assert resp.headers["Cache-Control"] == "no-store"
    assert http.get(f"/status/{real}").status_code == 200
    assert http.get(f"/status/{real[:-1]}").status_code == 404


def test_a_link_is_random_long_and_stored_only_as_its_hash(
    deps: Deps, time_source: ManualTime
) -> None:
    tokens = [_open(deps.db, deps.config, time_source, text=f"t{i}") for i in range(1)]
    with deps.db.session() as s:
        tokens += [status.mint_link(s, case_id=1, now=time_source.now()) for _ in range(20)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)  # 24 random bytes: 192 bits
    with deps.db.engine.connect() as conn:
        stored = [tuple(r) for r in conn.execute(text("SELECT * FROM status_links"))]
    dump = repr(stored)
    assert all(token not in dump for token in tokens)
    hashes = {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    assert {row[2] for row in stored} == hashes


@pytest.fixture
def statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


@pytest.mark.parametrize("token", ["x", "A" * 600, WELL_FORMED])
def test_a_refused_token_costs_one_lookup_by_its_hash(
    deps: Deps,
    http: FlaskClient,
    time_source: ManualTime,
    statements: list[tuple[str, Any]],
    token: str,
) -> None:
    _open(deps.db, deps.config, time_source)
    statements.clear()
    assert http.get(f"/status/{token}").status_code == 404
    [(sql, params)] = statements
    assert "FROM status_links" in sql and "token_hash" in sql
    assert hashlib.sha256(token.encode()).hexdigest() in repr(params)


def _bare_app(deps: Deps) -> FlaskClient:
    """Only the status blueprint, with a limit nobody reaches (the timing test's rounds)."""
    web = Flask("status-timing")
    status_page.register(web, deps, TokenBucket(capacity=1e9, per_second=1e9))
    return web.test_client()


def test_malformed_and_wellformed_unknown_tokens_take_the_same_time(
    deps: Deps, time_source: ManualTime
) -> None:
    """Interleaved rounds, medians compared: a malformed token is not refused faster than
    one that looks real (nor slower), so timing tells nothing about a guess."""
    _open(deps.db, deps.config, time_source)
    client = _bare_app(deps)
    kinds = {"malformed": "!!", "unknown": WELL_FORMED}
    took: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(3):
        for token in kinds.values():
            client.get(f"/status/{token}")
    for _ in range(150):
        for kind, token in kinds.items():
            start = time.perf_counter()
            assert client.get(f"/status/{token}").status_code == 404
            took[kind].append(time.perf_counter() - start)
    ratio = statistics.median(took["malformed"]) / statistics.median(took["unknown"])
    print(f"median 404 time, malformed / well-formed unknown token: {ratio:.2f}")
    assert 0.5 < ratio < 2.0


def test_the_rate_limit_is_per_address(deps: Deps, time_source: ManualTime) -> None:
    token = _open(deps.db, deps.config, time_source)
    now = [0.0]
    web = Flask("status-limit")
    status_page.register(
        web, deps, TokenBucket(capacity=status_page.BURST, per_second=0.5, clock=lambda: now[0])
    )
    client = web.test_client()
    one, other = {"REMOTE_ADDR": "203.0.113.7"}, {"REMOTE_ADDR": "198.51.100.9"}
    for _ in range(status_page.BURST):
        assert client.get(f"/status/{token}", environ_base=one).status_code == 200
    limited = client.get(f"/status/{token}", environ_base=one)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert limited.headers["Cache-Control"] == "no-store"
    assert "Too many requests" in limited.get_data(as_text=True)
    for part in SHAPE:
        assert part in limited.get_data(as_text=True)
    assert client.get("/status/guess", environ_base=one).status_code == 429
    assert client.get(f"/status/{token}", environ_base=other).status_code == 200
    now[0] += 2.0
    assert client.get(f"/status/{token}", environ_base=one).status_code == 200
    assert client.get(f"/status/{token}", environ_base=one).status_code == 429


def test_clients_behind_a_trusted_proxy_are_told_apart(deps: Deps, time_source: ManualTime) -> None:
    """With TRUSTED_PROXIES=1 the proxy's X-Forwarded-For names the client; without it the
    header is not believed, so a forged one buys no fresh bucket."""
    token = _open(deps.db, deps.config, time_source)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    def loads(trusted: int) -> list[int]:
        settings = deps.settings.model_copy(update={"trusted_proxies": trusted})
        client = create_app(Deps(settings, deps.config, deps.db, deps.time)).flask.test_client()
        codes = []
        for i in range(status_page.BURST + 1):
            forwarded = {"X-Forwarded-For": f"192.0.2.{i}"}
            codes.append(
                client.get(f"/status/{token}", environ_base=proxy, headers=forwarded).status_code
            )
        return codes

    assert set(loads(1)) == {200}
    assert loads(0)[-1] == 429


def test_the_access_log_never_holds_a_token() -> None:
    token = status.new_token()
    assert status_page.loggable_path(f"/status/{token}") == "/status/…"
    assert status_page.loggable_path("/ingest/web") == "/ingest/web"
    assert status_page.loggable_path("/status-assets/status.css") == "/status-assets/status.css"


def test_the_bucket_forgets_the_least_recently_seen_first() -> None:
    bucket = TokenBucket(capacity=1, per_second=0.001, max_clients=2, clock=lambda: 0.0)
    assert bucket.take("a").allowed and not bucket.take("a").allowed
    assert bucket.take("b").allowed and bucket.take("c").allowed  # "a" forgotten
    assert bucket.take("a").allowed
    assert not bucket.take("c").allowed
