"""The Slack deliverers, plugins of the outbox runner (`bot.outbox.runner`): each
re-renders its row from current state, sends it through `SlackOut` (paced, posted at
most once) and records where it landed through storage functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import cards, cases, merges
from bot.events import ReplyRequested
from bot.ids import format_case_id
from bot.merge_events import CaseMerged
from bot.outbox import kinds
from bot.outbox.kinds import ProblemReminderItem, ReminderItem
from bot.outbox.runner import Attempt, Deliverer, Delivery, GiveUp
from bot.problems import reminders as problem_reminders
from bot.sla.sweep import still_due
from bot.slack import blocks, presenters, reminders
from bot.slack.pacing import POST
from bot.slack.posting import SlackOut
from storage import cards as card_store
from storage.models import Case, Post, Reply

log = logging.getLogger("casebot.outbox")

CARD_GONE = frozenset({"message_not_found", "cant_update_message"})
"""Someone deleted the card (or it can no longer be edited): post it again."""

SlackDeliverer = Callable[[SlackOut, Delivery, Attempt], dict[str, Any]]


def _card(out: SlackOut, d: Delivery, a: Attempt) -> dict[str, Any]:
    """Render the case into its card in the department it is in now; post that card if
    it is new there, edit it in place otherwise."""
    case_id = a.row.case_id
    assert case_id is not None
    if (new_in := kinds.read(a.row, kinds.CardRefresh).new_in) in d.config.departments:
        out.ready(POST, d.config.departments[new_in].channel)
    with d.db.read() as session:
        case = cases.get_case(session, case_id)
        channel = d.config.departments[case.department].channel
        card = card_store.latest_in(session, case_id=case_id, department=case.department)
        if card is None:
            raise GiveUp("the case has no card in its department")
        card_id, ts = card.id or 0, card.ts if card.channel == channel else None
        shown = card_store.where_shown(session, case_id=case_id)
        if ts is None and shown and shown[0] == channel:
            # Escalated away and back before the other card was posted: the card still
            # showing the case in this channel is its card here again.
            ts = shown[1]
        if not ts:
            out.ready(POST, channel)
        view = cards.card_view(session, case_id, d.config, d.time.now())
        kept = view.merged_into_id and card_store.where_shown(session, case_id=view.merged_into_id)
    text, rendered = blocks.case_card(view, _permalink(out, *kept) if kept else None)
    if ts:
        try:
            out.update(view.channel, ts, text=text, blocks=rendered)
        except SlackApiError as exc:
            if exc.response.get("error") not in CARD_GONE:
                raise out.sorted(exc, "chat.update", view.channel) from None
            log.warning("outbox.card_gone", extra={"case": case_id})
            ts = None
    if not ts:
        ts = out.post_once(a, channel=view.channel, text=text, blocks=rendered, unfurl_links=False)
    where = (view.channel, ts)
    if (card.channel, card.ts) != where or shown != where:  # an edit in place records nothing
        with d.db.session() as session:
            card_store.record_posted(
                session, case_id=case_id, card_id=card_id, channel=view.channel, ts=ts
            )
    return {"channel": view.channel, "ts": ts}


def _timeline(out: SlackOut, d: Delivery, a: Attempt) -> dict[str, Any]:
    """A line in the thread of the card the case had when it happened (see `CaseCard`)."""
    assert a.row.case_id is not None
    item = kinds.read(a.row, kinds.TimelineLine)
    data = dict(item.data)
    with d.db.read() as session:
        card = cards.thread_card(
            card_store.of_case(session, case_id=a.row.case_id), _int(item.stint)
        )
        if card is None or not card.channel or not card.ts:
            raise GiveUp("the case's card could not be posted, so its thread cannot be")
        channel, thread_ts = card.channel, card.ts
        out.ready(POST, channel)
        if post_id := data.get("post_id"):
            post = session.get(Post, post_id)
            case = session.get(Case, a.row.case_id)
            text = post.text if post else ""
            data["text"] = cards.pii.for_case(text, d.config, case) if case else ""
        if item.event == CaseMerged.kind and data.get("kept"):
            data["history"] = [
                {"at": i.at.isoformat(), "what": i.what, "by": i.by, "text": i.text}
                for i in merges.history(session, data, d.config)
            ]
    _enrich(out, d, data)
    line = presenters.thread_line(item.event, item.actor, data)
    extra: dict[str, Any] = {}
    draft = item.event == ReplyRequested.kind and bool(data.get("needs_approval"))
    if draft:
        extra["blocks"] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": blocks.clip(line, 3000)}},
            blocks.approval_buttons(int(data["reply_id"])),
        ]
    ts = out.post_once(
        a, channel=channel, thread_ts=thread_ts, text=line, reply_broadcast=False, **extra
    )
    if draft:
        with d.db.session() as session:
            card_store.record_draft(session, reply_id=int(data["reply_id"]), channel=channel, ts=ts)
    return {"channel": channel, "ts": ts}


def _int(value: object) -> int | None:
    """A stint from a payload; None for rows queued before cards had stints."""
    return value if isinstance(value, int) else None


def _enrich(out: SlackOut, d: Delivery, data: dict[str, Any]) -> None:
    """Names and links a line shows that the event itself does not carry."""
    if (to := data.get("to_department")) in d.config.departments:
        data["to_department_name"] = d.config.departments[to].name
    if data.get("from_channel") and data.get("from_ts"):
        data["permalink"] = _permalink(out, data["from_channel"], data["from_ts"])


def _permalink(out: SlackOut, channel: str, ts: str) -> str | None:
    try:
        return str(out.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError:
        return None


def _card_moved(out: SlackOut, d: Delivery, a: Attempt) -> dict[str, Any]:
    """The card left behind by an escalation becomes a pointer to the case's next card.

    Queued after the card refresh of the escalation, so the new card is posted by now
    (or could not be) and the pointer can link it.
    """
    assert a.row.case_id is not None
    item = kinds.read(a.row, kinds.CardMoved)
    channel, ts = str(item.data["from_channel"]), str(item.data["from_ts"])
    with d.db.read() as session:
        view = cards.card_view(session, a.row.case_id, d.config, d.time.now())
        all_cards = card_store.of_case(session, case_id=a.row.case_id)
    if all_cards and all_cards[-1].ts == ts:
        return {"skipped": "the case came back to this card"}
    target = cards.posted_since(all_cards, _int(item.to_stint))
    link = None
    if target is not None and target.channel and target.ts and target.ts != ts:
        link = _permalink(out, target.channel, target.ts)
    to = str(item.data["to_department"])
    text, rendered = blocks.moved_card(
        view,
        to_department=d.config.departments[to].name if to in d.config.departments else to,
        by=item.actor,
        link=link,
    )
    out.update(channel, ts, text=text, blocks=rendered)
    return {"channel": channel, "ts": ts, "link": link}


def _draft_decided(out: SlackOut, d: Delivery, a: Attempt) -> dict[str, Any]:
    """The draft's message loses its buttons and says who approved or discarded it."""
    item = kinds.read(a.row, kinds.DraftDecided)
    with d.db.read() as session:
        reply = session.get(Reply, item.reply_id)
        if reply is None or not reply.draft_channel or not reply.draft_ts:
            return {"skipped": "the draft was never posted"}
        channel, ts = reply.draft_channel, reply.draft_ts
        author, draft = reply.author_id, reply.text
    text, rendered = blocks.decided_draft(author, draft, decision=item.event, by=item.actor)
    out.update(channel, ts, text=text, blocks=rendered)
    return {"channel": channel, "ts": ts}


def _card_link(out: SlackOut, d: Delivery, case_id: int | None) -> str | None:
    if case_id is None:
        return None
    with d.db.read() as session:
        shown = card_store.where_shown(session, case_id=case_id)
    return _permalink(out, *shown) if shown else None


def _dm_channel(out: SlackOut, user: str) -> str:
    opened = out.call("conversations.open", None, lambda: out.client.conversations_open(users=user))
    return str(opened["channel"]["id"])


def _dm(out: SlackOut, d: Delivery, a: Attempt) -> dict[str, Any]:
    """A DM about one case event; links the case's card when it has one."""
    item = kinds.read(a.row, kinds.Notice)
    data = dict(item.data)
    _enrich(out, d, data)
    link = _card_link(out, d, a.row.case_id)
    ref = format_case_id(a.row.case_id or 0)
    text = presenters.notice(item.event, item.actor, data, ref, link)
    channel = _dm_channel(out, item.user)
    return {"channel": channel, "ts": out.post_once(a, channel=channel, text=text)}


def _reminders(out: SlackOut, d: Delivery, a: Attempt) -> dict[str, Any]:
    item = kinds.read(a.row, kinds.Reminders)
    with d.db.read() as session:
        due = _still_due(session, item.items)
        cases = [c for i in due for c in (i.cases if isinstance(i, ProblemReminderItem) else [i])]
        shown = {
            i.case_id: s for i in cases if (s := card_store.where_shown(session, case_id=i.case_id))
        }
    if not due:
        return {"skipped": "nothing still due"}
    links = {cid: link for cid, where in shown.items() if (link := _permalink(out, *where))}
    text, rendered = reminders.reminder_digest(due, links)
    channel = _dm_channel(out, item.user)
    ts = out.post_once(a, channel=channel, text=text, blocks=rendered)
    return {"channel": channel, "ts": ts, "items": len(due)}


def _still_due(
    session: Session, items: tuple[ReminderItem | ProblemReminderItem, ...]
) -> list[ReminderItem | ProblemReminderItem]:
    """The items still due now; a problem's item keeps only its cases still due."""
    due: list[ReminderItem | ProblemReminderItem] = []
    for i in items:
        if isinstance(i, ProblemReminderItem):
            if kept := problem_reminders.still_due(session, i, still_due):
                due.append(kept)
        elif still_due(session, i):
            due.append(i)
    return due


def _message(out: SlackOut, d: Delivery, a: Attempt) -> dict[str, Any]:
    """A standalone message to a channel or, with `user`, a DM."""
    item = kinds.read(a.row, kinds.Message)
    text = blocks.message(item.template, dict(item.data))
    channel = item.channel or _dm_channel(out, str(item.user))
    return {"channel": channel, "ts": out.post_once(a, channel=channel, text=text)}


SLACK: dict[type[kinds.Payload], SlackDeliverer] = {
    kinds.Message: _message,
    kinds.Reminders: _reminders,
    kinds.CardRefresh: _card,
    kinds.CardMoved: _card_moved,
    kinds.TimelineLine: _timeline,
    kinds.DraftDecided: _draft_decided,
    kinds.Notice: _dm,
}


def deliverers(
    out: SlackOut, *more: tuple[type[kinds.Payload], SlackDeliverer]
) -> dict[str, Deliverer]:
    """The Slack deliverers bound to the worker's client and pacer (`more`: other
    Slack kinds, such as the digest)."""
    return {k.kind: partial(_sorting, fn, out) for k, fn in [*SLACK.items(), *more]}


def _sorting(fn: SlackDeliverer, out: SlackOut, d: Delivery, a: Attempt) -> dict[str, Any]:
    """A Slack error not sorted where it happened becomes the runner's retry or give-up."""
    try:
        return fn(out, d, a)
    except SlackApiError as exc:
        method = str(exc.response.api_url or "").rstrip("/").rsplit("/", 1)[-1] or "unknown"
        raise out.sorted(exc, method, None) from None
