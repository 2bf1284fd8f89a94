"""What the workflow tests share: their config, opening a case, reading cards and audit.

The config is the shipped example plus what the example leaves out: root-cause tags
and `sources:` whose replies go to a webhook the test runs locally (`web` sends at
once, `shop` needs a second person's approval; any other source has no connector).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from flask.testing import FlaskClient
from sqlmodel import col, select

from bot.demo.standin import Message, SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from config.load import parse_config
from config.schema import CasebotConfig
from storage.models import Event
from tests.conftest import EXAMPLE_CONFIG, drain, post_json, sample_post

ROOT_CAUSES = ["shipping-delay", "billing-error", "product-defect"]
SUPPORT, BILLING, LOGISTICS = "C0SUPPORT01", "C0BILLING01", "C0LOGISTIC1"
SUPPORT_MGR, BILLING_MGR = "U0SUPMGR01", "U0BILMGR01"
ANA, BEN, CAI = "U0ANA0001", "U0BEN0002", "U0CAI0003"
HOSTILE = "<!channel> <@U0BOSS01> <https://evil.example|click> & co"


def workflow_config(reply_url: str, *, permissions: dict[str, Any] | None = None) -> CasebotConfig:
    raw = yaml.safe_load(Path(EXAMPLE_CONFIG).read_text(encoding="utf-8"))
    raw["root_causes"] = ROOT_CAUSES
    webhook = {"kind": "webhook", "url": reply_url + "/replies", "secret_env": "INGEST_SECRET"}
    raw["sources"] = {
        "web": {"reply": webhook, "require_approval": False},
        "shop": {"reply": webhook, "require_approval": True},
    }
    if permissions:
        raw["permissions"] = {**raw["permissions"], **permissions}
    return parse_config(yaml.safe_dump(raw, sort_keys=False), "workflow-test-config")


def open_case(
    http: FlaskClient,
    worker: Delivery,
    n: int = 1,
    text: str = "My order never arrived",
    *,
    source: str = "web",
) -> str:
    """Ingest a post, deliver its card; returns the case ref (`C-1`)."""
    resp = post_json(http, source, sample_post(n, text))
    assert resp.status_code == 202, resp.get_data(as_text=True)
    drain(worker)
    return str(resp.get_json()["case"])


def only_card(slack: SlackStandIn, channel: str) -> Message:
    [card] = slack.channel(channel)
    return card


def thread_texts(slack: SlackStandIn, card: Message) -> list[str]:
    return [m.text for m in slack.thread(card.channel, card.ts)]


def blocks_text(msg: Message) -> str:
    return json.dumps(msg.blocks, ensure_ascii=False)


def button_ids(msg: Message) -> list[str]:
    return [
        element["action_id"]
        for block in msg.blocks or []
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def answers(slack: SlackStandIn) -> list[str]:
    """What the users were told privately (response_url answers), in order."""
    for _, body in slack.responses:
        assert body["response_type"] == "ephemeral", body
    return [body["text"] for _, body in slack.responses]


def audit(deps: Deps, case_id: int = 1) -> list[tuple[str, str, str]]:
    """The case's audit log as (kind, actor, surface), oldest first."""
    with deps.db.session() as s:
        rows = s.exec(select(Event).where(Event.case_id == case_id).order_by(col(Event.id)))
        return [(e.kind, e.actor, e.surface) for e in rows]


def audit_data(deps: Deps, kind: str, case_id: int = 1) -> list[dict[str, Any]]:
    with deps.db.session() as s:
        rows = s.exec(
            select(Event)
            .where(Event.case_id == case_id, Event.kind == kind)
            .order_by(col(Event.id))
        )
        return [dict(e.data) for e in rows]
