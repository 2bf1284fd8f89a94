"""Hostile input, property-based: every adapter and every text cleaner is total (a body is
a post or a `ParseError`, never another exception, so never a 500), and whatever a card
makes of a post pings nobody, carries no disguised link and fits Slack's block limits."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import pii
from bot.cards import CardView, attachments_of, form_fields
from bot.posts import IncomingPost
from bot.slack import blocks
from config.load import load_config
from handlers.channels import email, feed, form, mastodon, normalized, registry, twitter
from handlers.channels.base import ParseError, clean_text
from handlers.channels.htmltext import html_to_text
from handlers.channels.mail_quotes import new_part
from handlers.channels.polling import MastodonFetcher
from tests.conftest import EXAMPLE_CONFIG
from tests.faults.doors import HOSTILE_TEXT, json_values, mutated
from tests.faults.payloads import POST, STATUS, TWEET, mails
from tests.faults.payloads import form_fields as form_dicts
from tests.handlers.channels.feeds import ATOM, RSS, mention

CONFIG = load_config(EXAMPLE_CONFIG)
CASE = SimpleNamespace(priority="normal", department="support", source="web")
FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
hostile = (
    st.text(max_size=300)
    | st.sampled_from(HOSTILE_TEXT)
    | st.sampled_from(
        [
            "<!channel> <!here|here> <@U0BOSS01> <#C0SECRET1>",
            "<https://evil.example|https://bank.example>",
            "https://evil.example|https://bank.example",
            "&lt;!channel&gt; &amp;",
            "[click](javascript:alert(1))",
            "+49 170 1234567 4111 1111 1111 1111 me@example.org",
        ]
    )
)
LINK = re.compile(r"<([^<>|]*)\|([^<>]*)>")


def parsed(parse: Any, *args: Any) -> list[IncomingPost]:
    """The posts an adapter made, or none when it refused the body as it should."""
    try:
        result = parse(*args)
    except ParseError:
        return []
    return result if isinstance(result, list) else [result]


def view(post: IncomingPost) -> CardView:
    """The card a post would get, masked as `bot.cards` masks it."""
    return CardView(
        case_id=2147483647,
        ref="C-2147483647",
        department="support",
        department_name="Customer <Support>",
        channel="C0SUPPORT01",
        source=post.source,
        url=post.url,
        customer_name=pii.customer_label(post.author.name, CONFIG, CASE),
        customer_handle=pii.customer_label(post.author.handle, CONFIG, CASE),
        text=pii.for_case(post.text, CONFIG, CASE),
        priority="normal",
        priority_reason="urgent words & <b>",
        status="open",
        owner_id=None,
        root_cause=None,
        answered=None,
        escalations=0,
        tags=["<!here>"],
        posts=3,
        earlier_cases=["C-1"],
        opened_at=datetime(2026, 11, 23, tzinfo=UTC),
        sla=[],
        breached=False,
        masked=pii.for_case(post.text, CONFIG, CASE) != post.text,
        contacts=3,
        also_open=[("C-12", "email")],
        attachments=attachments_of(post.metadata),
        fields=form_fields(post.metadata, CONFIG, CASE),  # type: ignore[arg-type]
    )


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return [value] if isinstance(value, str) else []


def check_card(post: IncomingPost) -> None:
    card = view(post)
    fallback, rendered = blocks.case_card(card)
    assert len(fallback) <= blocks.FALLBACK_TEXT_LIMIT
    assert len(rendered) <= 50
    for block in rendered:
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= blocks.SECTION_TEXT_LIMIT
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "context":
            assert len(block["elements"]) <= blocks.CONTEXT_ELEMENTS
            assert all(len(e["text"]) <= blocks.SECTION_TEXT_LIMIT for e in block["elements"])
        if block["type"] == "actions":
            assert all(len(e["value"]) <= 2000 for e in block["elements"])
    for text in [fallback, *_texts(rendered)]:
        # Slack reads `<…>` as a control sequence: the only one a card makes of customer
        # data is the source link, to a URL that cannot end early.
        links = LINK.findall(text)
        assert text.count("<") == len(links), text
        for url, label in links:
            assert url == blocks.safe_url(card.url) and label == blocks.escape(card.source)
            assert not any(c.isspace() for c in url) and "|" not in url


@FAST
@given(mutated(POST))
def test_normalized_json(body: str) -> None:
    for post in parsed(normalized.parse, "web", body.encode()):
        check_card(post)


@FAST
@given(
    mutated(TWEET)
    | mutated({"data": [TWEET["data"], TWEET["data"]], "includes": TWEET["includes"]})
)
def test_x_api_v2_one_or_many(body: str) -> None:
    for post in parsed(twitter.parse, "twitter", body.encode(), "application/json"):
        check_card(post)


@FAST
@given(mutated(STATUS) | mutated({"type": "mention", "status": STATUS}))
def test_mastodon(body: str) -> None:
    for post in parsed(mastodon.parse, "mastodon", body.encode(), "application/json"):
        check_card(post)


@FAST
@given(mails() | st.binary(max_size=2000))
def test_email(body: bytes) -> None:
    for post in parsed(email.parse, "email", body, "message/rfc822"):
        check_card(post)


@FAST
@given(form_dicts)
def test_web_form(fields: dict[str, str]) -> None:
    body = urlencode(fields, errors="surrogatepass").encode()
    for post in parsed(form.parse, "form", body, "application/x-www-form-urlencoded"):
        check_card(post)


@st.composite
def feeds(draw: st.DrawFn) -> bytes:
    """A real feed with hostile text spliced into its elements, or noise."""
    base = draw(st.sampled_from([ATOM, RSS]))
    text = draw(hostile)
    where = draw(
        st.sampled_from(
            [
                b"Broken on arrival",
                b"Grace H.",
                b"forum-topic-881",
                b"https://forum.example/t/881",
                b"Seit dem Update",
            ]
        )
    )
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").encode("utf-8", "replace")
    return base.replace(where, escaped if draw(st.booleans()) else text.encode("utf-8", "replace"))


@FAST
@given(feeds() | st.binary(max_size=1000))
def test_rss_and_atom(body: bytes) -> None:
    for post in parsed(feed.parse, "reviews", body):
        if post is not None:
            check_card(post)


@FAST
@given(st.lists(json_values | st.just(mention(5, 50)), max_size=5), st.text(max_size=20))
def test_mastodon_notifications_pages(page: list[Any], text: str) -> None:
    fetcher = MastodonFetcher("mastodon", None, token="t")  # type: ignore[arg-type]
    for notification in [*page, mention(6, 60, text=text)]:
        if isinstance(notification, dict) and "id" in notification:
            item = fetcher._item(notification)  # what a page's entry becomes
            if item.post is not None:
                check_card(item.post)


@FAST
@given(st.text(max_size=2000) | st.sampled_from(HOSTILE_TEXT), st.sampled_from(["US", "DE", "GB"]))
def test_text_cleaning_is_total(text: str, region: str) -> None:
    cleaned = clean_text(text)
    assert "\x00" not in cleaned
    cleaned.encode("utf-8")
    html_to_text(text).encode("utf-8", "surrogatepass")
    assert new_part(cleaned) == cleaned or len(new_part(cleaned)) <= len(cleaned)
    masked = pii.mask(cleaned, ["email", "phone", "card"], region)
    assert pii.mask(masked, ["email", "phone", "card"], region) == masked
    assert "<" not in blocks.quote(masked).replace("&lt;", "")


@FAST
@given(st.sampled_from(["twitter", "mastodon", "web", "email", "form"]), st.binary(max_size=600))
def test_the_registry_answers_every_body(source: str, body: bytes) -> None:
    for content_type in ("application/json", "message/rfc822", "application/x-www-form-urlencoded"):
        parse = registry.parser_for(source, content_type)
        if parse is not None:
            parsed(parse, source, body, content_type)


def test_the_disguised_link_of_the_issue() -> None:
    body = json.dumps({**POST, "url": "https://evil.example|https://bank.example"}).encode()
    [post] = parsed(normalized.parse, "web", body)
    check_card(post)
    _, rendered = blocks.case_card(view(post))
    assert "<https://evil.example%7Chttps://bank.example|web>" in rendered[0]["text"]["text"]
