"""Delivers a problem card, a Slack plugin of the outbox runner: re-rendered whole from
the problem as it is now, posted once in its department's channel and edited in place
after, never twice within `PACE`."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.outbox import kinds
from bot.outbox.runner import Attempt, Deferred, Delivery, GiveUp
from bot.problems.refresh import PACE
from bot.problems.view import problem_view
from bot.slack.delivery import CARD_GONE
from bot.slack.posting import SlackOut
from bot.slack.problem_card import problem_card
from storage.problem_tables import Problem

log = logging.getLogger("casebot.outbox")

_PERMALINKS: dict[tuple[str, str], str] = {}
_PERMALINKS_KEPT = 10_000


def _permalink(out: SlackOut, channel: str, ts: str) -> str | None:
    """A message's permalink never changes: asked once per process."""
    key = (channel, ts)
    if key not in _PERMALINKS:
        try:
            link = str(out.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except SlackApiError:
            return None
        if len(_PERMALINKS) >= _PERMALINKS_KEPT:
            _PERMALINKS.clear()
        _PERMALINKS[key] = link
    return _PERMALINKS[key]


def _due(card_at: datetime | None, now: datetime) -> None:
    if card_at is not None and now < card_at + PACE:
        raise Deferred(card_at + PACE - now)


def deliver_problem_card(out: SlackOut, d: Delivery, a: Attempt) -> dict[str, Any]:
    problem_id = kinds.read(a.row, kinds.ProblemCard).problem_id
    now = d.time.now()
    with d.db.read() as session:
        problem = session.get(Problem, problem_id)
        if problem is None:
            raise GiveUp("the problem is gone")
        _due(problem.card_at, now)
        view = problem_view(session, problem_id, d.config)
        ts = problem.card_ts if problem.card_channel == view.channel else None
    links = {
        c.case_id: link
        for c in view.cases
        if c.channel and c.ts and (link := _permalink(out, c.channel, c.ts))
    }
    text, blocks = problem_card(view, links)
    if ts:
        try:
            out.update(view.channel, ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            if exc.response.get("error") not in CARD_GONE:
                raise out.sorted(exc, "chat.update", view.channel) from None
            log.warning("outbox.problem_card_gone", extra={"problem": problem_id})
            ts = None
    if not ts:
        ts = out.post_once(a, channel=view.channel, text=text, blocks=blocks, unfurl_links=False)
    with d.db.session() as session:
        if (problem := session.get(Problem, problem_id)) is not None:
            problem.card_channel, problem.card_ts, problem.card_at = view.channel, ts, d.time.now()
    return {"channel": view.channel, "ts": ts}
