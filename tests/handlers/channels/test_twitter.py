"""X API v2 payloads → posts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from handlers.channels import twitter
from handlers.channels.base import ParseError

JSON = "application/json"


def tweet_payload(**data: Any) -> dict[str, Any]:
    return {
        "data": {
            "id": "1859273645123456789",
            "text": "@AcmeCare my parcel is 2 weeks late, order #88123. Anyone there?",
            "author_id": "2244994945",
            "conversation_id": "1859270000000000000",
            "created_at": "2026-11-23T08:55:12.000Z",
            "lang": "en",
            "referenced_tweets": [{"type": "replied_to", "id": "1859270000000000000"}],
            "edit_history_tweet_ids": ["1859273645123456789"],
            **data,
        },
        "includes": {
            "users": [
                {"id": "1", "username": "someone_else", "name": "Other"},
                {
                    "id": "2244994945",
                    "username": "jane_doe",
                    "name": "Jane Doe",
                    "public_metrics": {"followers_count": 1520, "following_count": 310},
                },
            ]
        },
    }


def parse(payload: dict[str, Any] | bytes) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return twitter.parse("twitter", body, JSON)


def test_reply_tweet_becomes_post() -> None:
    post = parse(tweet_payload())
    assert post.source == "twitter"
    assert post.external_id == "1859273645123456789"
    assert post.text.startswith("@AcmeCare my parcel")
    assert post.author.id == "2244994945"
    assert post.author.handle == "@jane_doe"
    assert post.author.name == "Jane Doe"
    assert post.author.followers == 1520
    assert post.url == "https://x.com/jane_doe/status/1859273645123456789"
    assert post.posted_at == datetime(2026, 11, 23, 8, 55, 12, tzinfo=UTC)
    assert post.conversation_id == "1859270000000000000"
    assert post.in_reply_to == "1859270000000000000"
    assert post.language == "en"


def test_original_tweet_has_no_reply_and_undetermined_language_is_none() -> None:
    payload = tweet_payload(lang="und", referenced_tweets=[{"type": "quoted", "id": "5"}])
    post = parse(payload)
    assert post.in_reply_to is None
    assert post.language is None


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p.pop("data"), "data"),
        (lambda p: p["data"].pop("id"), "data.id"),
        (lambda p: p["data"].pop("text"), "data.text"),
        (lambda p: p["data"].update(text=""), "data.text"),
        (lambda p: p["data"].update(text=12), "data.text"),
        (lambda p: p["data"].pop("author_id"), "data.author_id"),
        (lambda p: p.pop("includes"), "includes"),
        (lambda p: p["includes"]["users"].pop(), "includes.users"),
        (lambda p: p["data"].update(created_at="yesterday"), "data.created_at"),
        (lambda p: p["data"].update(created_at="2026-11-23T08:55:12"), "data.created_at"),
        (lambda p: p["data"].update(id="9" * 300), "data.id"),
        (lambda p: p["data"].update(referenced_tweets="x"), "data.referenced_tweets"),
        (
            lambda p: p["includes"]["users"][1].update(username="a/../b"),
            "includes.users[].username",
        ),
        (
            lambda p: p["includes"]["users"][1]["public_metrics"].update(followers_count=-1),
            "includes.users[].public_metrics.followers_count",
        ),
    ],
)
def test_bad_payload_names_the_field(mutate: Any, field: str) -> None:
    payload = tweet_payload()
    mutate(payload)
    with pytest.raises(ParseError) as err:
        parse(payload)
    assert err.value.field == field


@pytest.mark.parametrize("body", [b"", b"[1]", b"\xff\xfe", b'{"data": '])
def test_not_a_json_object_is_a_body_error(body: bytes) -> None:
    with pytest.raises(ParseError) as err:
        parse(body)
    assert err.value.field == "body"


def test_hostile_text_is_cleaned_and_bounded() -> None:
    post = parse(tweet_payload(text="a\x00b" + "x" * 100_000))
    assert "\x00" not in post.text
    assert post.text.startswith("ab")
    assert len(post.text) == 40_000
