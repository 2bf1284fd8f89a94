"""Ingest → case → card, through the real Flask/Bolt app and the real WebClient."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from flask.testing import FlaskClient

from bot.demo.standin import SlackStandIn
from bot.outbox.runner import Delivery
from bot.timesource import ManualTime
from tests.conftest import INGEST_SECRET, drain, post_json, sample_post, sign
from tests.support.processes import free_port, run_bot, start_bot, stop, wait_healthy, web_env

pytestmark = pytest.mark.both_db


def test_post_becomes_case_card_in_routed_channel(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    resp = post_json(http, "twitter", sample_post(1, "I was charged twice, I want a refund"))
    assert resp.status_code == 202
    assert resp.get_json() == {"case": "C-1", "post": 1, "duplicate": False}

    assert drain(worker) == 1
    [call] = slack.calls_to("chat.postMessage")
    assert call.args["channel"] == "C0BILLING01"
    assert call.args["blocks"] == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*C-1* · 🟠 *high* · <https://social.example/p1|twitter>"
                " · Customer 1 (@cust1)",
            },
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "> I was charged twice, I want a refund"},
        },
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "🆕 Unclaimed"},
                {"type": "mrkdwn", "text": "Priority: rule 'billing-disputes'"},
                {"type": "mrkdwn", "text": "Department: Billing"},
                {"type": "mrkdwn", "text": "Tags: billing"},
                {
                    "type": "mrkdwn",
                    "text": "⏱️ first response due"
                    " <!date^1795428000^{date_short_pretty} {time}|2026-11-23 10:00 UTC> (in 1 h)"
                    " · resolution due"
                    " <!date^1795510800^{date_short_pretty} {time}|2026-11-24 09:00 UTC> (in 1 d)",
                },
            ],
        },
        {
            "type": "actions",
            "block_id": "case_actions:1",
            "elements": [
                {
                    "type": "button",
                    "action_id": "case_claim",
                    "text": {"type": "plain_text", "text": "Claim"},
                    "style": "primary",
                    "value": '{"case":1}',
                },
                *[
                    {
                        "type": "button",
                        "action_id": action,
                        "text": {"type": "plain_text", "text": label},
                        "value": '{"case":1}',
                    }
                    for action, label in [
                        ("case_reply", "Reply…"),
                        ("case_escalate", "Escalate…"),
                        ("case_resolve", "Resolve…"),
                        ("case_wait", "Waiting on customer"),
                    ]
                ],
            ],
        },
    ]
    assert call.args["text"].startswith("C-1 [high] from Customer 1 (@cust1):")
    assert call.args["unfurl_links"] is False


def test_unmatched_post_goes_to_default_department(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    post_json(http, "mastodon", sample_post(1, "Hello, where can I find the manual?"))
    drain(worker)
    assert [m.channel for m in slack.channel("C0SUPPORT01")] == ["C0SUPPORT01"]


def test_duplicate_post_creates_nothing(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    first = post_json(http, "twitter", sample_post(1))
    again = post_json(http, "twitter", sample_post(1))
    assert again.status_code == 202
    assert again.get_json() == {**first.get_json(), "duplicate": True}
    assert post_json(http, "mastodon", sample_post(1)).get_json()["case"] == "C-2"
    drain(worker)
    assert len(slack.calls_to("chat.postMessage")) == 2


def test_follow_up_in_same_conversation_joins_the_case_thread(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    post_json(http, "twitter", sample_post(1, "Parcel lost", conversation_id="t-9"))
    drain(worker)
    again = sample_post(2, "Still nothing <!here>", conversation_id="t-9")
    again["author"] = sample_post(1)["author"]
    resp = post_json(http, "twitter", again)
    assert resp.get_json()["case"] == "C-1"
    drain(worker)
    [card] = slack.channel("C0LOGISTIC1")
    [line] = slack.thread("C0LOGISTIC1", card.ts)
    assert line.text == "💬 The customer wrote again:\n> Still nothing &lt;!here&gt;"
    assert "2 messages in thread" in json.dumps(card.blocks)


@pytest.mark.parametrize(
    "hostile",
    [
        "<!channel> refund now",
        "hey <@U0ADMIN001> look",
        "<https://evil.example|https://bank.example> & more",
        "<!subteam^S123> <#C0BILLING01>",
    ],
)
def test_hostile_text_is_escaped_everywhere(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, hostile: str
) -> None:
    post = sample_post(1, hostile)
    post["author"]["name"] = "<!everyone> Mallory"
    post["url"] = "javascript:alert(1)"
    post_json(http, "web", post)
    drain(worker)
    [call] = slack.calls_to("chat.postMessage")
    sent = json.dumps(call.args["blocks"]) + call.args["text"]
    ours = re.compile(r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|[\d: -]+ UTC>")
    assert len(ours.findall(sent)) == 2, "the clocks' deadlines are the only tokens"
    sent = ours.sub("", sent)
    for token in ("<!", "<@", "<#", "<https://evil"):
        assert token not in sent
    assert "&lt;!everyone&gt; Mallory" in sent
    assert "javascript:" not in sent


def test_pii_is_masked_on_the_card(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    text = "Mail me at jane.doe@example.com or +49 170 1234567, card 4111 1111 1111 1111"
    post_json(http, "web", sample_post(1, text))
    drain(worker)
    sent = json.dumps(slack.calls_to("chat.postMessage")[0].args["blocks"], ensure_ascii=False)
    assert "jane.doe" not in sent and "1234567" not in sent and "4111 1111" not in sent
    assert "j•••@example.com" in sent and "[phone …67]" in sent and "[card …1111]" in sent


def test_bad_signature_is_401_and_stores_nothing(http: FlaskClient, worker: Delivery) -> None:
    body = json.dumps(sample_post(1)).encode()
    resp = http.post(
        "/ingest/twitter",
        data=body,
        headers={"Content-Type": "application/json", "X-Casebot-Signature": sign(body, "wrong")},
    )
    assert resp.status_code == 401
    missing = http.post("/ingest/twitter", data=body, headers={"Content-Type": "application/json"})
    assert missing.status_code == 401
    assert drain(worker) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (b"\xff\xfe{}", "body"),
        (json.dumps({"id": "1", "text": "x"}).encode(), "author"),
        (json.dumps({"id": "1", "author": {"id": "a"}}).encode(), "text"),
        (json.dumps({"text": "x", "author": {"id": "a"}}).encode(), "id"),
        (json.dumps({"id": "1", "text": "x", "author": {}}).encode(), "author.id"),
        (json.dumps({"id": "1", "text": 5, "author": {"id": "a"}}).encode(), "text"),
        (
            json.dumps({"id": "1", "text": "x", "author": {"id": "a", "followers": -3}}).encode(),
            "author.followers",
        ),
        (
            json.dumps(
                {"id": "1", "text": "x", "author": {"id": "a"}, "created_at": "soon"}
            ).encode(),
            "created_at",
        ),
    ],
)
def test_malformed_body_is_400_naming_the_field(
    http: FlaskClient, worker: Delivery, body: bytes, field: str
) -> None:
    resp = post_json(http, "web", body)
    assert resp.status_code == 400
    assert resp.get_json()["field"] == field
    assert drain(worker) == 0


def test_oversized_body_is_413(http: FlaskClient) -> None:
    body = json.dumps(sample_post(1, "x" * (1024 * 1024))).encode()
    assert post_json(http, "twitter", body).status_code == 413


def test_wrong_content_type_is_415(http: FlaskClient) -> None:
    body = json.dumps(sample_post(1)).encode()
    resp = http.post(
        "/ingest/twitter",
        data=body,
        headers={"Content-Type": "text/plain", "X-Casebot-Signature": sign(body)},
    )
    assert resp.status_code == 415


def test_replayed_timestamped_request_is_rejected(
    http: FlaskClient, time_source: ManualTime
) -> None:
    body = json.dumps(sample_post(1)).encode()

    def send(timestamp: str) -> int:
        headers = {
            "Content-Type": "application/json",
            "X-Casebot-Signature": sign(body, INGEST_SECRET, timestamp),
            "X-Casebot-Timestamp": timestamp,
        }
        return http.post("/ingest/twitter", data=body, headers=headers).status_code

    assert send("1000000000") == 401, "a captured request replayed years later"
    assert send(str(int(time_source.now().timestamp()))) == 202, "the same body signed just now"


def test_a_stale_timestamp_is_named_as_stale(http: FlaskClient, time_source: ManualTime) -> None:
    body = json.dumps(sample_post(1)).encode()
    old = str(int(time_source.now().timestamp()) - 301)

    def send(signature: str) -> tuple[int, str]:
        headers = {
            "Content-Type": "application/json",
            "X-Casebot-Signature": signature,
            "X-Casebot-Timestamp": old,
        }
        resp = http.post("/ingest/twitter", data=body, headers=headers)
        return resp.status_code, resp.get_json()["error"]

    status, error = send(sign(body, INGEST_SECRET, old))
    assert status == 401
    assert error.startswith("stale X-Casebot-Timestamp: more than 300 s away")
    assert send(sign(body, "wrong", old)) == (401, "bad or missing X-Casebot-Signature")


def test_a_refused_oversized_body_closes_the_connection_for_a_pooled_sender(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    """Over a real socket to the real web process: the 413 says `Connection: close`, so
    the client's pool does not reuse a connection the server then drops."""
    port = free_port()
    env = web_env(tmp_path, slack.api_url, port)
    assert run_bot(["migrate"], env).returncode == 0
    proc = start_bot(["web"], env)
    try:
        wait_healthy(port)
        big = json.dumps(sample_post(1, "x" * (3 * 1024 * 1024))).encode()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            assert client.get("/healthz").status_code == 200
            refused = client.post(
                "/ingest/web",
                content=big,
                headers={"Content-Type": "application/json", "X-Casebot-Signature": sign(big)},
            )
            assert (refused.status_code, refused.headers["connection"]) == (413, "close")
            small = json.dumps(sample_post(2)).encode()
            accepted = client.post(
                "/ingest/web",
                content=small,
                headers={
                    "Content-Type": "application/json",
                    "X-Casebot-Signature": sign(small, "i"),
                },
            )
            assert accepted.status_code == 202
            assert client.get("/healthz").headers["connection"] == "keep-alive"
    finally:
        stop(proc)


def test_nul_bytes_and_lone_surrogates_are_stored_cleanly(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    body = b'{"id": "x1", "text": "bad \\u0000 byte \\ud800 here", "author": {"id": "a"}}'
    resp = post_json(http, "web", body)
    assert resp.status_code == 202
    drain(worker)
    assert "bad  byte ? here" in json.dumps(slack.calls_to("chat.postMessage")[0].args["blocks"])


def test_healthz_reports_database(http: FlaskClient) -> None:
    resp = http.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json()["database"] == "ok"


def test_two_customers_in_one_public_thread_are_two_cases(http: FlaskClient) -> None:
    """On X every reply under a brand's post shares one conversation id."""
    first = post_json(http, "twitter", sample_post(1, "Late parcel", conversation_id="brand-1"))
    other = post_json(http, "twitter", sample_post(2, "Me too!", conversation_id="brand-1"))
    reply_to_other = sample_post(3, "Same here", in_reply_to="p1")
    third = post_json(http, "twitter", reply_to_other)
    assert [r.get_json()["case"] for r in (first, other, third)] == ["C-1", "C-2", "C-3"]
