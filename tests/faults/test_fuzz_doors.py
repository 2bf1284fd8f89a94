"""A hypothesis fuzz of every door: `/ingest/{source}` per format, slash command text,
every kind of interactive payload, and the headers of both. Whatever arrives, the
answer is no 5xx (but 503 while the database is down), JSON or Bolt's empty ack, no
traceback, and no "that failed on our side" apology, which only an unexpected
exception produces."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from bot.demo.standin import SlackStandIn
from bot.ids import ActionId
from bot.slack.views import ViewId
from handlers.slack import grammar
from tests.conftest import ROOT, sample_post, sign
from tests.faults.doors import HOSTILE_TEXT, assert_answered, json_values, mutated
from tests.support.slackreq import SIGNING_SECRET

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
"""Examples per door; `make test-faults ARGS=...` with FUZZ_EXAMPLES=2000 digs deeper."""
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FEW = settings(FUZZ, max_examples=max(EXAMPLES // 4, 10))

CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "message/rfc822",
    "application/x-www-form-urlencoded",
    "text/plain",
    "multipart/form-data; boundary=x",
    "",
    "application/json; charset=latin-1",
    "\x00",
]

TWEET = {
    "data": {
        "id": "1859273645123456789",
        "text": "@AcmeCare my parcel is 2 weeks late",
        "author_id": "2244994945",
        "conversation_id": "1859270000000000000",
        "created_at": "2026-11-23T08:55:12.000Z",
        "lang": "en",
        "referenced_tweets": [{"type": "replied_to", "id": "1859270000000000000"}],
    },
    "includes": {
        "users": [
            {
                "id": "2244994945",
                "username": "jane_doe",
                "name": "Jane Doe",
                "public_metrics": {"followers_count": 1520},
            }
        ]
    },
}
STATUS = {
    "id": "113512345678901234",
    "created_at": "2026-11-23T08:58:00.000Z",
    "in_reply_to_id": None,
    "spoiler_text": "",
    "visibility": "public",
    "language": "de",
    "url": "https://chaos.social/@lena/113512345678901234",
    "content": "<p>Mein Paket &amp; die <b>Rechnung</b> fehlen.</p>",
    "account": {
        "id": "109876",
        "acct": "lena@chaos.social",
        "display_name": "Lena K.",
        "followers_count": 240,
        "url": "https://chaos.social/@lena",
    },
    "media_attachments": [],
}
POST = {**sample_post(1), "created_at": "2026-11-23T08:00:00Z", "metadata": {"order": "A-1"}}

json_bodies = {
    "web": mutated(POST),
    "twitter": mutated(TWEET) | mutated(POST),
    "mastodon": mutated(STATUS) | mutated({"type": "mention", "status": STATUS}),
}


def _ingest(http: FlaskClient, source: str, body: bytes, ctype: str, **headers: str) -> Any:
    return http.post(
        f"/ingest/{source}",
        data=body,
        headers={"Content-Type": ctype, "X-Casebot-Signature": sign(body), **headers},
    )


@pytest.mark.both_db
@FUZZ
@given(data=st.data())
def test_ingest_json_sources(http: FlaskClient, data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(sorted(json_bodies)))
    body = data.draw(json_bodies[source]).encode()
    assert_answered(_ingest(http, source, body, "application/json"))


@FUZZ
@given(
    body=st.binary(max_size=3000),
    source=st.sampled_from(["web", "twitter", "mastodon", "email", "form"]),
    ctype=st.sampled_from(CONTENT_TYPES),
)
def test_ingest_noise_of_any_content_type(
    http: FlaskClient, body: bytes, source: str, ctype: str
) -> None:
    assert_answered(_ingest(http, source, body, ctype))


MAIL_HEADERS = [
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
    "Auto-Submitted",
    "Precedence",
    "Return-Path",
]
mail_values = st.one_of(
    st.text(max_size=60).map(lambda t: t.replace("\r", " ").replace("\n", " ")),
    st.sampled_from(
        [
            "Dana <dana@example.com>",
            "<>",
            "MAILER-DAEMON",
            'multipart/mixed; boundary="b"',
            "multipart/alternative",
            "text/html; charset=unknown-8bit",
            "message/rfc822",
            "base64",
            "quoted-printable",
            "Fri, 31 Dec 9999 23:59:59 -1200",
            "Mon, 1 Jan 0001 00:00:00 +1400",
            "<a@b> <c@d>",
            "=?utf-8?q?=C3=A9?=",
            "=?x-unknown?b?////?=",
            *HOSTILE_TEXT[:12],
        ]
    ),
)


@st.composite
def mails(draw: st.DrawFn) -> bytes:
    headers = draw(st.lists(st.tuples(st.sampled_from(MAIL_HEADERS), mail_values), max_size=10))
    if draw(st.booleans()):
        headers.insert(0, ("From", "Dana <dana@example.com>"))
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode("utf-8", "replace")
    depth = draw(st.sampled_from([0, 0, 1, 3, 49, 50, 51, 3000]))
    nest = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(depth)
    )
    text = draw(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
    return head + nest + b"\r\n" + text


SAMPLES = sorted((ROOT / "tests/handlers/channels/samples/mail").glob("*.eml"))


@FUZZ
@given(mail=mails() | st.sampled_from(SAMPLES).map(Path.read_bytes))
def test_ingest_email(http: FlaskClient, mail: bytes) -> None:
    assert_answered(_ingest(http, "email", mail, "message/rfc822"))


form_fields = st.dictionaries(
    st.sampled_from(["id", "name", "email", "message", "subject", "url", "_csrf", "phone"])
    | st.text(max_size=12),
    st.text(max_size=80) | st.sampled_from(HOSTILE_TEXT),
    max_size=8,
)


@FUZZ
@given(fields=form_fields, repeat=st.booleans())
def test_ingest_form(http: FlaskClient, fields: dict[str, str], repeat: bool) -> None:
    body = urlencode({"email": "a@b.example", "message": "hi", **fields}, errors="surrogatepass")
    if repeat:
        body += "&" + body
    resp = _ingest(http, "form", body.encode(), "application/x-www-form-urlencoded")
    assert_answered(resp)


header_values = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    st.sampled_from(["", "0", "-1", "9" * 4301, "1" * 13, "1700000000", "sha256=", "v0="]),
)


@FUZZ
@given(timestamp=header_values, signature=header_values, signed=st.booleans())
def test_ingest_headers(http: FlaskClient, timestamp: str, signature: str, signed: bool) -> None:
    body = json.dumps(sample_post(1)).encode()
    headers = {"X-Casebot-Timestamp": timestamp}
    headers["X-Casebot-Signature"] = sign(body, timestamp=timestamp) if signed else signature
    assert_answered(_ingest(http, "web", body, "application/json", **headers))


def _slack(
    http: FlaskClient,
    body: str,
    *,
    ctype: str = "application/x-www-form-urlencoded",
    **headers: str,
) -> Any:
    timestamp = headers.pop("timestamp", str(int(time.time())))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    return http.post(
        "/slack/events",
        data=body.encode("utf-8", "surrogatepass"),
        headers={
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
            "Content-Type": ctype,
            **headers,
        },
    )


words = st.sampled_from(
    [
        *grammar.USAGE,
        "C-1",
        "c1",
        "1",
        "0",
        "C-2147483648",
        "999999999999",
        "9" * 40,
        "<@U0BEN0002>",
        "<@U0BEN0002|ben>",
        "<@UCASEBOT>",
        "<#C0BILLING01|billing>",
        "<#C0NOWHERE1>",
        "billing",
        "support",
        "mine",
        "open",
        "unclaimed",
        "breaching",
        "page",
        "100001",
        "today",
        "week",
        "30d",
        "override",
        "4h",
        "400d",
        "0m",
        '"',
        '"two words"',
        "shipping-delay",
        "“",
    ]
)
command_texts = st.lists(words | st.text(max_size=12), max_size=8).map(" ".join) | st.text(
    max_size=200
)


def _seed(http: FlaskClient) -> None:
    """Case C-1 exists (from the second call on, a duplicate: nothing new), so commands
    and clicks reach the core instead of stopping at "There is no case"."""
    body = json.dumps(sample_post(1)).encode()
    assert _ingest(http, "web", body, "application/json").status_code == 202


def _sorry(slack: SlackStandIn) -> list[str]:
    return [a["text"] for _, a in slack.responses if "Sorry, that failed" in str(a.get("text"))]


@pytest.mark.both_db
@FUZZ
@given(text=command_texts, who=st.sampled_from(["U0ANA0001", "U0SUPMGR01", "UCASEBOT"]))
def test_slash_command_text(http: FlaskClient, slack: SlackStandIn, text: str, who: str) -> None:
    _seed(http)
    body = urlencode(
        {
            "team_id": "T1",
            "channel_id": "C0SUPPORT01",
            "user_id": who,
            "command": "/case",
            "text": text,
            "response_url": slack.response_url(),
            "trigger_id": "t",
        }
    )
    assert_answered(_slack(http, body), empty_ok=True)
    assert _sorry(slack) == []


ACTION_IDS = [*(a.value for a in ActionId), *(v.value for v in ViewId), "unknown_action"]
CALLBACKS = [v.value for v in ViewId if v.value.endswith("_modal")] + ["unknown_modal"]

BLOCK_ACTION = {
    "type": "block_actions",
    "team": {"id": "T1", "domain": "acme"},
    "user": {"id": "U0ANA0001", "team_id": "T1"},
    "api_app_id": "A1",
    "trigger_id": "trig",
    "container": {"type": "message", "channel_id": "C0SUPPORT01", "message_ts": "1.1"},
    "channel": {"id": "C0SUPPORT01"},
    "actions": [
        {"type": "button", "action_id": "case_claim", "block_id": "b", "value": '{"case":1}'}
    ],
}
VIEW = {
    "type": "view_submission",
    "team": {"id": "T1"},
    "user": {"id": "U0ANA0001", "team_id": "T1"},
    "trigger_id": "trig",
    "view": {
        "id": "V1",
        "type": "modal",
        "callback_id": "resolve_modal",
        "private_metadata": '{"case":1}',
        "state": {
            "values": {
                "resolve_tag": {
                    "resolve_tag": {
                        "type": "static_select",
                        "selected_option": {"value": "shipping-delay"},
                    }
                },
                "resolve_note": {"resolve_note": {"type": "plain_text_input", "value": "done"}},
                "escalate_department": {
                    "escalate_department": {"type": "static_select", "selected_option": None}
                },
                "escalate_user": {
                    "escalate_user": {"type": "users_select", "selected_user": "U0BEN0002"}
                },
                "snooze_minutes": {
                    "snooze_minutes": {"type": "static_select", "selected_option": {"value": "30"}}
                },
                "reply_text": {"reply_text": {"type": "plain_text_input", "value": "Sorry!"}},
            }
        },
    },
}
VIEW_CLOSED = {**VIEW, "type": "view_closed", "is_cleared": False}
SHORTCUT = {
    "type": "shortcut",
    "team": {"id": "T1"},
    "user": {"id": "U0ANA0001"},
    "callback_id": "x",
    "trigger_id": "t",
}
EVENT = {
    "type": "event_callback",
    "team_id": "T1",
    "api_app_id": "A1",
    "event": {"type": "app_home_opened", "user": "U0ANA0001", "tab": "home"},
    "event_id": "Ev1",
}


@st.composite
def interactive(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["block_actions", "view_submission", "view_closed", "shortcut"]))
    if kind == "block_actions":
        payload = json.loads(json.dumps(BLOCK_ACTION))
        action = payload["actions"][0]
        action["action_id"] = draw(st.sampled_from(ACTION_IDS))
        action["value"] = draw(st.sampled_from(HOSTILE_TEXT) | st.text(max_size=30))
        if draw(st.booleans()):
            del payload["container"]
        if draw(st.booleans()):  # a message click; without: a click in App Home
            payload["response_url"] = RESPONSE_URL
        return payload
    if kind == "shortcut":
        return dict(SHORTCUT)
    payload = json.loads(json.dumps(VIEW if kind == "view_submission" else VIEW_CLOSED))
    payload["view"]["callback_id"] = draw(st.sampled_from(CALLBACKS))
    payload["view"]["private_metadata"] = draw(st.sampled_from(HOSTILE_TEXT))
    return payload


RESPONSE_URL = "http://127.0.0.1:9/respond/unused"
"""Replaced by the stand-in's own response URL before sending."""


@pytest.mark.both_db
@FUZZ
@given(data=st.data())
def test_interactive_payloads(http: FlaskClient, slack: SlackStandIn, data: st.DataObject) -> None:
    _seed(http)
    payload = data.draw(interactive())
    text = data.draw(mutated(payload, max_changes=2) | st.just(json.dumps(payload)))
    text = text.replace(RESPONSE_URL, slack.response_url())
    assert_answered(_slack(http, urlencode({"payload": text})), empty_ok=True)
    assert _sorry(slack) == []


@FUZZ
@given(payload=json_values.map(json.dumps) | st.text(max_size=200), raw=st.booleans())
def test_garbage_payloads_and_events(
    http: FlaskClient, slack: SlackStandIn, payload: str, raw: bool
) -> None:
    if raw:
        resp = _slack(http, payload, ctype="application/json")
    else:
        resp = _slack(http, urlencode({"payload": payload}))
    assert_answered(resp, empty_ok=True)


@FEW
@given(event=mutated(EVENT, max_changes=2))
def test_events_api_bodies(http: FlaskClient, event: str) -> None:
    assert_answered(_slack(http, event, ctype="application/json"), empty_ok=True)


@FUZZ
@given(
    timestamp=header_values,
    signature=header_values,
    signed=st.booleans(),
    ctype=st.sampled_from(CONTENT_TYPES),
)
def test_slack_headers(
    http: FlaskClient, timestamp: str, signature: str, signed: bool, ctype: str
) -> None:
    body = urlencode({"command": "/case", "text": "help", "user_id": "U1", "team_id": "T1"})
    headers = {"timestamp": timestamp, "Content-Type": ctype}
    if not signed:
        headers["X-Slack-Signature"] = signature
    assert_answered(_slack(http, body, **headers), empty_ok=True)


@pytest.mark.both_db
@FEW
@given(data=st.data())
def test_with_the_database_down_only_503(down_http: FlaskClient, data: st.DataObject) -> None:
    if data.draw(st.booleans()):
        source = data.draw(st.sampled_from(sorted(json_bodies)))
        body = data.draw(json_bodies[source]).encode()
        assert_answered(_ingest(down_http, source, body, "application/json"), down=True)
    else:
        body = urlencode({"payload": json.dumps(data.draw(interactive()))})
        assert_answered(_slack(down_http, body), down=True, empty_ok=True)
