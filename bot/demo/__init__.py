"""`python -m bot demo`: the whole flow offline, printed as people in Slack would see it.

Real pieces throughout: the Flask/Bolt app receives signed requests, the core writes to
a fresh SQLite database, and the worker's outbox delivery talks to a local Slack Web
API stand-in through the real WebClient. Only Slack itself and the clock are stand-ins.
"""

from __future__ import annotations

import html
import json
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import create_app
from bot.demo.signed import SlackUser
from bot.demo.standin import Message, SlackStandIn
from bot.deps import Deps
from bot.oncall.handoffs import announce_handoffs
from bot.outbox.runner import deliver_due
from bot.problems.queue import detect_queued
from bot.sla.sweep import sweep
from bot.timesource import ManualTime
from bot.worker import delivery, outbox_round
from config.load import load_config
from config.settings import Settings
from handlers.channels.base import sign
from storage.db import Database
from storage.migrate import upgrade

CONFIG = Path(__file__).resolve().parents[2] / "config" / "casebot.example.yaml"
SIGNING = "demo-signing-secret"
DEMO_START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
"""A Monday morning, so the demo reads the same every time it runs."""
INGEST = "demo-ingest-secret"
PEOPLE = {
    "U0ANA0001": "ana",
    "U0BEN0002": "ben",
    "U0SUPMGR01": "sam (support manager)",
    "U0BILMGR01": "bo (billing manager)",
    "U0PRONE001": "pat",
    "U0PRTWO002": "kai",
}
CHANNEL_NAMES = {
    "C0SUPPORT01": "#support",
    "C0BILLING01": "#billing",
    "C0LOGISTIC1": "#logistics",
    "C0PRSOCIAL1": "#pr",
}

POSTS: list[tuple[str, dict[str, Any]]] = [
    (
        "twitter",
        {
            "id": "1850000000000000001",
            "text": "@acme you charged me twice for order 5512! I want a refund."
            " Call me on +44 7700 900123",
            "author": {"id": "u-981", "handle": "@dana_k", "name": "Dana K", "followers": 250},
            "url": "https://x.com/dana_k/status/1850000000000000001",
            "conversation_id": "1850000000000000001",
        },
    ),
    (
        "mastodon",
        {
            "id": "112233",
            "text": "<!channel> my parcel has been 'out for delivery' for 9 days."
            " Worst service ever.",
            "author": {"id": "acct-7", "handle": "@lee@social.example", "name": "Lee <script>"},
            "url": "https://social.example/@lee/112233",
        },
    ),
    (
        "reviews",
        {
            "id": "rv-77",
            "text": "The app keeps logging me out. Annoying but I love the product otherwise.",
            "author": {"id": "r-5", "handle": "kim", "name": "Kim", "followers": 2_400_000},
        },
    ),
    (
        "twitter",
        {
            "id": "1850000000000000002",
            "text": "Still waiting for an answer about the double charge...",
            "author": {"id": "u-981", "handle": "@dana_k", "name": "Dana K"},
            "conversation_id": "1850000000000000001",
        },
    ),
]


def _display(text: str) -> str:
    """Show mrkdwn roughly as Slack renders it."""
    text = re.sub(r"<@([UW][A-Z0-9]+)>", lambda m: "@" + PEOPLE.get(m.group(1), m.group(1)), text)
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"\2 (\1)", text)
    text = re.sub(r"<!date\^\d+\^[^|>]*\|([^>]+)>", r"\1", text)
    return html.unescape(text)


def _render(message: Message) -> list[str]:
    lines: list[str] = []
    for block in message.blocks or []:
        if block["type"] == "section":
            lines.append(_display(block["text"]["text"]))
        elif block["type"] == "context":
            lines.append("  " + " | ".join(_display(e["text"]) for e in block["elements"]))
        elif block["type"] == "actions":
            labels = [
                e["text"]["text"] if "text" in e else e["placeholder"]["text"]
                for e in block["elements"]
            ]
            lines.append("  " + "  ".join(f"[{label}]" for label in labels))
    return lines or [_display(message.text)]


class _Person:
    """Demo people: each says what they do and gets answers at their own response_url."""

    def __init__(self, slack: SlackUser) -> None:
        self.slack = slack

    def types(self, user: str, text: str) -> None:
        print(f"  {PEOPLE[user]} types: /case {text}")
        self.slack.command(text, user=user, response_url=f"{self.slack.response_url}-{user}")

    def clicks(self, user: str, action_id: str, value: str) -> None:
        print(f"  {PEOPLE[user]} clicks [{action_id.removeprefix('case_').title()}] on {value}")
        url = f"{self.slack.response_url}-{user}"
        self.slack.click(action_id, value, user=user, response_url=url)


def run_demo() -> None:
    time_source = ManualTime(DEMO_START)
    slack = SlackStandIn(users=PEOPLE, epoch=lambda: time_source.now().timestamp()).start()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        upgrade(url)
        settings = Settings(
            slack_bot_token="xoxb-demo",
            slack_signing_secret=SIGNING,
            slack_api_url=slack.api_url,
            database_url=url,
            ingest_secret=INGEST,
            slack_channel_rate=0,  # time moves by hand here: a paced post would wait forever
        )
        db = Database(url)
        deps = Deps(settings=settings, config=load_config(CONFIG), db=db, time=time_source)
        http = create_app(deps, process_before_response=True).flask.test_client()
        worker = delivery(deps)
        user = _Person(SlackUser(http, slack.response_url("demo"), secret=SIGNING))

        print("== Customers post; integrations sign and POST them to /ingest/{source}")
        for source, post in [*POSTS, POSTS[0]]:
            body = json.dumps(post).encode()
            sig = sign(INGEST, body)
            resp = http.post(
                f"/ingest/{source}",
                data=body,
                headers={"Content-Type": "application/json", "X-Casebot-Signature": sig},
            )
            print(f"  POST /ingest/{source} {post['id']} -> {resp.status_code} {resp.get_json()}")
        compared = detect_queued(db, deps.config)
        sent = deliver_due(worker)
        print(f"  worker compared {compared} new case(s) for problems, delivered {sent} message(s)")

        print("\n== Agents act from Slack")
        user.clicks("U0ANA0001", "case_claim", '{"case":1}')
        user.clicks("U0BEN0002", "case_claim", '{"case":1}')
        user.types("U0BEN0002", "claim C-2")
        user.types("U0BEN0002", "claim 42")
        user.types("U0ANA0001", "frobnicate")
        user.types("U0ANA0001", "note C-1 Refund of 19.99 issued in the payment system")
        user.types("U0BEN0002", 'escalate C-2 billing "they were charged for the redelivery"')
        user.types("U0ANA0001", "resolve C-1 --answered-elsewhere double-charge refunded, rang her")
        user.types("U0SUPMGR01", "oncall pr")
        while outbox_round(worker):
            pass

        print("\n== Three hours later (the clock is accelerated); the worker sweeps SLAs")
        time_source.advance(timedelta(hours=3))
        with db.session() as session:
            result = sweep(session, now=time_source.now(), config=deps.config)
            handoffs = announce_handoffs(session, config=deps.config, now=time_source.now())
        print(f"  sweep: {result.reminders} reminder(s) fired in {result.dms} DM(s)")
        print(f"  on-call handoffs announced: {handoffs}")
        while outbox_round(worker):
            pass

        print("\n== What each channel shows now")
        for channel, name in CHANNEL_NAMES.items():
            cards = slack.channel(channel)
            print(f"\n--- {name} ({len(cards)} card{'s' if len(cards) != 1 else ''})")
            for card in cards:
                for line in _render(card):
                    print("  " + line)
                if card.edits:
                    print(f"  (card edited in place {card.edits}x)")
                for reply in slack.thread(channel, card.ts):
                    print("    ↳ " + _display(reply.text).replace("\n", "\n      "))

        print("\n== What each person saw privately (ephemeral answers)")
        for target, body in slack.responses:
            who = PEOPLE.get(target.rsplit("-", 1)[-1], target)
            print(f"  to {who}: {_display(body.get('text', ''))}")

        print("\n== Direct messages from Casebot")
        for channel, messages in sorted(slack.messages.items()):
            if not channel.startswith("D"):
                continue
            who = PEOPLE.get("U" + channel[1:], "U" + channel[1:])
            for dm in messages:
                print(f"  to {who}:")
                for line in _render(dm):
                    print("    " + line.replace("\n", "\n    "))
        db.dispose()
    slack.stop()
