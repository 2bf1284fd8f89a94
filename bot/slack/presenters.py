"""How each domain event reads: one presenter per event class, giving both its line in
the card's thread (mrkdwn) and its plain line in `/case show` (text and `Person`s).

Events reach here as stored data (`Event.data`, or an outbox payload), never as live
objects: audit rows outlive the code that wrote them, so every field is read with a
fallback. A test fails when a `DomainEvent` subclass has no presenter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot import answered
from bot.events import (
    AcknowledgementFailed,
    AcknowledgementSkipped,
    AutomatedMailReceived,
    CaseAssigned,
    CaseClaimed,
    CaseEscalated,
    CaseOpened,
    CaseReopened,
    CaseResolved,
    CaseUnclaimed,
    CustomerAcknowledged,
    CustomerReturned,
    DomainEvent,
    MessageBounced,
    NoteAdded,
    PostAdded,
    ProblemLinked,
    ProblemUnlinked,
    ReplyApproved,
    ReplyDiscarded,
    ReplyFailed,
    ReplyRequested,
    ReplySent,
    SlaWarning,
    Snoozed,
    TakenOver,
    TextRevealed,
    WaitingOnCustomer,
    event_class,
    event_classes,
)
from bot.merge_events import CaseMerged, MergeDismissed, MergeSuggested
from bot.reading import LinePart, Person
from bot.sla import BREACH
from bot.slack.blocks import clip, escape, quote, slack_time, who

Data = Mapping[str, Any]
ThreadLine = Callable[[str, Data], str]
"""(who did it, as Slack shows them; the stored data) → the thread line."""
PlainLine = Callable[[str, Data], tuple[LinePart, ...]]
"""(the actor as stored; the stored data) → the `/case show` line."""

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class Presenter:
    plain: PlainLine
    thread: ThreadLine | None = None
    """None for events that never get a thread line (`in_timeline = False`)."""


def with_reason(text: str, reason: str) -> str:
    return f"{text}: {escape(clip(reason, 500))}" if reason.strip() else text


def _text(data: Data, key: str) -> str:
    """A field of a stored event as text; audit rows outlive the code that wrote them."""
    value = data.get(key)
    return "" if value is None else str(value)


def _utc_text(iso: str) -> str:
    """`2026-11-23 13:00 UTC` from a stored ISO instant (as written, if it is none)."""
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if at.tzinfo else iso


def _person(user: str) -> LinePart:
    if not user:
        return "nobody"
    return Person(user) if _SLACK_USER.match(user) else f"@{user}"


def _line(*parts: LinePart) -> tuple[LinePart, ...]:
    """The parts with empty text dropped and neighbouring text joined."""
    out: list[LinePart] = []
    for part in parts:
        if isinstance(part, str) and out and isinstance(out[-1], str):
            out[-1] += part
        elif part != "":
            out.append(part)
    return tuple(out)


def _people(users: Sequence[str]) -> tuple[LinePart, ...]:
    """`a, b, c` with each person a mention; "nobody" for none."""
    if not users:
        return ("nobody",)
    parts: list[LinePart] = []
    for user in users:
        parts += [", ", _person(user)] if parts else [_person(user)]
    return tuple(parts)


def _opened(_: str, data: Data) -> tuple[LinePart, ...]:
    line = f"Opened in {_text(data, 'department')}, {_text(data, 'priority')} priority"
    rule = _text(data, "rule")
    return _line(f"{line} (rule {rule})" if rule else line)


def _claimed(actor: str, data: Data) -> tuple[LinePart, ...]:
    owner = _text(data, "owner")
    return _line("Claimed") if owner in ("", actor) else _line("Claimed for ", _person(owner))


def _unclaimed(actor: str, data: Data) -> tuple[LinePart, ...]:
    previous = _text(data, "previous_owner")
    if previous in ("", actor):
        return _line("Gave it back to the queue")
    return _line("Took it from ", _person(previous), " back to the queue")


def _assigned(_: str, data: Data) -> tuple[LinePart, ...]:
    previous = _text(data, "previous_owner")
    line = _line("Assigned to ", _person(_text(data, "owner")))
    return _line(*line, " (was ", _person(previous), ")") if previous else line


def _escalated(_: str, data: Data) -> tuple[LinePart, ...]:
    source, target = _text(data, "from_department"), _text(data, "to_department")
    person = _text(data, "to_user")
    moved = target != source
    line = _line(f"Escalated from {source} to {target}" if moved else "Escalated")
    if person:
        line = (
            _line(*line, " (", _person(person), ")")
            if moved
            else _line(*line, " to ", _person(person))
        )
    reason = _text(data, "reason")
    return _line(*line, f": {reason}") if reason else line


def _escalated_thread(by: str, data: Data) -> str:
    target = escape(str(data.get("to_department_name") or data["to_department"]))
    person = f" (<@{data['to_user']}>)" if data.get("to_user") else ""
    line = with_reason(f"⤴️ Escalated to {target}{person} by {by}", str(data["reason"]))
    if data.get("permalink"):
        line += f"\n<{data['permalink']}|Earlier thread>"
    return line


def _resolved(_: str, data: Data) -> tuple[LinePart, ...]:
    parts = ["Resolved"]
    if root_cause := _text(data, "root_cause"):
        parts.append(f"root cause: {root_cause}")
    if said := answered.reason_label(_text(data, "answered") or None):
        parts.append(said)
    if note := _text(data, "note"):
        parts.append(note)
    return _line(" · ".join(parts))


def _resolved_thread(by: str, data: Data) -> str:
    cause = f" ({escape(str(data['root_cause']))})" if data.get("root_cause") else ""
    how = f", {said}" if (said := answered.reason_label(data.get("answered"))) else ""
    return with_reason(f"✅ Resolved{cause} by {by}{how}", str(data.get("note", "")))


def _reply_requested(_: str, data: Data) -> tuple[LinePart, ...]:
    pending = " (needs a second person's approval)" if data.get("needs_approval") else ""
    return _line(f"Wrote a reply{pending}: {_text(data, 'text')}")


def _reply_requested_thread(by: str, data: Data) -> str:
    if data.get("needs_approval"):
        return f"✋ {by} drafted a reply; it needs a second person's approval:\n" + quote(
            str(data["text"])
        )
    return f"📤 {by} is replying to the customer:\n{quote(str(data['text']))}"


def _sla_warning(_: str, data: Data) -> tuple[LinePart, ...]:
    told = _people([str(u) for u in data.get("notified") or []])
    return _line(f"SLA: {_text(data, 'text')} (told ", *told, ")")


def _sla_warning_thread(_: str, data: Data) -> str:
    told = " ".join(f"<@{u}>" for u in data.get("notified", [])) or "nobody"
    mark = "🚨" if data.get("threshold") == BREACH else "⏳"
    return f"{mark} {escape(str(data['text']))} — nobody owns this case; told {told}"


def _snoozed(_: str, data: Data) -> tuple[LinePart, ...]:
    reason = _text(data, "reason").strip()
    line = f"Snoozed reminders for {_text(data, 'minutes')} min"
    return _line(f"{line}: {reason}" if reason else line)


def _taken_over(_: str, data: Data) -> tuple[LinePart, ...]:
    previous = _text(data, "previous_owner")
    return _line("Took it over from ", _person(previous)) if previous else _line("Took it over")


def _bounced_what(data: Data) -> str:
    return "The acknowledgement" if data.get("what") == "acknowledgement" else "A reply"


def _merged(_: str, data: Data) -> tuple[LinePart, ...]:
    if data.get("kept"):
        return _line(f"Merged {_text(data, 'merged')} ({_text(data, 'source')}) into this case")
    return _line(f"Merged into {_text(data, 'into')}")


def _merged_thread(by: str, data: Data) -> str:
    """The kept case's thread gets the merged case's history (`history`, added at
    delivery: masked posts, notes and replies); the merged one's says where it went."""
    if not data.get("kept"):
        into = escape(_text(data, "into"))
        return f"🔗 {by} merged this case into *{into}*; it goes on there"
    merged, source = escape(_text(data, "merged")), escape(_text(data, "source"))
    lines = [f"🔗 {by} merged *{merged}* ({source}) into this case. Its history:"]
    for item in data.get("history") or []:
        when = slack_time(str(item["at"]))
        said = escape(clip(str(item["text"]), 500)) or "(empty)"
        who_said = "the customer" if item["what"] == "post" else who(str(item["by"]))
        lines.append(f"• {when} {who_said} ({escape(str(item['what']))}): {said}")
    if len(lines) == 1:
        lines.append("• (nothing was written there)")
    return "\n".join(lines)


def _said(text: str) -> PlainLine:
    """A plain line that is the same words whatever the event says."""
    return lambda _actor, _data: _line(text)


PRESENTERS: dict[type[DomainEvent], Presenter] = {
    CaseOpened: Presenter(_opened),
    PostAdded: Presenter(
        _said("The customer wrote again"),
        lambda _, d: f"💬 The customer wrote again:\n{quote(str(d.get('text', '')))}",
    ),
    CaseClaimed: Presenter(_claimed, lambda by, _: f"🙋 Claimed by {by}"),
    CaseUnclaimed: Presenter(_unclaimed, lambda by, _: f"↩️ {by} gave it back to the queue"),
    CaseAssigned: Presenter(_assigned, lambda by, d: f"👉 Assigned to <@{d['owner']}> by {by}"),
    CaseEscalated: Presenter(_escalated, _escalated_thread),
    CaseResolved: Presenter(_resolved, _resolved_thread),
    CaseReopened: Presenter(_said("Reopened"), lambda by, _: f"🔁 Reopened by {by}"),
    ProblemLinked: Presenter(
        lambda _, d: _line(f"Linked to problem {_text(d, 'problem')}"),
        lambda by, d: f"🧩 Part of problem {escape(_text(d, 'problem'))} (linked by {by})",
    ),
    ProblemUnlinked: Presenter(
        lambda _, d: _line(f"Unlinked from problem {_text(d, 'problem')}"),
        lambda by, d: f"🧩 {by} unlinked it from problem {escape(_text(d, 'problem'))}",
    ),
    WaitingOnCustomer: Presenter(
        _said("Waiting on the customer; SLA clocks paused"),
        lambda by, _: f"⏸️ {by} is waiting on the customer; the SLA clocks pause until they write",
    ),
    CustomerReturned: Presenter(_said("The customer wrote back; SLA clocks resumed")),
    NoteAdded: Presenter(
        lambda _, d: _line(f"Note: {_text(d, 'text')}"),
        lambda by, d: f"📝 Note from {by}:\n{quote(str(d['text']))}",
    ),
    ReplyRequested: Presenter(_reply_requested, _reply_requested_thread),
    ReplyApproved: Presenter(
        lambda _, d: _line(f"Approved reply #{_text(d, 'reply_id')}"),
        lambda by, _: f"👍 {by} approved the reply; sending it",
    ),
    ReplyDiscarded: Presenter(
        lambda _, d: _line(f"Discarded reply #{_text(d, 'reply_id')}"),
        lambda by, _: f"🗑️ {by} discarded the draft reply",
    ),
    ReplySent: Presenter(
        lambda _, d: _line(f"Reply sent to the customer: {_text(d, 'text')}"),
        lambda _, __: "✉️ Reply delivered to the customer",
    ),
    ReplyFailed: Presenter(
        lambda _, d: _line(f"Reply #{_text(d, 'reply_id')} failed: {_text(d, 'error')}"),
        lambda _, d: f"⚠️ The reply could not be sent: {escape(str(d['error']))}",
    ),
    CustomerAcknowledged: Presenter(
        lambda _, d: _line(
            "Acknowledged the customer automatically, promising an answer by "
            + _utc_text(_text(d, "promised_at"))
        ),
        lambda _, d: f"🤖 Acknowledged, promised by {slack_time(str(d['promised_at']))}",
    ),
    AcknowledgementSkipped: Presenter(
        lambda _, d: _line(f"Did not acknowledge the customer: {_text(d, 'reason')}"),
        lambda _, d: f"🤖 Not acknowledged: {escape(str(d.get('reason', '')))}",
    ),
    AcknowledgementFailed: Presenter(
        lambda _, d: _line(f"The acknowledgement could not be sent: {_text(d, 'error')}"),
        lambda _, d: f"⚠️ The acknowledgement could not be sent: {escape(str(d['error']))}",
    ),
    SlaWarning: Presenter(_sla_warning, _sla_warning_thread),
    Snoozed: Presenter(
        _snoozed,
        lambda by, d: with_reason(
            f"😴 {by} snoozed reminders for {d['minutes']} min", str(d.get("reason", ""))
        ),
    ),
    TakenOver: Presenter(_taken_over, lambda by, _: f"🛟 Taken over by {by}"),
    TextRevealed: Presenter(_said("Revealed the customer's unmasked text")),
    MessageBounced: Presenter(
        lambda _, d: _line(
            f"{_bounced_what(d)} bounced ({_text(d, 'reason')}); the customer did not get it"
        ),
        lambda _, d: (
            f"📭 {_bounced_what(d)} bounced ({escape(str(d.get('reason', '')))}):"
            " the customer did not get it"
        ),
    ),
    AutomatedMailReceived: Presenter(
        lambda _, d: _line(f"An automatic answer came in ({_text(d, 'reason')})"),
        lambda _, d: (
            f"🤖 An automatic answer came in ({escape(str(d.get('reason', '')))}); no clock changed"
        ),
    ),
    MergeSuggested: Presenter(
        lambda _, d: _line(f"Possibly the same as {_text(d, 'other')} ({_text(d, 'other_source')})")
    ),
    MergeDismissed: Presenter(
        lambda _, d: _line(f"Not the same as {_text(d, 'other')}"),
        lambda by, d: (
            f"🙅 {by}: not the same as {escape(_text(d, 'other'))}; never suggested again"
        ),
    ),
    CaseMerged: Presenter(_merged, _merged_thread),
}
"""One entry per event class; `tests/bot/slack/test_presenters.py` checks none is missing."""


def thread_line(kind: str, actor: str, data: Data) -> str:
    """The event's line in the card's thread; only events that have one are queued."""
    thread = PRESENTERS[event_class(kind)].thread
    if thread is None:
        raise ValueError(f"{kind} events get no thread line")
    return thread(who(actor), data)


def plain_line(kind: str, actor: str, data: Data) -> tuple[LinePart, ...]:
    """The event's `/case show` line, shown after who did it and when. The actor is named
    only when the line is about someone else (a claim for another person).

    A stored kind this code has no class for (written by another version) is shown
    by its name, so a case's history always reads.
    """
    cls = event_classes().get(kind)
    if cls is None:
        return _line(kind.replace("_", " ").capitalize())
    return PRESENTERS[cls].plain(actor, data)


def notice(kind: str, actor: str, data: Data, ref: str, link: str | None) -> str:
    """A DM telling someone a case needs them."""
    open_link = f" <{link}|Open {ref}>" if link else f" ({ref})"
    cls = event_class(kind)
    if cls is CaseEscalated:
        target = escape(str(data.get("to_department_name") or data["to_department"]))
        moved = f"⤴️ {ref} was escalated to {target} by {who(actor)}"
        return with_reason(moved, str(data["reason"])) + open_link
    if cls is CaseAssigned:
        return f"👉 {who(actor)} assigned {ref} to you." + open_link
    return f"{ref}: {thread_line(kind, actor, data)}" + open_link
