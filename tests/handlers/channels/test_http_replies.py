"""Webhook, Mastodon and X connectors against a local HTTP server."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from config.connectors import MastodonConnector, WebhookConnector, XConnector
from handlers.channels.base import ReplyError, ReplyReceipt
from handlers.channels.base import sign as signature
from handlers.channels.mastodon_reply import MastodonReplies, addressed
from handlers.channels.replies import ReplyConnector
from handlers.channels.webhook import WebhookReplies
from handlers.channels.x import XReplies
from tests.handlers.channels.remotes import Answer, HttpRemote, free_port
from tests.handlers.channels.replies_data import CUSTOMER_EMAIL, TOKEN, reply

NOW = 1_795_424_400.0


def webhook(url: str, timeout: float = 5.0) -> WebhookReplies:
    cfg = WebhookConnector(kind="webhook", url=url + "/replies", timeout_seconds=timeout)
    return WebhookReplies(cfg, secret="hook-secret", clock=lambda: NOW)


def mastodon(url: str, timeout: float = 5.0, **extra: str) -> MastodonReplies:
    cfg = MastodonConnector(kind="mastodon", base_url=url, timeout_seconds=timeout, **extra)
    return MastodonReplies(cfg, token=TOKEN)


def x(url: str, timeout: float = 5.0) -> XReplies:
    return XReplies(XConnector(kind="x", api_base=url, timeout_seconds=timeout), token=TOKEN)


CONNECTORS: list[Callable[..., ReplyConnector]] = [webhook, mastodon, x]


def test_webhook_posts_signed_json(remote: HttpRemote, log_text: Callable[[], str]) -> None:
    remote.answers.append(Answer(200, {"id": "crm-991"}))
    receipt = webhook(remote.url).send(reply())

    assert receipt == ReplyReceipt(external_id="crm-991")
    [req] = remote.requests
    assert req.path == "/replies"
    assert req.headers["content-type"] == "application/json"
    assert req.headers["idempotency-key"] == "reply:42:1"
    assert req.headers["x-casebot-timestamp"] == str(int(NOW))
    assert req.headers["x-casebot-signature"] == signature("hook-secret", req.body, str(int(NOW)))
    assert req.json() == {
        "key": "reply:42:1",
        "case": "C-42",
        "source": "mastodon",
        "text": "Sorry about that! We've sent a replacement, it arrives Thursday.",
        "in_reply_to": "113512345678901234",
        "conversation_id": "113512300000000000",
        "subject": None,
        "private": False,
        "customer": {"handle": "@lena@chaos.social", "email": CUSTOMER_EMAIL},
    }
    assert CUSTOMER_EMAIL not in log_text()


def test_webhook_without_id_in_answer(remote: HttpRemote) -> None:
    remote.answers.append(Answer(202, ["queued"]))
    assert webhook(remote.url).send(reply()) == ReplyReceipt(external_id=None)


def test_mastodon_posts_threaded_status(remote: HttpRemote, log_text: Callable[[], str]) -> None:
    remote.answers.append(Answer(200, {"id": "113600000000000001", "content": "<p>…</p>"}))
    receipt = mastodon(remote.url).send(reply())

    assert receipt == ReplyReceipt(external_id="113600000000000001")
    [req] = remote.requests
    assert req.path == "/api/v1/statuses"
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.headers["idempotency-key"] == "reply:42:1"
    assert req.json() == {
        "status": "@lena@chaos.social Sorry about that! We've sent a replacement,"
        " it arrives Thursday.",
        "in_reply_to_id": "113512345678901234",
    }
    assert TOKEN not in log_text()


def test_mastodon_private_post_is_answered_directly(remote: HttpRemote) -> None:
    mastodon(remote.url, visibility="unlisted").send(reply(private=True))
    mastodon(remote.url, visibility="unlisted").send(reply(in_reply_to=None))
    first, second = (r.json() for r in remote.requests)
    assert first["visibility"] == "direct"
    assert second["visibility"] == "unlisted"
    assert "in_reply_to_id" not in second


@pytest.mark.parametrize(
    ("text", "handle", "expected"),
    [
        ("Hi @Lena@chaos.social, done.", "@lena@chaos.social", "Hi @Lena@chaos.social, done."),
        ("done", "lena@chaos.social", "@lena@chaos.social done"),
        (
            "cc @lena@chaos.social.evil",
            "@lena@chaos.social",
            "@lena@chaos.social cc @lena@chaos.social.evil",
        ),
        ("@lenaX hi", "@lena", "@lena @lenaX hi"),
        ("hi", "", "hi"),
    ],
)
def test_mastodon_addressing(text: str, handle: str, expected: str) -> None:
    assert addressed(text, handle) == expected


def test_x_posts_reply_tweet(remote: HttpRemote, log_text: Callable[[], str]) -> None:
    remote.answers.append(Answer(201, {"data": {"id": "1859280000000000001", "text": "…"}}))
    receipt = x(remote.url).send(reply(source="twitter", in_reply_to="1859273645123456789"))

    assert receipt == ReplyReceipt(external_id="1859280000000000001")
    [req] = remote.requests
    assert req.path == "/2/tweets"
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert "idempotency-key" not in req.headers
    assert req.json() == {
        "text": "Sorry about that! We've sent a replacement, it arrives Thursday.",
        "reply": {"in_reply_to_tweet_id": "1859273645123456789"},
    }
    assert TOKEN not in log_text()


def test_x_without_reply_target_posts_plain_tweet(remote: HttpRemote) -> None:
    x(remote.url).send(reply(in_reply_to=None))
    assert remote.requests[0].json() == {"text": reply().text}


@pytest.mark.parametrize("build", CONNECTORS)
@pytest.mark.parametrize(
    ("status", "retryable"), [(429, True), (500, True), (503, True), (400, False), (401, False)]
)
def test_remote_errors_sorted_into_retry_or_not(
    build: Callable[..., ReplyConnector],
    status: int,
    retryable: bool,
    remote: HttpRemote,
    log_text: Callable[[], str],
) -> None:
    remote.answers.append(
        Answer(status, {"error": f"nope, {CUSTOMER_EMAIL}"}, headers={"Retry-After": "7"})
    )
    with pytest.raises(ReplyError) as err:
        build(remote.url).send(reply())
    assert err.value.retryable is retryable
    assert err.value.retry_after == (7.0 if retryable else None)
    assert str(status) in str(err.value)
    assert CUSTOMER_EMAIL not in str(err.value)
    assert CUSTOMER_EMAIL not in log_text() and TOKEN not in log_text()


@pytest.mark.parametrize("build", CONNECTORS)
def test_connection_refused_is_retryable(build: Callable[..., ReplyConnector]) -> None:
    with pytest.raises(ReplyError) as err:
        build(f"http://127.0.0.1:{free_port()}").send(reply())
    assert err.value.retryable
    assert "network error" in str(err.value)


@pytest.mark.parametrize("build", CONNECTORS)
def test_timeout_is_retryable(build: Callable[..., ReplyConnector], remote: HttpRemote) -> None:
    remote.answers.append(Answer(200, {"id": "late"}, delay=1.0))
    with pytest.raises(ReplyError) as err:
        build(remote.url, timeout=0.2).send(reply())
    assert err.value.retryable
    assert "timed out" in str(err.value)


@pytest.mark.parametrize("build", CONNECTORS)
def test_redirects_are_not_followed(
    build: Callable[..., ReplyConnector], remote: HttpRemote
) -> None:
    remote.answers.append(Answer(302, {}, headers={"Location": "http://127.0.0.1:1/steal"}))
    with pytest.raises(ReplyError) as err:
        build(remote.url).send(reply())
    assert not err.value.retryable
    assert len(remote.requests) == 1
