"""Delivers the outbox to Slack: re-render from current state, send, record the result.

Safety against double posts: every message Casebot posts carries its outbox key in
Slack message metadata. A row that is being tried again (after a crash, a timeout or a
5xx, when Slack may have posted it already) first looks for its key in the channel or
thread, and adopts the message it finds instead of posting again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import cards
from bot.effects import CARD, CARD_MOVED, DM, DRAFT_DECIDED, TIMELINE
from bot.ids import format_case_id
from bot.oncall.handoffs import MESSAGE
from bot.sla.sweep import REMINDERS
from bot.slack import blocks, reminders
from bot.timesource import TimeSource
from config.schema import CasebotConfig
from storage import cards as card_store
from storage import outbox
from storage.db import Database
from storage.models import Case, CaseCard, Post, Reply, SlaClock

log = logging.getLogger("casebot.outbox")

METADATA_EVENT = "casebot_outbox"
MAX_BACKOFF = timedelta(minutes=5)
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
        "user_not_found",
        "cannot_dm_bot",
    }
)


CARD_GONE = frozenset({"message_not_found", "cant_update_message"})
"""Someone deleted the card (or it can no longer be edited): post it again."""


class RetryLater(Exception):
    """A transient failure outside Slack (a customer channel's 5xx, a timeout); `after`
    is the remote's own Retry-After when it gave one."""

    def __init__(self, message: str, after: timedelta | None = None) -> None:
        super().__init__(message)
        self.after = after


class GiveUp(Exception):
    """A permanent failure: the row is parked as failed, with this message."""


Deliverer = Callable[["Delivery", outbox.Claimed], dict[str, Any]]


@dataclass(frozen=True)
class Delivery:
    """What a deliverer needs: the database, Slack, the config and the time source, plus the
    deliverers of non-Slack kinds (customer replies) that the worker plugs in."""

    db: Database
    client: WebClient
    config: CasebotConfig
    time: TimeSource
    extra: Mapping[str, Deliverer] = field(default_factory=dict)


def _metadata(key: str) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT, "event_payload": {"key": key}}


def _find_posted(client: WebClient, channel: str, key: str, thread_ts: str | None) -> str | None:
    """The ts of a message this row already posted, if any (see module docstring)."""
    if thread_ts:
        resp = client.conversations_replies(
            channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
        )
    else:
        resp = client.conversations_history(channel=channel, include_all_metadata=True, limit=100)
    for message in resp.get("messages", []):
        meta = message.get("metadata") or {}
        if (
            meta.get("event_type") == METADATA_EVENT
            and meta.get("event_payload", {}).get("key") == key
        ):
            return str(message["ts"])
    return None


def _post_once(
    d: Delivery, row: outbox.Claimed, *, channel: str, thread_ts: str | None = None, **message: Any
) -> str:
    if row.attempt > 1:
        found = _find_posted(d.client, channel, row.key, thread_ts)
        if found:
            log.info("outbox.adopted", extra={"row": row.id, "key": row.key})
            return found
    resp = d.client.chat_postMessage(
        channel=channel, thread_ts=thread_ts, metadata=_metadata(row.key), **message
    )
    return str(resp["ts"])


def _deliver_card(d: Delivery, row: outbox.Claimed) -> dict[str, Any]:
    """Render the case into its card in the department it is in now; post that card if
    it is new there, edit it in place otherwise."""
    assert row.case_id is not None
    with d.db.read() as session:
        view = cards.card_view(session, row.case_id, d.config, d.time.now())
        case = session.get(Case, row.case_id)
        card = card_store.latest_in(session, case_id=row.case_id, department=view.department)
        if card is None:
            raise GiveUp("the case has no card in its department")
        card_id, ts = card.id, card.ts if card.channel == view.channel else None
        if ts is None and case is not None and case.card_channel == view.channel:
            # Escalated away and back before the other card was posted: the card still
            # showing the case in this channel is its card here again.
            ts = case.card_ts
    text, rendered = blocks.case_card(view)
    if ts:
        try:
            d.client.chat_update(channel=view.channel, ts=ts, text=text, blocks=rendered)
        except SlackApiError as exc:
            if exc.response.get("error") not in CARD_GONE:
                raise
            log.warning("outbox.card_gone", extra={"case": row.case_id, "ts": ts})
            ts = None
    if not ts:
        ts = _post_once(
            d, row, channel=view.channel, text=text, blocks=rendered, unfurl_links=False
        )
    with d.db.session() as session:
        case, card = session.get(Case, row.case_id), session.get(CaseCard, card_id)
        if case is not None:
            case.card_channel, case.card_ts = view.channel, ts
        if card is not None:
            card.channel, card.ts = view.channel, ts
    return {"channel": view.channel, "ts": ts}


def _deliver_timeline(d: Delivery, row: outbox.Claimed) -> dict[str, Any]:
    """A line in the thread of the card the case had when it happened (see `CaseCard`)."""
    assert row.case_id is not None
    data = dict(row.payload.get("data", {}))
    with d.db.read() as session:
        card = cards.thread_card(card_store.of_case(session, case_id=row.case_id), _stint(row))
        if card is None or not card.channel or not card.ts:
            raise GiveUp("the case's card could not be posted, so its thread cannot be")
        channel, thread_ts = card.channel, card.ts
        if post_id := data.get("post_id"):
            post = session.get(Post, post_id)
            case = session.get(Case, row.case_id)
            text = post.text if post else ""
            data["text"] = cards.pii.for_case(text, d.config, case) if case else ""
    event = str(row.payload.get("event"))
    _enrich(d, data)
    line = blocks.timeline_line(event, str(row.payload.get("actor")), data)
    extra: dict[str, Any] = {}
    draft = event == "reply_requested" and bool(data.get("needs_approval"))
    if draft:
        extra["blocks"] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": blocks.clip(line, 3000)}},
            blocks.approval_buttons(int(data["reply_id"])),
        ]
    ts = _post_once(
        d, row, channel=channel, thread_ts=thread_ts, text=line, reply_broadcast=False, **extra
    )
    if draft:
        with d.db.session() as session:
            if reply := session.get(Reply, int(data["reply_id"])):
                reply.draft_channel, reply.draft_ts = channel, ts
    return {"channel": channel, "ts": ts}


def _stint(row: outbox.Claimed, key: str = "stint") -> int | None:
    """The stint a row was queued in; None for rows queued before cards had stints."""
    stint = row.payload.get(key)
    return stint if isinstance(stint, int) else None


def _enrich(d: Delivery, data: dict[str, Any]) -> None:
    """Names and links a line shows that the event itself does not carry."""
    if (to := data.get("to_department")) in d.config.departments:
        data["to_department_name"] = d.config.departments[to].name
    if data.get("from_channel") and data.get("from_ts"):
        data["permalink"] = _permalink(d, data["from_channel"], data["from_ts"])


def _permalink(d: Delivery, channel: str, ts: str) -> str | None:
    try:
        return str(d.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError:
        return None


def _deliver_card_moved(d: Delivery, row: outbox.Claimed) -> dict[str, Any]:
    """The card left behind by an escalation becomes a pointer to the case's next card.

    Queued after the card refresh of the escalation, so the new card is posted by now
    (or could not be) and the pointer can link it.
    """
    assert row.case_id is not None
    data = dict(row.payload["data"])
    channel, ts = str(data["from_channel"]), str(data["from_ts"])
    with d.db.read() as session:
        view = cards.card_view(session, row.case_id, d.config, d.time.now())
        all_cards = card_store.of_case(session, case_id=row.case_id)
    if all_cards and all_cards[-1].ts == ts:
        return {"skipped": "the case came back to this card"}
    target = cards.posted_since(all_cards, _stint(row, "to_stint"))
    link = None
    if target is not None and target.channel and target.ts and target.ts != ts:
        link = _permalink(d, target.channel, target.ts)
    to = str(data["to_department"])
    text, rendered = blocks.moved_card(
        view,
        to_department=d.config.departments[to].name if to in d.config.departments else to,
        by=str(row.payload["actor"]),
        link=link,
    )
    d.client.chat_update(channel=channel, ts=ts, text=text, blocks=rendered)
    return {"channel": channel, "ts": ts, "link": link}


def _deliver_draft_decided(d: Delivery, row: outbox.Claimed) -> dict[str, Any]:
    """The draft's message loses its buttons and says who approved or discarded it."""
    with d.db.read() as session:
        reply = session.get(Reply, int(row.payload["reply_id"]))
        if reply is None or not reply.draft_channel or not reply.draft_ts:
            return {"skipped": "the draft was never posted"}
        channel, ts = reply.draft_channel, reply.draft_ts
        author, draft = reply.author_id, reply.text
    text, rendered = blocks.decided_draft(
        author, draft, decision=str(row.payload["event"]), by=str(row.payload["actor"])
    )
    d.client.chat_update(channel=channel, ts=ts, text=text, blocks=rendered)
    return {"channel": channel, "ts": ts}


def _deliver_dm(d: Delivery, row: outbox.Claimed) -> dict[str, Any]:
    """A DM about one case event; links the case's card when it has one."""
    data = dict(row.payload.get("data", {}))
    _enrich(d, data)
    link = None
    if row.case_id is not None:
        with d.db.session() as session:
            case = session.get(Case, row.case_id)
            where = (case.card_channel, case.card_ts) if case else (None, None)
        if where[0] and where[1]:
            link = _permalink(d, where[0], where[1])
    ref = format_case_id(row.case_id or 0)
    text = blocks.notice(str(row.payload["event"]), str(row.payload["actor"]), data, ref, link)
    channel = d.client.conversations_open(users=str(row.payload["user"]))["channel"]["id"]
    ts = _post_once(d, row, channel=channel, text=text)
    return {"channel": channel, "ts": ts}


def _still_due(session: Session, item: dict[str, Any]) -> bool:
    """Re-checked at send time: answered, resolved, paused or reassigned meanwhile → drop."""
    clock = session.get(SlaClock, item["clock_id"])
    case = session.get(Case, item["case_id"])
    if clock is None or case is None or clock.stopped_at is not None:
        return False
    if case.status != "open":
        return False
    return not item["as_owner"] or case.owner_id == item["owner"]


def _deliver_reminders(d: Delivery, row: outbox.Claimed) -> dict[str, Any]:
    with d.db.session() as session:
        items = [i for i in row.payload["items"] if _still_due(session, i)]
        cards_at = {
            int(i["case_id"]): (c.card_channel, c.card_ts)
            for i in items
            if (c := session.get(Case, i["case_id"])) and c.card_channel and c.card_ts
        }
    if not items:
        return {"skipped": "nothing still due"}
    links = {cid: link for cid, (ch, ts) in cards_at.items() if (link := _permalink(d, ch, ts))}
    text, rendered = reminders.reminder_digest(items, links)
    channel = d.client.conversations_open(users=str(row.payload["user"]))["channel"]["id"]
    ts = _post_once(d, row, channel=channel, text=text, blocks=rendered)
    return {"channel": channel, "ts": ts, "items": len(items)}


def _deliver_message(d: Delivery, row: outbox.Claimed) -> dict[str, Any]:
    """A standalone message to a channel or, with `user`, a DM."""
    text = blocks.message(str(row.payload["template"]), dict(row.payload["data"]))
    channel = row.payload.get("channel")
    if not channel:
        channel = d.client.conversations_open(users=str(row.payload["user"]))["channel"]["id"]
    ts = _post_once(d, row, channel=str(channel), text=text)
    return {"channel": channel, "ts": ts}


DELIVERERS: dict[str, Deliverer] = {
    MESSAGE: _deliver_message,
    REMINDERS: _deliver_reminders,
    CARD: _deliver_card,
    CARD_MOVED: _deliver_card_moved,
    TIMELINE: _deliver_timeline,
    DRAFT_DECIDED: _deliver_draft_decided,
    DM: _deliver_dm,
}


def _backoff(attempt: int) -> timedelta:
    base = min(MAX_BACKOFF.total_seconds(), 2 ** min(attempt, 10))
    return timedelta(seconds=base * (0.5 + random.random() / 2))


def _retry_at(now: datetime, attempt: int, err: SlackApiError | None) -> datetime:
    if err is not None and err.response.status_code == 429:
        retry_after = err.response.headers.get("Retry-After") or err.response.headers.get(
            "retry-after"
        )
        if isinstance(retry_after, list):
            retry_after = retry_after[0]
        if retry_after and str(retry_after).isdigit():
            return now + timedelta(seconds=int(retry_after))
    return now + _backoff(attempt)


def deliver_due(d: Delivery, *, limit: int = 50) -> int:
    """Deliver what is due now; returns how many rows were sent."""
    with d.db.session() as session:
        claimed = outbox.claim_due(session, now=d.time.now(), limit=limit, unordered=tuple(d.extra))
    sent = 0
    for row in claimed:
        deliverer = DELIVERERS.get(row.kind) or d.extra.get(row.kind)
        now = d.time.now()
        try:
            if deliverer is None:
                raise ValueError(f"unknown outbox kind {row.kind!r}")
            result = deliverer(d, row)
        except RetryLater as exc:
            at = now + exc.after if exc.after else _retry_at(now, row.attempt, None)
            with d.db.session() as session:
                outbox.mark_retry(session, row_id=row.id, at=at, error=str(exc))
            continue
        except GiveUp as exc:
            log.warning("outbox.gave_up", extra={"row": row.id, "kind": row.kind})
            with d.db.session() as session:
                outbox.mark_failed(session, row_id=row.id, error=str(exc))
            continue
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            permanent = error in PERMANENT_ERRORS
            log.warning(
                "outbox.slack_error",
                extra={"row": row.id, "kind": row.kind, "error": error, "permanent": permanent},
            )
            with d.db.session() as session:
                if permanent:
                    outbox.mark_failed(session, row_id=row.id, error=error)
                else:
                    outbox.mark_retry(
                        session, row_id=row.id, at=_retry_at(now, row.attempt, exc), error=error
                    )
            continue
        except (OSError, ValueError, KeyError) as exc:
            log.warning("outbox.error", extra={"row": row.id, "kind": row.kind, "error": repr(exc)})
            with d.db.session() as session:
                outbox.mark_retry(
                    session, row_id=row.id, at=_retry_at(now, row.attempt, None), error=repr(exc)
                )
            continue
        with d.db.session() as session:
            outbox.mark_sent(session, row_id=row.id, now=now, result=result)
        sent += 1
    return sent
