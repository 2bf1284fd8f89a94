"""Pure Block Kit rendering: the one place that escapes untrusted text and keeps limits.

Slack treats `<…>` as control sequences (`<!channel>`, `<@U…>`, `<url|label>`), so
customer text has `&`, `<` and `>` escaped before it goes anywhere near a message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot import answered
from bot.cards import CardView
from bot.events import ReplyApproved
from bot.sla import ClockReading, ClockState, format_duration
from bot.slack import card_details, merge_card
from bot.slack.elements import Block, Blocks, button
from bot.slack.ids import BUTTONS, ActionId, Button, case_actions_block, case_value, reply_value
from bot.slack.mrkdwn import clip, escape
from bot.state import CaseState, CaseStatus, available_actions

SECTION_TEXT_LIMIT = 3000
FALLBACK_TEXT_LIMIT = 3000
CONTEXT_ELEMENTS = 10
PRIORITY_MARK = {"urgent": "🔴", "high": "🟠", "normal": "🔵", "low": "⚪"}


def safe_url(url: str | None) -> str | None:
    """A post's URL as the target of a `<url|label>` link, or None when it cannot be one.

    Only http(s) with a host, nothing that ends the link early: whitespace and control
    characters drop the URL, and a `|` (which would make the rest of the URL the
    link's label, `https://evil.example|https://bank.example`) is percent-encoded. The
    stored post keeps the URL as it came."""
    if not url or len(url) > 2048:
        return None
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest or rest[0] in "/?#":
        return None
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return None
    return escape(url).replace("|", "%7C")


def quote(text: str, limit: int = SECTION_TEXT_LIMIT - 200) -> str:
    body = clip(escape(text.strip()) or "(empty post)", limit)
    return "\n".join("> " + line for line in body.splitlines())


def _status_line(view: CardView) -> str:
    owner = f" · owner <@{view.owner_id}>" if view.owner_id else ""
    if view.status is CaseStatus.RESOLVED:
        cause = f" ({escape(view.root_cause)})" if view.root_cause else ""
        how = f" · {said}" if (said := answered.label(view.answered)) else ""
        return f"✅ Resolved{cause}{how}{owner}"
    if view.status is CaseStatus.WAITING:
        return f"⏸️ Waiting on customer{owner}"
    if view.owner_id:
        return f"👤 Owner: <@{view.owner_id}>"
    return "🆕 Unclaimed"


def offered_button(case_id: int, look: Button) -> Block:
    return button(look.label, look.action_id, case_value(case_id), look.style)


def _card_buttons(view: CardView, *, beside_text: bool) -> list[Block]:
    """The buttons of the actions the case offers now (`bot.state`), in the core's
    order: the row under the card, or the one beside the customer's text."""
    state = CaseState(view.status, view.owner_id, view.breached, masked=view.masked)
    offered = available_actions(state)
    looks = [BUTTONS[a] for a in offered if a in BUTTONS]
    return [offered_button(view.case_id, b) for b in looks if b.beside_text == beside_text]


def _customer(view: CardView) -> str:
    who = escape(view.customer_name or view.customer_handle or "unknown customer")
    if view.customer_handle and view.customer_handle != view.customer_name:
        who += f" ({escape(view.customer_handle)})"
    return who


def _card_head(view: CardView, beside_text: list[Block] | None = None) -> Blocks:
    who = _customer(view)
    source = escape(view.source)
    if url := safe_url(view.url):
        source = f"<{url}|{source}>"
    mark = PRIORITY_MARK.get(view.priority, "")
    header = f"*{view.ref}* · {mark} *{view.priority}* · {source} · {who}"
    text: Block = {"type": "section", "text": {"type": "mrkdwn", "text": quote(view.text)}}
    if beside_text:
        text["accessory"] = beside_text[0]
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(header, SECTION_TEXT_LIMIT)}},
        text,
    ]


def _fallback(view: CardView) -> str:
    text = f"{view.ref} [{view.priority}] from {_customer(view)}: {escape(view.text)}"
    return clip(text, FALLBACK_TEXT_LIMIT)


def _ack_line(view: CardView) -> list[str]:
    """Whether the customer heard from us automatically, and what they were promised."""
    ack = view.acknowledgement
    if ack is None:
        return []
    if ack.state == "sent" and ack.promised_at is not None:
        return [f"🤖 Customer acknowledged · promised by {slack_time(ack.promised_at)}"]
    if ack.state == "queued":
        return ["🤖 Acknowledgement on its way"]
    if ack.state == "failed":
        return ["⚠️ Acknowledgement failed (see the thread)"]
    if ack.state == "undelivered":
        return [f"📭 Acknowledgement bounced: {escape(ack.reason or 'undelivered')}"]
    return [f"🤖 Not acknowledged: {escape(ack.reason or ack.state)}"]


def case_card(view: CardView, link: str | None = None) -> tuple[str, Blocks]:
    """The case card: fallback text (notifications) and blocks, rendered from scratch;
    `link` is where a merged case's pointer leads (the kept case's card)."""
    if view.merged_into:
        return merge_card.merged_card(view, _card_head(view)[:1], link)
    context = [
        _status_line(view),
        *_ack_line(view),
        f"Priority: {escape(view.priority_reason)}",
        f"Department: {escape(view.department_name)}",
    ]
    if view.escalations:
        context.append(f"Escalated {view.escalations}x — history in the thread")
    if view.posts > 1:
        context.append(f"{view.posts} messages in thread")
    if view.tags:
        context.append("Tags: " + ", ".join(escape(t) for t in view.tags))
    if view.problem:
        context.insert(1, f"🧩 Part of {escape(view.problem)}")
    context = [clip(c, 300) for c in context]
    if view.sla:
        # Only Slack's own text limit: date tokens are long, and half a token breaks the line.
        line = "⏱️ " + " · ".join(sla_line(r) for r in view.sla)
        context.append(clip(line, SECTION_TEXT_LIMIT))
    blocks = _card_head(view, _card_buttons(view, beside_text=True))
    blocks += card_details.post_details(view)
    blocks += merge_card.suggestion_blocks(view)
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": c} for c in context[:CONTEXT_ELEMENTS]],
        }
    )
    blocks.append(
        {
            "type": "actions",
            "block_id": case_actions_block(view.case_id),
            "elements": _card_buttons(view, beside_text=False),
        }
    )
    return _fallback(view), blocks


def sla_line(reading: ClockReading) -> str:
    """A clock on the card, true whenever it is read, not only when it was rendered.

    Deadlines are date tokens (each reader's own zone). The relative words beside them
    are refreshed by the sweep at every threshold, so they are at most one threshold
    old; they are left out where nothing would refresh them: after a breach, and on
    business-hours windows, whose real time left also shrinks overnight.
    """
    label, due, left = escape(reading.label), reading.due_at, reading.remaining
    if reading.state is ClockState.MET:
        return f"{label} met"
    if reading.state is ClockState.PAUSED or due is None or left is None:
        return f"{label} paused — waiting on customer"
    if reading.state is ClockState.MISSED:
        return f"{label} missed by {format_duration(-left)}"
    if reading.state is ClockState.BREACHED:
        return f"{label} BREACHED (was due {slack_time(due)})"
    relative = "" if reading.business_hours else f" (in {format_duration(left)})"
    return f"{label} due {slack_time(due)}{relative}"


def moved_card(
    view: CardView, *, to_department: str, by: str, link: str | None
) -> tuple[str, Blocks]:
    """What the old card says once its case was escalated elsewhere: no buttons, a pointer
    (linking the case's new card once that is posted)."""
    note = f"➡️ Escalated to *{escape(to_department)}* by {who(by)} — the case lives there now."
    if link:
        note += f" <{link}|Go to its new card>"
    blocks = _card_head(view)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return f"{view.ref} moved to {escape(to_department)}", blocks


def who(actor: str) -> str:
    """A mention of a person; Casebot itself (the sweep, ingest) by name."""
    return f"<@{actor}>" if actor.startswith(("U", "W")) else "Casebot"


def decided_draft(author: str, text: str, *, decision: str, by: str) -> tuple[str, Blocks]:
    """A draft reply once approved or discarded: its text, who decided, no buttons left."""
    head = f"✋ {who(author)} drafted a reply:\n{quote(text)}"
    if decision == ReplyApproved.kind:
        verdict = f"👍 Approved by {who(by)}; sending it to the customer"
    else:
        verdict = f"🗑️ Discarded by {who(by)}; it was never sent"
    rendered: Blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(head, SECTION_TEXT_LIMIT)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": verdict}]},
    ]
    return clip(f"{head}\n{verdict}", FALLBACK_TEXT_LIMIT), rendered


def approval_buttons(reply_id: int) -> Block:
    value = reply_value(reply_id)
    return {
        "type": "actions",
        "elements": [
            button("Approve & send", ActionId.APPROVE_REPLY, value, "primary"),
            button("Discard", ActionId.DISCARD_REPLY, value, "danger"),
        ],
    }


def slack_time(at: datetime | str) -> str:
    """A time every reader sees in their own zone (Slack's date token), UTC as fallback."""
    at = (datetime.fromisoformat(at) if isinstance(at, str) else at).astimezone(UTC)
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def message(template: str, data: dict[str, Any]) -> str:
    """Texts of standalone messages (not tied to one case's thread)."""
    match template:
        case "handoff":
            return (
                f"🔄 On call for *{escape(str(data['department']))}* now: <@{data['user']}>"
                f" until {slack_time(str(data['until']))}."
            )
        case "handoff_dm":
            risky = data.get("at_risk") or []
            head = (
                f"🔄 You are on call for *{escape(str(data['department']))}* until"
                f" {slack_time(str(data['until']))}."
            )
            if not risky:
                return head + " No open case has a running clock."
            lines = "\n".join(f"• *{i['ref']}*: {escape(str(i['text']))}" for i in risky)
            return f"{head} Cases you inherit, soonest due first:\n{lines}"
        case _:
            raise ValueError(f"unknown message template {template!r}")
