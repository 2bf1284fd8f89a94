"""Real payloads the door fuzz starts from, and strategies that vary them."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from bot.slack import ids
from handlers.slack import grammar
from tests.conftest import ROOT, sample_post
from tests.faults.doors import HOSTILE_TEXT, mutated

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


form_fields = st.dictionaries(
    st.sampled_from(["id", "name", "email", "message", "subject", "url", "_csrf", "phone"])
    | st.text(max_size=12),
    st.text(max_size=80) | st.sampled_from(HOSTILE_TEXT),
    max_size=8,
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


ACTION_IDS = [i.value for i in (*ids.ActionId, *ids.InputId, *ids.CallbackId)] + ["unknown_action"]
CALLBACKS = [c.value for c in ids.CallbackId] + ["unknown_modal"]

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
