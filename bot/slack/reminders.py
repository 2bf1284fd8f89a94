"""The reminder DM: all of one person's due SLA steps from one sweep, in one message."""

from __future__ import annotations

from bot.outbox.kinds import ProblemReminderItem, ReminderItem
from bot.slack.blocks import Block, Blocks, button, clip, escape
from bot.slack.ids import BUTTONS, case_value
from bot.slack.modals import snooze_actions
from bot.state import Action, CaseState, CaseStatus, available_actions
from bot.words import count

REMINDER_ITEMS_PER_DM = 15


def reminder_digest(
    items: list[ReminderItem | ProblemReminderItem], links: dict[int, str]
) -> tuple[str, Blocks]:
    """One DM for all of a person's reminders from one sweep (never one per case)."""
    shown = items[:REMINDER_ITEMS_PER_DM]
    breaches = sum(1 for i in items if i.breach)
    title = f"⏰ {count(len(items), 'SLA reminder')}"
    if breaches:
        title += f" — {breaches} breached"
    out: Blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}}]
    for item in shown:
        if isinstance(item, ProblemReminderItem):
            out.append(_problem_line(item, links))
            continue
        ref = item.ref
        link = links.get(item.case_id)
        name = f"<{link}|{ref}>" if link else ref
        mark = "🚨" if item.breach else "⏳"
        line = f"{mark} *{name}* ({escape(item.priority)}): {escape(item.text)}"
        if not item.as_owner:
            line += " — owner: " + (f"<@{item.owner}>" if item.owner else "nobody")
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(line, 3000)}})
        if item.breach and not item.as_owner:
            out.append(_rescue(item.case_id, item.owner))
        elif not item.breach:
            out.append(snooze_actions(item.case_id))
    if len(items) > len(shown):
        more = len(items) - len(shown)
        out.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"…and {more} more: `/case list breaching`"}
                ],
            }
        )
    return title, out


def _problem_line(item: ProblemReminderItem, links: dict[int, str]) -> Block:
    """One line for a problem's due cases: its owner answers them together."""
    refs = []
    for case in item.cases[:REMINDER_ITEMS_PER_DM]:
        link = links.get(case.case_id)
        refs.append(f"<{link}|{case.ref}>" if link else case.ref)
    more = len(item.cases) - len(refs)
    mark = "🚨" if item.breach else "⏳"
    line = (
        f"{mark} 🧩 *{escape(item.ref)}* (yours): {escape(item.text)} — "
        + ", ".join(refs)
        + (f" and {more} more" if more > 0 else "")
    )
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(line, 3000)}}


def _rescue(case_id: int, owner: str | None) -> Block:
    """For a breach someone else holds: what the breached case offers (`bot.state`),
    Take over from its owner or Claim it from the queue, as the card offers it."""
    offered = available_actions(CaseState(CaseStatus.OPEN, owner, breached=True))
    rescue = next(a for a in offered if a in (Action.TAKE_OVER, Action.CLAIM))
    look = BUTTONS[rescue]
    element = button(look.label, look.action_id, case_value(case_id), "primary")
    return {"type": "actions", "elements": [element]}
