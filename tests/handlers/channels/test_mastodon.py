"""Mastodon statuses and mention notifications → posts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from handlers.channels import mastodon
from handlers.channels.base import ParseError

JSON = "application/json"


def status(**extra: Any) -> dict[str, Any]:
    return {
        "id": "113512345678901234",
        "created_at": "2026-11-23T08:58:00.000Z",
        "in_reply_to_id": "113512300000000000",
        "in_reply_to_account_id": "1",
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "de",
        "uri": "https://chaos.social/users/lena/statuses/113512345678901234",
        "url": "https://chaos.social/@lena/113512345678901234",
        "content": (
            '<p><span class="h-card" translate="no"><a href="https://mastodon.social/@acme"'
            ' class="u-url mention">@<span>acme</span></a></span> Mein Paket &amp; die'
            " Rechnung fehlen.</p><p>Zeile eins<br />Zeile zwei</p>"
        ),
        "account": {
            "id": "109876",
            "username": "lena",
            "acct": "lena@chaos.social",
            "display_name": "Lena K.",
            "followers_count": 240,
            "url": "https://chaos.social/@lena",
        },
        "media_attachments": [],
        "mentions": [{"id": "1", "username": "acme", "acct": "acme"}],
        **extra,
    }


def parse(payload: dict[str, Any]) -> Any:
    return mastodon.parse("mastodon", json.dumps(payload).encode(), JSON)


def test_status_becomes_post_with_plain_text() -> None:
    post = parse(status())
    assert post.external_id == "113512345678901234"
    assert post.text == "@acme Mein Paket & die Rechnung fehlen.\n\nZeile eins\nZeile zwei"
    assert post.author.id == "109876"
    assert post.author.handle == "@lena@chaos.social"
    assert post.author.name == "Lena K."
    assert post.author.followers == 240
    assert post.in_reply_to == "113512300000000000"
    assert post.conversation_id is None
    assert post.language == "de"
    assert post.url == "https://chaos.social/@lena/113512345678901234"
    assert post.metadata == {"visibility": "public", "account_url": "https://chaos.social/@lena"}


def test_mention_notification_unwraps_status() -> None:
    note = {
        "id": "34975861",
        "type": "mention",
        "created_at": "2026-11-23T08:58:01.000Z",
        "account": status()["account"],
        "status": status(visibility="direct", in_reply_to_id=None, url=None),
    }
    post = parse(note)
    assert post.external_id == "113512345678901234"
    assert post.in_reply_to is None
    assert post.url == "https://chaos.social/users/lena/statuses/113512345678901234"
    assert post.metadata["visibility"] == "direct"


def test_other_notifications_are_refused() -> None:
    with pytest.raises(ParseError) as err:
        parse({"id": "1", "type": "favourite", "status": status()})
    assert err.value.field == "type"


def test_script_and_markup_never_reach_text() -> None:
    content = (
        "<p>hi<script>alert('x')</script><style>p{}</style> <b>bold</b>"
        ' <a href="javascript:alert(1)">&lt;!channel&gt;</a> &#x3C;@U123&#x3E;</p>'
        "<img src=x onerror=alert(1)>"
    )
    post = parse(status(content=content))
    assert post.text == "hi bold <!channel> <@U123>"
    assert "alert" not in post.text


def test_content_warning_comes_first() -> None:
    post = parse(status(spoiler_text="billing rant", content="<p>charged twice</p>"))
    assert post.text == "billing rant\n\ncharged twice"


def test_media_only_status_is_kept() -> None:
    post = parse(status(content="", media_attachments=[{"id": "1", "type": "image"}]))
    assert post.text == "(media without text)"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (status(content=None), "content"),
        (status(content="<p> </p>"), "content"),
        (status(account=None), "account"),
        (status(account={"id": "1"}), "account.acct"),
        (status(account={"id": "1", "acct": "lena @everyone"}), "account.acct"),
        (status(id=None), "id"),
        (status(url="javascript:alert(1)"), "url"),
        (status(created_at=5), "created_at"),
        (
            status(account={**status()["account"], "followers_count": "many"}),
            "account.followers_count",
        ),
        ({"type": "mention"}, "status"),
        ({"type": "mention", "status": status(id=None)}, "status.id"),
    ],
)
def test_bad_status_names_the_field(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(ParseError) as err:
        parse(payload)
    assert err.value.field == field


def test_nul_bytes_and_huge_content() -> None:
    post = parse(status(content="<p>a\x00b</p>" + "<p>" + "y" * 200_000 + "</p>"))
    assert post.text.startswith("ab\n\n")
    assert len(post.text) == 40_000
