"""Every channel, every customer, end to end: signed posts on `/ingest/{source}` → the
case → the card the Slack stand-in received. One person across channels, tiers, what
is masked (and what is not), automated mail, attachments and form fields, X lookups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from flask.testing import FlaskClient
from sqlmodel import col, select

from bot import replies
from bot.demo.standin import Message, SlackStandIn
from bot.deps import Deps
from bot.ids import Surface
from bot.outbox.runner import Delivery
from bot.reading import pages
from bot.slack.presenters import plain_line
from bot.worker import delivery
from config.load import parse_config
from config.schema import CasebotConfig
from storage.models import Acknowledgement, Case, Customer, Event, Post, Reply
from tests.conftest import EXAMPLE_CONFIG, drain, post_json, sample_post, sign
from tests.handlers.channels.remotes import SmtpRemote
from tests.handlers.channels.test_twitter import tweet_payload
from tests.support.flows import SUPPORT, blocks_text, thread_texts

SAMPLES = Path(__file__).parent / "samples" / "mail"
ANA = "U0ANA0001"
CHANNEL_OF = {
    "support": "C0SUPPORT01",
    "billing": "C0BILLING01",
    "logistics": "C0LOGISTIC1",
    "pr": "C0PRSOCIAL1",
}
ENV = {"SMTP_USER": "casebot", "SMTP_PASSWORD": "smtp-secret-pw", "INGEST_SECRET": "x"}


@pytest.fixture
def config(smtp: SmtpRemote) -> CasebotConfig:
    raw = yaml.safe_load(Path(EXAMPLE_CONFIG).read_text(encoding="utf-8"))
    raw["routing"] = [r for r in raw["routing"] if r["name"] != "billing-disputes"]
    raw["routing"].insert(
        0, {"name": "vips", "department": "pr", "tiers": ["vip"], "priority": "urgent"}
    )
    raw["customers"] = [
        {"tier": "vip", "emails": ["ceo@bigco.example"], "handles": ["@bigco_ceo"]},
        {"emails": ["dana@customer.example"], "handles": ["@dana_k"]},
    ]
    raw["sources"] = {
        "email": {
            "reply": {
                "kind": "email",
                "host": "127.0.0.1",
                "port": smtp.port,
                "starttls": False,
                "username_env": "SMTP_USER",
                "password_env": "SMTP_PASSWORD",
                "from_address": "care@acme.test",
            },
            "acknowledge": True,
        }
    }
    return parse_config(yaml.safe_dump(raw), "e2e-config")


@pytest.fixture
def worker(deps: Deps) -> Delivery:
    return delivery(deps, env=ENV)


def post_mail(http: FlaskClient, raw: bytes) -> Any:
    resp = http.post(
        "/ingest/email",
        data=raw,
        headers={"Content-Type": "message/rfc822", "X-Casebot-Signature": sign(raw)},
    )
    assert resp.status_code == 202, resp.get_data(as_text=True)
    return resp.get_json()


def mail(text: str, *headers: str, sender: str = "Dana <dana@customer.example>") -> bytes:
    lines = [
        f"From: {sender}",
        "To: care@acme.test",
        "Subject: Kettle",
        "Date: Mon, 23 Nov 2026 09:00:00 +0000",
        *headers,
        "Content-Type: text/plain; charset=utf-8",
        "",
        text,
    ]
    return "\r\n".join(lines).encode()


def cards(slack: SlackStandIn, channel: str = SUPPORT) -> list[str]:
    return [blocks_text(m) for m in slack.channel(channel)]


def card_of(slack: SlackStandIn, ref: str) -> str:
    """The card of case `ref` in whichever department it was routed to."""
    everywhere = (CHANNEL_OF[d] for d in CHANNEL_OF)
    posted = [m for channel in everywhere for m in slack.channel(channel)]
    return next(blocks_text(m) for m in posted if head(m).startswith(f"*{ref}*"))


def head(message: Message) -> str:
    return str((message.blocks or [{}])[0].get("text", {}).get("text", ""))


def header_of(slack: SlackStandIn, channel: str = SUPPORT) -> str:
    return str(slack.channel(channel)[-1].blocks[0]["text"]["text"])


def test_one_person_across_channels_and_the_contact_line(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    """Dana writes by e-mail, then on X with a handle the config links to her address."""
    post_mail(http, mail("Where is my kettle?", "Message-ID: <d1@customer.example>"))
    payload = tweet_payload(
        id="1900000000000000001", referenced_tweets=[], text="@AcmeCare still no kettle"
    )
    payload["includes"]["users"][1]["username"] = "dana_k"
    assert post_json(http, "twitter", payload).get_json()["case"] == "C-2"
    drain(worker)
    with deps.db.read() as s:
        assert {c.customer_id for c in s.exec(select(Case))} == {1}
    assert len(cards(slack)) == 2
    assert "2nd contact this week · also C-1 (e-mail)" in card_of(slack, "C-2")
    # The e-mail card is re-rendered only when it changes; its own line counts one contact.
    assert "contact this week" not in card_of(slack, "C-1")


def test_tier_from_the_config_routes_and_wins_over_author_tier(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    vip = sample_post(1, "hello", author={"id": "c1", "handle": "@bigco_ceo", "tier": "gold"})
    assert post_json(http, "web", vip).status_code == 202
    plain = sample_post(2, "hello", author={"id": "c2", "handle": "@someone", "tier": "vip"})
    assert post_json(http, "web", plain).status_code == 202
    with deps.db.read() as s:
        found = {c.id: (c.tier, c.name) for c in s.exec(select(Customer))}
        routed = [(c.department, c.priority) for c in s.exec(select(Case).order_by(col(Case.id)))]
    assert found[1][0] == "vip" and found[2][0] == "vip"
    assert routed == [("pr", "urgent"), ("pr", "urgent")]


def test_a_bad_author_tier_is_a_400_naming_it(http: FlaskClient) -> None:
    post = sample_post(1, author={"id": "c1", "tier": "<!channel>"})
    resp = post_json(http, "web", post)
    assert resp.status_code == 400 and resp.get_json()["field"] == "author.tier"


def test_masking_keeps_what_agents_need_and_hides_the_header_address(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    text = (
        "Invoice 2026-1187 from 2026-11-23, ref 12345678: call +49 170 1234567,"
        " card 4111 1111 1111 1111, not 4111 1111 1111 1112, or write to me@home.example"
    )
    post_mail(http, mail(text, "Message-ID: <m1@customer.example>"))
    drain(worker)
    card = cards(slack)[0]
    for kept in ("Invoice 2026-1187", "2026-11-23", "ref 12345678", "4111 1111 1111 1112"):
        assert kept in card
    for hidden in ("170 1234567", "4111 1111 1111 1111", "me@home.example", "dana@customer"):
        assert hidden not in card
    assert "[phone …67]" in card and "[card …1111]" in card
    assert "d•••@customer.example" in header_of(slack)


def test_the_region_comes_from_the_cases_calendar(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    """`low` cases run on the example's `office` calendar, whose holidays are Germany's:
    a Berlin number written nationally is masked there, and nowhere else."""
    with deps.db.session() as s:
        s.add(Customer(id=9, name="x", created_at=deps.time.now()))
    post_json(http, "web", sample_post(1, "call 030 901820"))
    with deps.db.session() as s:
        case = s.get(Case, 1)
        assert case is not None
        case.priority = "low"
    post_json(http, "web", sample_post(2, "call 030 901820"))
    drain(worker)
    with deps.db.read() as s:
        low = pages.case_detail(s, 1, deps.config, deps.time.now(), present=plain_line).text
        normal = pages.case_detail(s, 2, deps.config, deps.time.now(), present=plain_line).text
    assert low == "call [phone …20]" and normal == "call 030 901820"


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        (
            "https://evil.example|https://bank.example",
            "<https://evil.example%7Chttps://bank.example|web>",
        ),
        ("javascript:alert(1)", None),
        ("https://ok.example/p?a=1&b=<2>", "<https://ok.example/p?a=1&amp;b=&lt;2&gt;|web>"),
        ("https://spaced.example/a b", None),
        ("ftp://files.example/x", None),
    ],
)
def test_a_post_url_is_linked_only_when_it_cannot_disguise_itself(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    url: str,
    linked: str | None,
) -> None:
    assert post_json(http, "web", sample_post(1, url=url)).status_code == 202
    drain(worker)
    header = header_of(slack)
    if linked:
        assert linked in header
    else:
        assert "<" not in header.split("·")[2]
    with deps.db.read() as s:
        assert s.exec(select(Post.url)).one() == url  # kept as it came


@pytest.mark.both_db
def test_automated_mail_opens_no_case_and_a_bounce_marks_our_reply_undelivered(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, smtp: SmtpRemote
) -> None:
    out_of_office = mail("I am away.", "Auto-Submitted: auto-replied", "Message-ID: <o1@x>")
    assert post_mail(http, out_of_office) == {"case": None, "post": 1, "duplicate": False}
    assert post_mail(http, out_of_office)["duplicate"] is True
    drain(worker)
    assert slack.channel(SUPPORT) == []

    assert post_mail(http, mail("Kettle broken", "Message-ID: <d2@customer.example>"))["case"]
    drain(worker)  # the acknowledgement goes out by SMTP
    with deps.db.session() as s:
        events = replies.request(
            s,
            1,
            text="Sorry! A new one is on its way.",
            actor=ANA,
            surface=Surface.COMMAND,
            now=deps.time.now(),
            config=deps.config,
        )
        assert events
    drain(worker)
    with deps.db.read() as s:
        reply = s.exec(select(Reply)).one()
        ack = s.get(Acknowledgement, 1)
        assert reply.status == "sent" and reply.external_id and ack and ack.external_id
        reply_id, ack_id = reply.external_id, ack.external_id

    bounce = mail(
        "Delivery to dana@customer.example failed permanently.",
        "X-Failed-Recipients: dana@customer.example",
        f"References: <{ack_id}> <{reply_id}>",
        "Message-ID: <bounce-1@mx.example>",
        sender="Mail Delivery Subsystem <MAILER-DAEMON@mx.example>",
    )
    assert post_mail(http, bounce)["case"] == "C-1"
    auto = mail(
        "Out of office until Monday",
        "X-Autoreply: yes",
        f"In-Reply-To: <{reply_id}>",
        "Message-ID: <o2@x>",
    )
    assert post_mail(http, auto)["case"] == "C-1"
    drain(worker)
    with deps.db.read() as s:
        assert s.exec(select(Reply)).one().status == "undelivered"
        assert (s.get(Acknowledgement, 1) or Acknowledgement()).state == "undelivered"
        kinds = [e.kind for e in s.exec(select(Event).where(Event.case_id == 1))]
        assert kinds.count("bounced") == 2 and kinds.count("automated_mail") == 1
        assert len(list(s.exec(select(Case)))) == 1
        case = s.get(Case, 1)
        assert case is not None and case.status == "open"
    card = slack.channel(SUPPORT)[0]
    lines = thread_texts(slack, card)
    assert "📭 A reply bounced (X-Failed-Recipients): the customer did not get it" in lines
    assert any(line.startswith("🤖 An automatic answer came in (X-Autoreply)") for line in lines)
    assert "Acknowledgement bounced: X-Failed-Recipients" in blocks_text(card)


def test_attachments_are_listed_and_show_gives_the_whole_reply(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    post_mail(http, (SAMPLES / "18-thunderbird-attachments.eml").read_bytes())
    post_mail(http, (SAMPLES / "20-gmail-reply-en.eml").read_bytes())
    drain(worker)
    first = card_of(slack, "C-1")
    assert (
        "📎 box-front.png (image/png, 66 B) · Lieferschein N°5512.pdf (application/pdf, 30 B)"
        in first
    )
    assert "iVBOR" not in first
    with deps.db.read() as s:
        whole = pages.case_detail(s, 2, deps.config, deps.time.now(), present=plain_line).text
        post = s.exec(select(Post).where(Post.case_id == 2)).one()
    assert "wrote:" in whole and "wrote:" not in post.text
    assert "wrote:" not in card_of(slack, "C-2")


def test_form_extra_fields_are_card_fields(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    body = urlencode(
        {
            "email": "ann@example.org",
            "name": "Ann",
            "message": "Wrong size",
            "order": "A-20261123-7",
            "phone": "+44 7700 900123",
            "_csrf": "tok",
        }
    ).encode()
    resp = http.post(
        "/ingest/form",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Casebot-Signature": sign(body),
        },
    )
    assert resp.status_code == 202
    drain(worker)
    [card] = slack.channel(SUPPORT)
    [section] = [b for b in card.blocks if b["type"] == "section" and "fields" in b]
    assert [f["text"] for f in section["fields"]] == [
        "*Order*\nA-20261123-7",
        "*Phone*\n[phone …23]",
    ]
    assert "tok" not in blocks_text(card)


@pytest.mark.both_db
def test_an_x_lookup_with_many_posts_makes_a_case_each_and_threads_replies(
    deps: Deps, http: FlaskClient
) -> None:
    single = tweet_payload(id="1900000000000000001", referenced_tweets=[])
    reply = dict(
        single["data"],
        id="1900000000000000002",
        text="hello again",
        referenced_tweets=[{"type": "replied_to", "id": "1900000000000000001"}],
    )
    other = dict(single["data"], id="1900000000000000003", author_id="1", text="me too")
    payload = {"data": [reply, other, single["data"]], "includes": single["includes"]}
    resp = post_json(http, "twitter", payload)
    assert resp.status_code == 202
    got = resp.get_json()
    assert [p["case"] for p in got["posts"]] == ["C-1", "C-1", "C-2"]
    assert got["case"] == "C-1" and got["duplicate"] is False
    again = post_json(http, "twitter", payload).get_json()
    assert again["duplicate"] is True and all(p["duplicate"] for p in again["posts"])
    broken = {
        "data": [single["data"], {"id": "5", "text": "x", "author_id": "404"}],
        "includes": single["includes"],
    }
    resp = post_json(http, "twitter", broken)
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "includes.users: has no user matching data[1].author_id"
    with deps.db.read() as s:
        assert len(list(s.exec(select(Post)))) == 3


def test_x_lookup_bodies_and_names(http: FlaskClient) -> None:
    assert post_json(http, "twitter", {"data": [], "includes": {"users": []}}).status_code == 400
    too_many = {"data": [{"id": str(i)} for i in range(101)], "includes": {"users": []}}
    assert json.loads(post_json(http, "twitter", too_many).data)["field"] == "data"
