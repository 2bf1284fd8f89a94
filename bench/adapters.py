"""Adapter parse time per post, per format, and what a failing feed does to the others.

1. Each channel adapter parses realistic bodies (the test samples) `N` times: the median
   and p99 per post, parsing only (no database).
2. Three feed pollers run as the worker runs them, each in its own thread: a healthy
   feed, one that hangs past its timeout and one that answers 500. The healthy feed's
   poll latency (request, parse, store 20 entries of which one is new) is measured alone,
   beside the failing two, and, for contrast, when all three are polled one after the
   other in one thread (what the worker does not do).

`python -m bench.adapters [N]`; SQLite in a temporary directory, a local HTTP server.
"""

from __future__ import annotations

import json
import logging
import math
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

from bench.common import EXAMPLE, database
from bot.deps import Deps
from bot.polling import Poller
from bot.timesource import ManualTime
from bot.worker import pollers
from config.load import parse_config
from handlers.channels import email, feed, form, mastodon, normalized, twitter
from handlers.channels.polling import MastodonFetcher
from storage.db import Database
from storage.worker_tables import PollerState
from tests.conftest import START
from tests.handlers.channels.feeds import ATOM, RSS, FeedServer, Got, Served, mention
from tests.handlers.channels.test_twitter import tweet_payload

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
MAIL = Path(__file__).resolve().parents[1] / "tests/handlers/channels/samples/mail"


def p99(samples: list[float]) -> float:
    """Nearest rank: a sample that happened, never an extrapolation."""
    ranked = sorted(samples)
    return ranked[max(0, math.ceil(0.99 * len(ranked)) - 1)]


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1e6:8.1f} µs   p99 {p99(samples) * 1e6:8.1f} µs"


def _time(parse: Callable[[], Any], per: int = 1) -> list[float]:
    out = []
    for _ in range(N):
        t0 = time.perf_counter()
        parse()
        out.append((time.perf_counter() - t0) / per)
    return out


def _many_tweets(n: int) -> bytes:
    base = tweet_payload(referenced_tweets=[])
    tweets = [dict(base["data"], id=str(1900000000000000000 + i)) for i in range(n)]
    return json.dumps({"data": tweets, "includes": base["includes"]}).encode()


def _feed(entries: int, first: int = 0) -> bytes:
    items = "".join(
        f"<entry><title>Review {i}</title><id>urn:review:{i}</id>"
        f'<link href="https://shop.example/r/{i}"/>'
        f"<updated>2026-11-23T08:{i % 60:02d}:00Z</updated>"
        f"<author><name>Reviewer {i}</name></author>"
        f"<content type='html'>&lt;p&gt;The kettle number {i} leaks.&lt;/p&gt;</content></entry>"
        for i in range(first, first + entries)
    )
    return (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>r</title>'
        + items.encode()
        + b"</feed>"
    )


def parse_times() -> None:
    post = {
        "id": "p1",
        "text": "My order never arrived, call +49 170 1234567",
        "author": {"id": "a1", "handle": "@c1", "name": "C", "tier": "vip"},
        "url": "https://social.example/p1",
        "created_at": "2026-11-23T08:00:00Z",
    }
    status = mention(1, 2)
    form_body = urlencode(
        {"email": "a@b.example", "name": "Ann", "message": "Wrong size", "order": "A-1"}
    ).encode()
    fetcher = MastodonFetcher("mastodon", None, token="t")  # type: ignore[arg-type]
    page = json.loads(json.dumps([mention(i, 1000 + i) for i in range(40)]))
    cases: list[tuple[str, Callable[[], Any], int]] = [
        ("normalized JSON", lambda: normalized.parse("web", json.dumps(post).encode()), 1),
        (
            "X API v2, one post",
            lambda: twitter.parse("twitter", json.dumps(tweet_payload()).encode(), ""),
            1,
        ),
        ("X API v2, lookup of 100", lambda: twitter.parse("twitter", _many_tweets(100), ""), 100),
        (
            "Mastodon notification",
            lambda: mastodon.parse("mastodon", json.dumps(status).encode(), ""),
            1,
        ),
        ("Mastodon page of 40", lambda: [fetcher._item(n) for n in page], 40),
        ("web form", lambda: form.parse("form", form_body, ""), 1),
        ("RSS 2.0 (1 item)", lambda: feed.parse("forum", RSS), 1),
        ("Atom (2 entries)", lambda: feed.parse("reviews", ATOM), 2),
        ("Atom (50 entries)", lambda: feed.parse("reviews", _feed(50)), 50),
    ]
    for name in (
        "01-rfc5322-a1-1-simple",
        "20-gmail-reply-en",
        "18-thunderbird-attachments",
        "14-latin1-8bit-from-subject",
        "50-postfix-bounce-rfc822-headers",
    ):
        raw = (MAIL / f"{name}.eml").read_bytes()
        cases.append((f"e-mail {name}", lambda raw=raw: email.parse("email", raw, ""), 1))
    print(f"adapter parse time per post ({N} runs each)")
    for label, parse, per in cases:
        print(f"  {label:42s} {_ms(_time(parse, per))}")


def _pollers(db: Database, base: str, clock: ManualTime) -> dict[str, Poller]:
    raw = yaml.safe_load(Path(EXAMPLE).read_text(encoding="utf-8"))
    raw["sources"] = {
        name: {
            "poll": {"kind": "feed", "url": f"{base}/{name}", "every": "10s", "timeout_seconds": 2}
        }
        for name in ("healthy", "hung", "broken")
    }
    deps = Deps(settings=None, config=parse_config(yaml.safe_dump(raw)), db=db, time=clock)  # type: ignore[arg-type]
    built = {p.source: p for p in pollers(deps, env={})}
    for p in built.values():
        p.ensure()
    return built


def _healthy_feed(server: FeedServer) -> None:
    rounds = {"n": 0}

    def answer(got: Got) -> Served:
        rounds["n"] += 1
        return Served(200, _feed(20, rounds["n"]), {"ETag": f'"r{rounds["n"]}"'})

    server.serve("/healthy", answer)
    server.serve("/hung", Served(200, ATOM, delay=5.0))
    server.serve("/broken", Served(500, b"oops"))


def failing_feed(rounds: int) -> None:
    print(f"\nthe healthy feed's poll latency ({rounds} polls, 20 entries, 1 new each)")
    for mode in ("alone", "beside a hung and a 500 feed", "all three in one thread"):
        server = FeedServer().start()
        _healthy_feed(server)
        with database("sqlite") as url:
            db = Database(url)
            clock = ManualTime(START)
            built = _pollers(db, server.url, clock)
            healthy = built["healthy"]
            stop = threading.Event()
            threads = []
            if mode.startswith("beside"):
                for name in ("hung", "broken"):

                    def loop(p: Poller = built[name], stop: threading.Event = stop) -> None:
                        while not stop.is_set():
                            p.run()
                            time.sleep(0.05)

                    threads.append(threading.Thread(target=loop, daemon=True))
                for t in threads:
                    t.start()
            samples = []
            n = rounds if mode != "all three in one thread" else max(3, rounds // 10)
            for _ in range(n):
                t0 = time.perf_counter()
                if mode == "all three in one thread":
                    for name in ("hung", "broken"):
                        with db.session() as s:
                            row = s.get(PollerState, name)
                            assert row is not None
                            row.next_poll_at = clock.now()
                        built[name].run()
                outcome = healthy.run()
                samples.append(time.perf_counter() - t0)
                assert outcome.polled and outcome.error is None, outcome
                clock.advance(timedelta(seconds=10))
            stop.set()
            for t in threads:
                t.join(10)
            db.dispose()
        server.stop()
        print(
            f"  {mode:32s} median {statistics.median(samples) * 1000:7.1f} ms"
            f"   p99 {p99(samples) * 1000:7.1f} ms   max {max(samples) * 1000:7.1f} ms  (n={n})"
        )


if __name__ == "__main__":
    logging.getLogger("casebot").setLevel(logging.ERROR)
    parse_times()
    failing_feed(int(sys.argv[2]) if len(sys.argv) > 2 else 50)
