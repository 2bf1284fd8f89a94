"""On-call from Slack: who is on, overrides (managers only), handoffs announced once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.oncall.handoffs import announce_handoffs
from bot.outbox.runner import Delivery
from bot.timesource import ManualTime
from bot.worker import sweep_once
from storage.models import Event
from storage.worker_tables import Handoff
from tests.conftest import count, drain, post_json, sample_post
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db

PR = "C0PRSOCIAL1"
PAT, KAI = "U0PRONE001", "U0PRTWO002"
SUPPORT_MANAGER, ANA = "U0SUPMGR01", "U0ANA0001"


def _answer(slack: SlackStandIn) -> str:
    return str(slack.responses[-1][1]["text"])


def _handoffs(deps: Deps, worker: Delivery) -> int:
    with deps.db.session() as s:
        n = announce_handoffs(s, config=deps.config, now=deps.time.now())
    drain(worker)
    return n


def test_oncall_names_who_is_on_now_and_next(
    deps: Deps, slack: SlackStandIn, user: SlackClientSim
) -> None:
    user.command("oncall pr")
    # The example rotation: weekly on Mondays 09:00 London; 2026-11-23 09:00 UTC is Kai's.
    assert _answer(slack).startswith(f"*PR &amp; Social*: <@{KAI}> · next: <@{PAT}> from <!date^")
    user.command("oncall")
    lines = _answer(slack).splitlines()
    assert len(lines) == len(deps.config.departments)
    assert f"*Customer Support*: <@{SUPPORT_MANAGER}> (managers: no rotation or override)" in lines


def test_override_is_for_managers_and_changes_who_is_paged(
    deps: Deps, slack: SlackStandIn, user: SlackClientSim, time_source: ManualTime
) -> None:
    user.command(f"oncall override pr <@{ANA}> 4h", user=ANA)
    assert _answer(slack) == "Only managers and admins may override on-call here."
    user.command(f"oncall override pr <@{ANA}> 4h", user=SUPPORT_MANAGER)
    assert _answer(slack).startswith(f"<@{ANA}> is on call for PR &amp; Social until <!date^")
    user.command("oncall pr")
    assert _answer(slack).startswith(f"*PR &amp; Social*: <@{ANA}>")
    time_source.advance(timedelta(hours=4))
    user.command("oncall pr")
    assert _answer(slack).startswith(f"*PR &amp; Social*: <@{KAI}>"), "the override ended"
    with deps.db.session() as s:
        assert count(s, Event, Event.kind == "oncall_override") == 1


def test_handoff_is_announced_once_and_briefs_the_incoming_person(
    deps: Deps,
    http: Any,
    worker: Delivery,
    slack: SlackStandIn,
    time_source: ManualTime,
) -> None:
    post = sample_post(1, "Press inquiry, urgent")
    post["author"]["handle"] = "@journalist"
    post_json(http, "web", post)
    drain(worker)
    assert _handoffs(deps, worker) == 1
    assert _handoffs(deps, worker) == 0, "a second run (or worker) announces nothing"
    [announcement] = [m for m in slack.channel(PR) if m.text.startswith("🔄")]
    assert announcement.text.startswith(f"🔄 On call for *PR &amp; Social* now: <@{KAI}> until")
    [dm] = slack.channel("D" + KAI.lstrip("U"))
    assert "Cases you inherit, soonest due first:\n• *C-1*: first response due in 10 min" in dm.text

    time_source.advance(timedelta(days=7))
    assert _handoffs(deps, worker) == 1
    assert slack.channel("D" + PAT.lstrip("U")), "next Monday Pat takes over"
    with deps.db.session() as s:
        assert count(s, Handoff) == 2


def test_unowned_case_in_a_rotated_department_pages_the_oncall_person(
    deps: Deps, http: Any, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    post = sample_post(1, "Press inquiry")
    post["author"]["handle"] = "@journalist"
    post_json(http, "web", post)
    drain(worker)
    time_source.advance(timedelta(minutes=5))
    sweep_once(deps)
    drain(worker)
    assert len(slack.channel("D" + KAI.lstrip("U"))) == 1
    assert slack.channel("D" + PAT.lstrip("U")) == []
