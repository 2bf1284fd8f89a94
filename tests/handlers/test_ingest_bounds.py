"""Hostile bodies and headers at `/ingest`: each is a 400 naming what is wrong (or a 401),
or is stored safely on both databases; never a 500."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import select

from bot.deps import Deps
from storage.models import CustomerIdentity, Post
from tests.conftest import START, post_json, sample_post, sign

pytestmark = pytest.mark.both_db

DEEP = 10_000


def _refused(resp: Any, field: str, words: str) -> None:
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    body = resp.get_json()
    assert body["field"] == field, body
    assert words in body["error"], body


def test_a_huge_timestamp_is_refused_before_the_signature(http: FlaskClient) -> None:
    body = json.dumps(sample_post(1)).encode()
    for timestamp in ("9" * 4301, "1" * 5000, "-1", "\uff11\uff12\uff13", "1e9"):
        signed = sign(body, timestamp=timestamp)
        for signature in (signed, "sha256=00"):
            resp = post_json(
                http,
                "web",
                body,
                **{"X-Casebot-Timestamp": timestamp, "X-Casebot-Signature": signature},
            )
            assert resp.status_code == 401, (timestamp, resp.get_data(as_text=True)[:200])
            assert resp.get_json() == {"error": "X-Casebot-Timestamp must be unix seconds"}


@pytest.mark.parametrize(
    ("source", "body"),
    [
        ("web", b"[" * DEEP + b"]" * DEEP),
        (
            "web",
            b'{"id":"1","text":"t","author":{"id":"a"},"metadata":{"x":'
            + b"[" * DEEP
            + b"]" * DEEP
            + b"}}",
        ),
        (
            "web",
            b'{"id":"1","text":"t","author":{"id":"a"},"metadata":'
            + b'{"a":' * 40
            + b"1"
            + b"}" * 40
            + b"}",
        ),
        ("twitter", b'{"data":' + b"[" * DEEP + b"]" * DEEP + b"}"),
        ("mastodon", b'{"type":"mention","status":' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"}"),
    ],
    ids=["top", "in-metadata", "metadata-40-deep", "twitter", "mastodon"],
)
def test_json_nested_deeper_than_the_bound_is_400(
    http: FlaskClient, source: str, body: bytes
) -> None:
    _refused(post_json(http, source, body), "body", "nests deeper than 32 levels")


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (b"9" * 5000, "longer than 32 digits"),
        (b"-" + b"9" * 4400, "longer than 32 digits"),
        (b"NaN", "not JSON"),
        (b"-Infinity", "not JSON"),
        (b"1e999", "too large"),
    ],
)
def test_numbers_no_store_can_hold_are_400(http: FlaskClient, number: bytes, words: str) -> None:
    body = b'{"id":"1","text":"t","author":{"id":"a","followers":' + number + b"}}"
    _refused(post_json(http, "web", body), "body", words)
    meta = b'{"id":"2","text":"t","author":{"id":"a"},"metadata":{"n":' + number + b"}}"
    _refused(post_json(http, "web", meta), "body", words)


def test_follower_counts_past_32_bits_are_stored_clamped(http: FlaskClient, deps: Deps) -> None:
    for n, followers in enumerate((2**31, 2**63, 10**31)):
        post = sample_post(n)
        post["author"]["followers"] = followers
        assert post_json(http, "web", post).status_code == 202
    with deps.db.read() as session:
        stored = session.exec(select(CustomerIdentity.followers)).all()
    assert stored == [2**31 - 1] * 3


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_a_created_at_that_is_no_time_in_utc_is_400(http: FlaskClient, when: str) -> None:
    _refused(post_json(http, "web", sample_post(1, created_at=when)), "created_at", "in UTC")
    tweet = {
        "data": {"id": "9", "text": "hi", "author_id": "u1", "created_at": when},
        "includes": {"users": [{"id": "u1", "username": "dana", "name": "Dana"}]},
    }
    _refused(post_json(http, "twitter", tweet), "data.created_at", "in UTC")


def test_the_extreme_times_that_are_times_in_utc_are_stored(http: FlaskClient, deps: Deps) -> None:
    for n, when in enumerate(("9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00")):
        assert post_json(http, "web", sample_post(n, created_at=when)).status_code == 202
    with deps.db.read() as session:
        years = sorted(p.posted_at.year for p in session.exec(select(Post)))
    assert years == [1, 9999]


def _mail(http: FlaskClient, raw: bytes) -> Any:
    return http.post(
        "/ingest/email",
        data=raw,
        headers={"Content-Type": "message/rfc822", "X-Casebot-Signature": sign(raw)},
    )


def test_a_mail_date_that_is_no_time_in_utc_is_dropped(http: FlaskClient, deps: Deps) -> None:
    raw = (
        b"From: Dana <dana@example.com>\r\nTo: care@shop.example\r\nSubject: Refund\r\n"
        b"Date: Fri, 31 Dec 9999 23:59:59 -1200\r\nMessage-ID: <far@future.example>\r\n\r\n"
        b"Where is my refund?\r\n"
    )
    assert _mail(http, raw).status_code == 202
    with deps.db.read() as session:
        [post] = session.exec(select(Post)).all()
    assert post.posted_at == START


def _nested(depth: int) -> bytes:
    head = b"From: dana@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
    nest = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(depth)
    )
    return head + nest + b"Content-Type: text/plain\r\n\r\nhi\r\n"


def test_multipart_nested_3000_deep_through_ingest_is_400_at_once(http: FlaskClient) -> None:
    started = time.perf_counter()
    resp = _mail(http, _nested(3000))
    _refused(resp, "Content-Type", "declares more than 200 multipart boundaries")
    assert time.perf_counter() - started < 1.0, "refused before parsing (parsing takes ~3 s)"
    _refused(_mail(http, _nested(51)), "Content-Type", "deeper than 50 levels")


def test_nul_and_lone_surrogates_inside_metadata_are_stored_cleanly(
    http: FlaskClient, deps: Deps
) -> None:
    body = (
        b'{"id":"m1","text":"t","author":{"id":"a"},'
        b'"metadata":{"k\\u0000ey":["a\\u0000b","\\ud800x",{"n":1.5}]}}'
    )
    assert post_json(http, "web", body).status_code == 202
    with deps.db.read() as session:
        [post] = session.exec(select(Post)).all()
    assert post.extra == {"key": ["ab", "?x", {"n": 1.5}]}
