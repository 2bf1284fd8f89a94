"""Modals (escalate, reply, resolve, snooze) and the reminder DM's snooze picker."""

from __future__ import annotations

from collections.abc import Sequence

from bot.answered import Answered
from bot.reading import SnoozeChoice
from bot.sla.snooze import ALLOWED_MINUTES as SNOOZE_MINUTES
from bot.slack.blocks import clip, escape, quote
from bot.slack.ids import ActionId, CallbackId, InputId, case_value, snooze_block, snooze_value
from bot.slack.kit import (
    INPUT_LIMIT,
    OPTION_LIMIT,
    OPTION_TEXT_LIMIT,
    OPTION_VALUE_LIMIT,
    Block,
    View,
    context,
    input_block,
    modal,
    mrkdwn_section,
    option,
    plain,
    text_input,
)


def escalate_modal(
    case_id: int, ref: str, departments: Sequence[tuple[str, str]], current: str | None
) -> View:
    """Pick a department (key, name), a person, or both; the handler checks one is given."""
    options = [option(name, key) for key, name in departments if key != current]
    blocks: list[Block] = []
    if options:
        select = {
            "type": "static_select",
            "placeholder": plain("Department", 150),
            "options": options[:OPTION_LIMIT],
        }
        blocks.append(input_block(InputId.ESCALATE_DEPARTMENT, "Department", select, optional=True))
    person = {"type": "users_select", "placeholder": plain("Someone in particular", 150)}
    blocks.append(input_block(InputId.ESCALATE_USER, "Person", person, optional=True))
    blocks.append(
        input_block(
            InputId.ESCALATE_REASON,
            "Reason",
            text_input("What do they need to know?"),
            optional=True,
        )
    )
    blocks.append(context("The case keeps its history and its SLA clock."))
    return modal(CallbackId.ESCALATE_MODAL, f"Escalate {ref}", "Escalate", case_id, blocks)


def reply_modal(
    case_id: int,
    ref: str,
    *,
    customer: str,
    customer_text: str,
    source: str,
    needs_approval: bool,
    max_length: int = INPUT_LIMIT,
) -> View:
    """Answer the customer; shows what they wrote so the reply is made in context."""
    blocks: list[Block] = [
        mrkdwn_section(f"*{escape(clip(customer, 200))}* wrote on {escape(clip(source, 50))}:"),
        mrkdwn_section(quote(customer_text)),
        input_block(
            InputId.REPLY_TEXT, "Your reply", text_input("Visible to the customer", max_length)
        ),
    ]
    note = "This goes to the customer, publicly if the source is public."
    if needs_approval:
        note += " This source needs a second person's approval before anything is sent."
    blocks.append(context(note))
    return modal(CallbackId.REPLY_MODAL, f"Reply on {ref}", "Send", case_id, blocks)


NO_REPLY_CHOICES = (
    (Answered.ELSEWHERE, "Answered elsewhere", "by phone, in person or on another channel"),
    (Answered.NOT_NEEDED, "No reply needed", "spam, a duplicate, a thank-you"),
)


def _no_reply_choice() -> Block:
    """Asked only while the case has had no reply: an unanswered customer is not an
    answered one, so the resolver says why none is owed (see `bot.answered`)."""
    options = [
        {**option(label, reason.value), "description": plain(hint, OPTION_TEXT_LIMIT)}
        for reason, label, hint in NO_REPLY_CHOICES
    ]
    block = input_block(
        InputId.RESOLVE_ANSWERED,
        "No reply was sent. Was the customer answered?",
        {"type": "radio_buttons", "options": options},
        optional=True,
    )
    return {**block, "hint": plain("Neither: it counts as unanswered in the SLA report.", 150)}


def read_no_reply_reason(value: str | None) -> Answered | None:
    """The choice made in the resolve modal, else None (anything else is not offered)."""
    return next((r for r, _, _ in NO_REPLY_CHOICES if r.value == value), None)


def resolve_modal(case_id: int, ref: str, tags: Sequence[str], *, answered: bool = True) -> View:
    """Close with an optional root-cause tag (the config's list) and note; a case
    nobody has answered also asks whether it was answered elsewhere or needs no reply."""
    options = [option(tag, tag) for tag in tags if 0 < len(tag) <= OPTION_VALUE_LIMIT]
    blocks: list[Block] = [] if answered else [_no_reply_choice()]
    if options:
        select = {
            "type": "static_select",
            "placeholder": plain("Root cause", 150),
            "options": options[:OPTION_LIMIT],
        }
        blocks.append(input_block(InputId.RESOLVE_TAG, "Root cause", select, optional=True))
    blocks.append(
        input_block(InputId.RESOLVE_NOTE, "Note", text_input("What fixed it?"), optional=True)
    )
    return modal(CallbackId.RESOLVE_MODAL, f"Resolve {ref}", "Resolve", case_id, blocks)


def _snooze_label(minutes: int) -> str:
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h"


def snooze_actions(case_id: int) -> Block:
    """For a reminder DM: snooze in one pick, or open a modal to add a reason."""
    options = [
        option(_snooze_label(m), snooze_value(SnoozeChoice(case_id, m))) for m in SNOOZE_MINUTES
    ]
    return {
        "type": "actions",
        "block_id": snooze_block(case_id),
        "elements": [
            {
                "type": "static_select",
                "action_id": ActionId.SNOOZE_CHOICE.value,
                "placeholder": plain("Snooze…", 150),
                "options": options,
            },
            {
                "type": "button",
                "action_id": ActionId.SNOOZE_WITH_REASON.value,
                "text": plain("Snooze with reason…", OPTION_TEXT_LIMIT),
                "value": case_value(case_id),
            },
        ],
    }


def snooze_modal(case_id: int, ref: str) -> View:
    """Option values are the bare minutes; the case travels in `private_metadata`."""
    select = {
        "type": "static_select",
        "initial_option": option(_snooze_label(SNOOZE_MINUTES[0]), str(SNOOZE_MINUTES[0])),
        "options": [option(_snooze_label(m), str(m)) for m in SNOOZE_MINUTES],
    }
    blocks = [
        input_block(InputId.SNOOZE_MINUTES, "Remind me again in", select),
        input_block(InputId.SNOOZE_REASON, "Reason", text_input("Why wait?", 500), optional=True),
    ]
    return modal(CallbackId.SNOOZE_MODAL, f"Snooze {ref}", "Snooze", case_id, blocks)
