"""What agents see of the customer loop in Slack: the card says whether the customer was
acknowledged and what was promised; `/case show` hands out a status page link to paste."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.timesource import ManualTime
from config.connectors import Acknowledge
from config.schema import CasebotConfig
from config.settings import Settings
from storage.db import Database
from tests.conftest import INGEST_SECRET
from tests.handlers.channels.remotes import HttpRemote
from tests.support.flows import ANA, SUPPORT, blocks_text, only_card, open_case, workflow_config
from tests.support.slackreq import SIGNING_SECRET, SlackClientSim

pytestmark = pytest.mark.both_db

PUBLIC_URL = "https://care.example.com"
LINK = re.compile(re.escape(PUBLIC_URL) + r"(/status/[A-Za-z0-9_-]{32})")


@pytest.fixture
def config(remote: HttpRemote) -> CasebotConfig:
    base = workflow_config(remote.url)
    web = base.sources["web"].model_copy(update={"acknowledge": Acknowledge()})
    return base.model_copy(update={"sources": {**base.sources, "web": web}})


@pytest.fixture
def deps(db: Database, slack: SlackStandIn, config: CasebotConfig, time_source: ManualTime) -> Deps:
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=db.url,
        ingest_secret=INGEST_SECRET,
        public_url=PUBLIC_URL,
    )
    return Deps(settings=settings, config=config, db=db, time=time_source)


def _show(user: SlackClientSim, slack: SlackStandIn) -> str:
    user.command("show 1", user=ANA)
    _, body = slack.responses[-1]
    return "\n".join(
        element["text"]
        for block in body["blocks"]
        if block["type"] == "context"
        for element in block["elements"]
    )


def test_the_card_shows_the_acknowledgement_and_its_promise(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, remote: HttpRemote
) -> None:
    open_case(http, worker)
    [ack] = remote.requests
    assert "Monday 13:00 UTC" in ack.json()["text"]
    due = int(datetime(2026, 11, 23, 13, 0, tzinfo=UTC).timestamp())
    context = blocks_text(only_card(slack, SUPPORT))
    assert f"🤖 Customer acknowledged · promised by <!date^{due}^" in context


def test_case_show_hands_out_a_fresh_status_link_that_opens_the_page(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    first, second = _show(user, slack), _show(user, slack)
    assert "🔗 Status page for the customer (give it only to them): <https://care" in first
    links = [LINK.search(text) for text in (first, second)]
    assert links[0] and links[1] and links[0].group(1) != links[1].group(1)
    for link in links:
        assert link is not None
        page = http.get(link.group(1))
        assert page.status_code == 200 and "Your case C-1" in page.get_data(as_text=True)


def test_case_show_without_public_url_says_why_there_is_no_link(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
) -> None:
    deps.settings.public_url = None
    open_case(http, worker)
    text = _show(user, slack)
    assert "🔗 No status page link: PUBLIC_URL is not set" in text
    assert "/status/" not in text
