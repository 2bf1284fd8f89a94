"""The reminder DM: all of one person's due SLA steps from one sweep, in one message."""

from __future__ import annotations

from typing import Any

from bot.ids import ActionId
from bot.slack.blocks import Block, Blocks, button, case_value, clip, escape
from bot.slack.views import snooze_actions
from bot.words import count

REMINDER_ITEMS_PER_DM = 15


def reminder_digest(items: list[dict[str, Any]], links: dict[int, str]) -> tuple[str, Blocks]:
    """One DM for all of a person's reminders from one sweep (never one per case)."""
    shown = items[:REMINDER_ITEMS_PER_DM]
    breaches = sum(1 for i in items if i["breach"])
    title = f"⏰ {count(len(items), 'SLA reminder')}"
    if breaches:
        title += f" — {breaches} breached"
    out: Blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}}]
    for item in shown:
        if "problem_id" in item:
            out.append(_problem_line(item, links))
            continue
        ref = str(item["ref"])
        link = links.get(int(item["case_id"]))
        name = f"<{link}|{ref}>" if link else ref
        mark = "🚨" if item["breach"] else "⏳"
        line = f"{mark} *{name}* ({escape(str(item['priority']))}): {escape(str(item['text']))}"
        if not item["as_owner"]:
            line += " — owner: " + (f"<@{item['owner']}>" if item.get("owner") else "nobody")
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(line, 3000)}})
        if item["breach"] and not item["as_owner"]:
            value = case_value(int(item["case_id"]))
            label = "Take over" if item.get("owner") else "Claim"
            action = ActionId.TAKE_OVER if item.get("owner") else ActionId.CLAIM
            out.append({"type": "actions", "elements": [button(label, action, value, "primary")]})
        elif not item["breach"]:
            out.append(snooze_actions(int(item["case_id"])))
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


def _problem_line(item: dict[str, Any], links: dict[int, str]) -> Block:
    """One line for a problem's due cases: its owner answers them together."""
    refs = []
    for case in item["cases"][:REMINDER_ITEMS_PER_DM]:
        link = links.get(int(case["case_id"]))
        refs.append(f"<{link}|{case['ref']}>" if link else str(case["ref"]))
    more = len(item["cases"]) - len(refs)
    mark = "🚨" if item["breach"] else "⏳"
    line = (
        f"{mark} 🧩 *{escape(str(item['ref']))}* (yours): {escape(str(item['text']))} — "
        + ", ".join(refs)
        + (f" and {more} more" if more > 0 else "")
    )
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(line, 3000)}}
