"""`/case oncall`: one line per department, who is on now and who is next."""

from __future__ import annotations

from bot.oncall.roster import OnCallAnswer
from bot.slack.blocks import escape, slack_time


def line(answer: OnCallAnswer) -> str:
    people = " ".join(f"<@{u}>" for u in answer.now) or "nobody (no rotation, no managers)"
    text = f"*{escape(answer.name)}*: {people}"
    if not answer.from_rotation and answer.now:
        text += " (managers: no rotation or override)"
    if answer.next_user and answer.next_at:
        text += f" · next: <@{answer.next_user}> from {slack_time(answer.next_at)}"
    return text
