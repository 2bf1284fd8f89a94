"""The pollers against a local HTTP server: Atom, RSS 2.0, a Mastodon notifications page,
a 304, a 500 and a timeout; a restart mid-feed; two workers on one source."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import col, select

from bot import intake, logs, polling
from bot.app import create_app
from bot.deps import Deps
from bot.polling import Poller
from bot.timesource import ManualTime
from bot.worker import POLL_TICK_SECONDS, POLLERS, build_scheduler, pollers
from config.errors import ConfigError
from config.load import parse_config
from config.schema import CasebotConfig
from handlers.channels import feed as feed_module
from storage.db import Database
from storage.models import Case, Post
from storage.worker_tables import PollerState
from tests.conftest import EXAMPLE_CONFIG
from tests.handlers.channels.feeds import (
    ATOM,
    RSS,
    FeedServer,
    Got,
    Served,
    favourite,
    mention,
)

TOKEN = "mastodon-secret-token-123"


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def http_for(deps: Deps) -> Any:
    """A test client of the web app running `config` (the pollers' health is read there)."""

    def client(config: CasebotConfig) -> Any:
        return create_app(replace(deps, config=config)).flask.test_client()

    return client


def polled_config(base: str, *, timeout: float = 2.0) -> CasebotConfig:
    raw = yaml.safe_load(Path(EXAMPLE_CONFIG).read_text(encoding="utf-8"))
    raw["sources"] = {
        "reviews": {"poll": {"kind": "feed", "url": f"{base}/reviews.atom", "every": "5m"}},
        "forum": {
            "poll": {
                "kind": "feed",
                "url": f"{base}/forum.rss",
                "every": "1m",
                "timeout_seconds": timeout,
            }
        },
        "mastodon": {
            "poll": {"kind": "mastodon", "base_url": base, "token_env": "MASTO_T", "every": "1m"}
        },
    }
    return parse_config(yaml.safe_dump(raw))


def make_pollers(db: Database, config: CasebotConfig, time_source: ManualTime) -> dict[str, Poller]:
    deps = Deps(settings=None, config=config, db=db, time=time_source)  # type: ignore[arg-type]
    built = {p.source: p for p in pollers(deps, env={"MASTO_T": TOKEN})}
    for p in built.values():
        p.rng = random.Random(7)
        p.ensure()
    return built


def posts(db: Database, source: str) -> list[Post]:
    with db.read() as session:
        return list(session.exec(select(Post).where(Post.source == source).order_by(col(Post.id))))


def state(db: Database, source: str) -> PollerState:
    with db.read() as session:
        row = session.get(PollerState, source)
        assert row is not None
        return row


def cases(db: Database) -> int:
    with db.read() as session:
        return len(list(session.exec(select(Case.id))))


def conditional(body: bytes, etag: str, **headers: str) -> Any:
    def answer(got: Got) -> Served:
        if got.headers.get("if-none-match") == etag:
            return Served(304, headers={"ETag": etag})
        return Served(200, body, {"ETag": etag, "Content-Type": "application/atom+xml", **headers})

    return answer


@pytest.mark.both_db
def test_atom_entries_become_cases_and_a_304_reads_nothing_again(
    db: Database, feeds: FeedServer, time_source: ManualTime
) -> None:
    feeds.serve("/reviews.atom", conditional(ATOM, '"v1"'))
    reviews = make_pollers(db, polled_config(feeds.url), time_source)["reviews"]

    assert reviews.run().stored == 2
    stored = posts(db, "reviews")
    # Oldest first, entry id as the post id, author, link and date taken over.
    assert [p.external_id for p in stored] == [
        "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6b",
        "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
    ]
    assert stored[0].author_name == "Ada L." and stored[0].url == "https://shop.example/reviews/1"
    assert stored[0].posted_at.isoformat() == "2026-11-22T17:00:00+00:00"
    assert stored[1].text == "Broken on arrival\n\nThe kettle leaks. <!channel>"
    assert stored[1].author_handle == "grace@example.org"
    assert cases(db) == 2
    assert state(db, "reviews").etag == '"v1"'

    assert not reviews.run().polled  # not due for another 5 minutes
    time_source.advance(timedelta(minutes=5))
    again = reviews.run()
    assert again.polled and again.stored == 0 and again.duplicates == 0
    assert feeds.requests_to("/reviews.atom")[-1].headers["if-none-match"] == '"v1"'
    assert state(db, "reviews").last_success_at == time_source.now()
    assert cases(db) == 2


def test_rss_with_last_modified_sends_if_modified_since(
    db: Database, feeds: FeedServer, time_source: ManualTime
) -> None:
    stamp = "Mon, 23 Nov 2026 07:45:00 GMT"
    feeds.serve("/forum.rss", Served(200, RSS, {"Last-Modified": stamp}), Served(304))
    forum = make_pollers(db, polled_config(feeds.url), time_source)["forum"]
    assert forum.run().stored == 1
    [post] = posts(db, "forum")
    assert post.external_id == "forum-topic-881"
    assert post.text == "App crasht beim Login\n\nSeit dem Update crasht die App."
    assert post.language == "de" and post.url == "https://forum.example/t/881"
    time_source.advance(timedelta(minutes=1))
    assert forum.run().polled
    assert feeds.requests_to("/forum.rss")[-1].headers["if-modified-since"] == stamp
    assert state(db, "forum").last_modified == stamp


def test_mastodon_mentions_page_forward_from_the_cursor(
    db: Database, feeds: FeedServer, time_source: ManualTime
) -> None:
    path = "/api/v1/notifications"
    feeds.serve(
        path,
        Served(200, json.dumps([mention(102, 9002), favourite(101), mention(100, 9000)]).encode()),
        Served(200, json.dumps([mention(103, 9003, text="still waiting")]).encode()),
    )
    masto = make_pollers(db, polled_config(feeds.url), time_source)["mastodon"]
    assert masto.run().stored == 2
    first = feeds.requests_to(path)[0]
    assert first.headers["authorization"] == f"Bearer {TOKEN}"
    assert first.param("types[]") == "mention" and first.param("min_id") is None
    assert [p.external_id for p in posts(db, "mastodon")] == ["9000", "9002"]
    assert posts(db, "mastodon")[0].author_handle == "@kim@social.example"
    assert state(db, "mastodon").cursor == "102"

    time_source.advance(timedelta(minutes=1))
    assert masto.run().stored == 1
    second = feeds.requests_to(path)[1]
    assert second.param("min_id") == "102" and second.param("since_id") == "102"
    assert state(db, "mastodon").cursor == "103"


def test_mastodon_reads_every_page_when_more_than_one_arrived(
    db: Database, feeds: FeedServer, time_source: ManualTime
) -> None:
    path = "/api/v1/notifications"
    full = [mention(i, 5000 + i) for i in range(140, 100, -1)]  # 40, newest first
    feeds.serve(
        path,
        Served(200, json.dumps([mention(100, 5100)]).encode()),
        Served(200, json.dumps(full).encode()),
        Served(200, json.dumps([mention(141, 5141)]).encode()),
    )
    masto = make_pollers(db, polled_config(feeds.url), time_source)["mastodon"]
    masto.run()
    time_source.advance(timedelta(minutes=1))
    assert masto.run().stored == 41
    assert [g.param("min_id") for g in feeds.requests_to(path)] == [None, "100", "140"]
    assert len(posts(db, "mastodon")) == 42 == cases(db)


def _page(ids: range, older: int | None, host: str = "") -> Served:
    """A page of mentions, newest first, linking the next (older) page by `max_id`."""
    body = json.dumps([mention(i, 7000 + i) for i in reversed(ids)]).encode()
    link = f"{host}/api/v1/notifications?types%5B%5D=mention&max_id={older}"
    headers = {"Link": f'<{link}>; rel="next", <{host}/x?min_id=1>; rel="prev"'} if older else {}
    return Served(200, body, headers)


def test_the_first_mastodon_poll_follows_the_older_pages_of_its_links(
    db: Database, feeds: FeedServer, time_source: ManualTime
) -> None:
    """No cursor yet: the newest page and the older ones its `Link: rel="next"` names,
    all stored oldest first; only the link's `max_id` is used, never its host."""
    path = "/api/v1/notifications"
    feeds.serve(
        path,
        _page(range(161, 201), 161, host="https://elsewhere.example"),
        _page(range(121, 161), 121),
        _page(range(110, 121), 110),
        Served(200, b"[]"),
    )
    masto = make_pollers(db, polled_config(feeds.url), time_source)["mastodon"]
    assert masto.run().stored == 91
    got = feeds.requests_to(path)
    assert [g.param("max_id") for g in got] == [None, "161", "121", "110"]
    assert all(g.headers["authorization"] == f"Bearer {TOKEN}" for g in got)
    stored = [int(p.external_id) for p in posts(db, "mastodon")]
    assert stored == sorted(stored) and stored[0] == 7110 and stored[-1] == 7200
    assert state(db, "mastodon").cursor == "200"


def test_the_first_mastodon_poll_reads_at_most_five_pages(
    db: Database, feeds: FeedServer, time_source: ManualTime
) -> None:
    path = "/api/v1/notifications"
    feeds.serve(path, *(_page(range(top - 40, top), top - 40) for top in range(1000, 700, -40)))
    masto = make_pollers(db, polled_config(feeds.url), time_source)["mastodon"]
    assert masto.run().stored == 5 * 40
    assert len(feeds.requests_to(path)) == polling.MAX_PAGES == 5
    assert state(db, "mastodon").cursor == "999"


def test_a_500_backs_off_with_jitter_and_healthz_names_the_error(
    db: Database, feeds: FeedServer, time_source: ManualTime, http_for: Any
) -> None:
    feeds.serve("/forum.rss", Served(500, b"oops"))
    feeds.serve("/reviews.atom", Served(200, ATOM))
    config = polled_config(feeds.url)
    built = make_pollers(db, config, time_source)
    forum = built["forum"]
    assert built["reviews"].run().stored == 2
    waits = []
    for _ in range(4):
        start = time_source.now()
        outcome = forum.run()
        assert outcome.error == "HTTP 500"
        waits.append(state(db, "forum").next_poll_at - start)
        time_source.advance(waits[-1])
    minute = timedelta(minutes=1)
    for n, wait in enumerate(waits):
        assert minute * 2**n / 2 <= wait <= minute * 2**n
    row = state(db, "forum")
    assert row.failures == 4 and row.last_error == "HTTP 500" and row.last_success_at is None

    body = http_for(config).get("/healthz").get_json()
    forum_health = next(p for p in body["pollers"] if p["source"] == "forum")
    assert forum_health["ok"] is False and forum_health["last_error"] == "HTTP 500"
    assert forum_health["failures_in_a_row"] == 4
    reviews = next(p for p in body["pollers"] if p["source"] == "reviews")
    assert reviews["ok"] is True and reviews["last_items"] == 2 and reviews["last_error"] is None
    assert next(p for p in body["pollers"] if p["source"] == "mastodon")["ok"] is None


def test_backoff_is_capped_and_honours_retry_after() -> None:
    rng = random.Random(1)
    assert polling.backoff(timedelta(minutes=1), 30, rng) <= timedelta(hours=1)
    assert polling.backoff(timedelta(hours=2), 3, rng) <= timedelta(hours=2)


def test_retry_after_of_a_429_is_waited_for(
    db: Database, feeds: FeedServer, time_source: ManualTime
) -> None:
    feeds.serve("/forum.rss", Served(429, b"", {"Retry-After": "900"}))
    forum = make_pollers(db, polled_config(feeds.url), time_source)["forum"]
    start = time_source.now()
    assert forum.run().error == "HTTP 429"
    assert state(db, "forum").next_poll_at - start >= timedelta(seconds=900)


def test_a_hung_feed_times_out_and_never_delays_another_source(
    db: Database, feeds: FeedServer, time_source: ManualTime
) -> None:
    feeds.serve("/forum.rss", Served(200, RSS, delay=3.0))
    feeds.serve("/reviews.atom", Served(200, ATOM))
    built = make_pollers(db, polled_config(feeds.url, timeout=0.5), time_source)
    finished: dict[str, float] = {}
    start = time.monotonic()

    def run(name: str) -> None:
        built[name].run()
        finished[name] = time.monotonic() - start

    threads = [threading.Thread(target=run, args=(n,)) for n in ("forum", "reviews")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert state(db, "forum").last_error == "no answer within 0.5 s"
    assert finished["forum"] < 2.0
    assert finished["reviews"] < 1.0 and len(posts(db, "reviews")) == 2


def test_restart_mid_feed_stores_the_rest_once(
    db: Database, feeds: FeedServer, time_source: ManualTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds.serve("/reviews.atom", conditional(ATOM, '"v1"'))
    config = polled_config(feeds.url)
    real_store = intake.store
    calls = {"n": 0}

    def dies_on_second(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed")
        return real_store(*args, **kwargs)

    monkeypatch.setattr(intake, "store", dies_on_second)
    with pytest.raises(SystemExit):
        make_pollers(db, config, time_source)["reviews"].run()
    monkeypatch.setattr(intake, "store", real_store)
    assert len(posts(db, "reviews")) == 1
    assert state(db, "reviews").etag is None  # validators wait for the whole response

    time_source.advance(timedelta(minutes=2))  # the dead worker's lease runs out
    restarted = make_pollers(db, config, time_source)["reviews"]
    outcome = restarted.run()
    assert (outcome.stored, outcome.duplicates) == (1, 1)
    assert "if-none-match" not in feeds.requests_to("/reviews.atom")[-1].headers
    assert len(posts(db, "reviews")) == 2 == cases(db)


def test_restart_mid_mastodon_page_resumes_after_the_last_stored(
    db: Database, feeds: FeedServer, time_source: ManualTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = "/api/v1/notifications"
    feeds.serve(path, Served(200, json.dumps([mention(11, 911), mention(10, 910)]).encode()))
    config = polled_config(feeds.url)
    real_store = intake.store
    calls = {"n": 0}

    def dies_on_second(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed")
        return real_store(*args, **kwargs)

    monkeypatch.setattr(intake, "store", dies_on_second)
    with pytest.raises(SystemExit):
        make_pollers(db, config, time_source)["mastodon"].run()
    monkeypatch.setattr(intake, "store", real_store)
    assert state(db, "mastodon").cursor == "10"

    time_source.advance(timedelta(minutes=2))
    feeds.serve(path, Served(200, json.dumps([mention(11, 911)]).encode()))
    assert make_pollers(db, config, time_source)["mastodon"].run().stored == 1
    assert feeds.requests_to(path)[-1].param("min_id") == "10"
    assert [p.external_id for p in posts(db, "mastodon")] == ["910", "911"]


@pytest.mark.both_db
def test_two_workers_make_each_item_one_case(
    db: Database, feeds: FeedServer, time_source: ManualTime
) -> None:
    feeds.serve("/reviews.atom", Served(200, ATOM, delay=0.3))
    config = polled_config(feeds.url)
    workers = [make_pollers(db, config, time_source)["reviews"] for _ in range(2)]
    outcomes: list[polling.Outcome] = []
    threads = [threading.Thread(target=lambda w=w: outcomes.append(w.run())) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(o.polled for o in outcomes) == [False, True]
    assert len(feeds.requests_to("/reviews.atom")) == 1
    assert len(posts(db, "reviews")) == 2 == cases(db)


def test_a_worker_whose_lease_ran_out_cannot_move_the_cursor(
    db: Database, feeds: FeedServer, time_source: ManualTime
) -> None:
    path = "/api/v1/notifications"
    feeds.serve(path, Served(200, json.dumps([mention(10, 910)]).encode()))
    config = polled_config(feeds.url)
    slow, fast = (make_pollers(db, config, time_source)["mastodon"] for _ in range(2))
    original = slow.fetcher

    class Stalls:
        def fetch(self, seen: polling.Seen) -> polling.Page:
            page = original.fetch(seen)
            time_source.advance(timedelta(minutes=10))  # the lease expires meanwhile
            assert fast.run().stored == 1
            return page

    slow.fetcher = Stalls()
    assert slow.run().error == "lease lost"
    assert len(posts(db, "mastodon")) == 1 == cases(db)


def test_a_missing_token_stops_the_worker_at_start(db: Database, time_source: ManualTime) -> None:
    deps = Deps(settings=None, config=polled_config("https://m.example"), db=db, time=time_source)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="MASTO_T: environment variable is not set"):
        pollers(deps, env={})


def test_polling_too_often_is_refused() -> None:
    raw = yaml.safe_load(Path(EXAMPLE_CONFIG).read_text(encoding="utf-8"))
    raw["sources"] = {"r": {"poll": {"kind": "feed", "url": "https://x.example/f", "every": "1s"}}}
    with pytest.raises(ConfigError, match="too often"):
        parse_config(yaml.safe_dump(raw))


def test_poll_logs_name_no_url_token_or_text(
    db: Database,
    feeds: FeedServer,
    time_source: ManualTime,
    log_text: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, least in logs.QUIET_LIBRARIES.items():  # as `bot.logs.setup` does
        monkeypatch.setattr(logging.getLogger(name), "level", least)
    path = "/api/v1/notifications"
    feeds.serve(path, Served(200, json.dumps([mention(10, 910, text="my card 4111")]).encode()))
    feeds.serve("/forum.rss", Served(503))
    built = make_pollers(db, polled_config(feeds.url), time_source)
    built["mastodon"].run()
    built["forum"].run()
    text = log_text()
    assert "poll.done" in text and "poll.failed" in text
    for secret in (TOKEN, "4111", feeds.url, "kim"):
        assert secret not in text


def test_the_worker_runs_each_poller_in_its_own_thread(
    deps: Deps, feeds: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real scheduler: one job per polled source, in the pollers' executor, and the
    hung forum feed never holds up the reviews."""
    monkeypatch.setenv("MASTO_T", TOKEN)
    feeds.serve("/reviews.atom", Served(200, ATOM))
    feeds.serve("/forum.rss", Served(200, RSS, delay=5.0))
    feeds.serve("/api/v1/notifications", Served(200, b"[]"))
    polled = replace(deps, config=polled_config(feeds.url, timeout=4.0))
    scheduler = build_scheduler(polled, background=True)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert {"poll:reviews", "poll:forum", "poll:mastodon"} <= set(jobs)
    assert {jobs[f"poll:{s}"].executor for s in ("reviews", "forum", "mastodon")} == {POLLERS}
    scheduler.start()
    try:
        deadline = time.monotonic() + POLL_TICK_SECONDS + 3
        while time.monotonic() < deadline and len(posts(deps.db, "reviews")) < 2:
            time.sleep(0.1)
    finally:
        scheduler.shutdown(wait=False)
    assert len(posts(deps.db, "reviews")) == 2
    assert posts(deps.db, "forum") == []  # still waiting on its hung request


def test_a_parser_bug_backs_the_source_off_and_logs_no_body(
    db: Database,
    feeds: FeedServer,
    time_source: ManualTime,
    monkeypatch: pytest.MonkeyPatch,
    log_text: Any,
) -> None:
    feeds.serve("/reviews.atom", Served(200, ATOM))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("The kettle leaks, call +49 170 1234567")

    monkeypatch.setattr(feed_module, "parse", broken)
    reviews = make_pollers(db, polled_config(feeds.url), time_source)["reviews"]
    assert reviews.run().error == "unexpected KeyError"
    row = state(db, "reviews")
    assert row.lease_owner is None and row.failures == 1
    assert row.next_poll_at > time_source.now()
    assert "poll.crashed" in log_text() and "1234567" not in log_text()
