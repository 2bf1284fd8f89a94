"""Which parser a body sent to `/ingest/{source}` gets."""

from __future__ import annotations

import json
from types import ModuleType

import pytest

from handlers.channels import email, form, registry
from tests.conftest import sample_post
from tests.handlers.channels.test_mastodon import status
from tests.handlers.channels.test_twitter import tweet_payload


@pytest.mark.parametrize(
    ("source", "content_type", "module"),
    [
        ("email", "message/rfc822", email),
        ("form", "application/x-www-form-urlencoded", form),
        ("form", "Application/X-WWW-Form-Urlencoded; charset=UTF-8", form),
    ],
)
def test_native_non_json_sources(source: str, content_type: str, module: ModuleType) -> None:
    assert registry.parser_for(source, content_type) is module.parse


@pytest.mark.parametrize(
    ("source", "content_type"),
    [
        ("reviews", "message/rfc822"),
        ("twitter", "application/x-www-form-urlencoded"),
        ("email", "text/plain"),
        ("form", None),
        ("anything", ""),
    ],
)
def test_unaccepted_content_type_is_none(source: str, content_type: str | None) -> None:
    assert registry.parser_for(source, content_type) is None


def test_json_under_any_name_is_normalized() -> None:
    parse = registry.parser_for("trustpilot", "application/json; charset=utf-8")
    assert parse is not None
    post = parse("trustpilot", json.dumps(sample_post(3)).encode(), "application/json")
    assert (post.source, post.external_id, post.author.handle) == ("trustpilot", "p3", "@cust3")


@pytest.mark.parametrize("source", ["twitter", "mastodon", "email", "form"])
def test_native_sources_still_take_normalized_json(source: str) -> None:
    parse = registry.parser_for(source, "application/json")
    assert parse is not None
    assert parse(source, json.dumps(sample_post(4)).encode(), "application/json").text


def test_native_json_shapes_are_recognised() -> None:
    tw = registry.parser_for("twitter", "application/json")
    ma = registry.parser_for("mastodon", "application/json")
    assert tw is not None and ma is not None
    tweet = tw("twitter", json.dumps(tweet_payload()).encode(), "application/json")
    toot = ma("mastodon", json.dumps(status()).encode(), "application/json")
    assert tweet.author.handle == "@jane_doe"
    assert toot.author.handle == "@lena@chaos.social"


def test_accepted_types_for_the_415_answer() -> None:
    assert registry.accepted_types("email") == ("application/json", "message/rfc822")
    assert registry.accepted_types("twitter") == ("application/json",)
    assert registry.accepted_types("reviews") == ("application/json",)
