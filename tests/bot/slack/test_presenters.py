"""Every event class has its presenter: a thread line and a `/case show` line, and the
plain lines read stored data as it was written, odd or old."""

from __future__ import annotations

from typing import Any

import pytest

from bot.events import DomainEvent
from bot.reading import LinePart, Person
from bot.slack.presenters import PRESENTERS, plain_line, thread_line

ANA, BEN = "U0ANA0001", "U0BEN0002"


LINES: list[tuple[str, dict[str, Any], str | tuple[LinePart, ...]]] = [
    (
        "sla_warning",
        {"text": "first response due in 5 min", "notified": [BEN]},
        ("SLA: first response due in 5 min (told ", Person(BEN), ")"),
    ),
    ("snoozed", {"minutes": 30, "reason": ""}, "Snoozed reminders for 30 min"),
    ("snoozed", {"minutes": 60, "reason": "at lunch"}, "Snoozed reminders for 60 min: at lunch"),
    ("taken_over", {"owner": ANA, "previous_owner": BEN}, ("Took it over from ", Person(BEN))),
    (
        "opened",
        {"department": "pr", "priority": "urgent", "rule": None},
        "Opened in pr, urgent priority",
    ),
    ("post_added", {"post_id": 7}, "The customer wrote again"),
    ("claimed", {"owner": ANA}, "Claimed"),
    ("claimed", {"owner": BEN}, ("Claimed for ", Person(BEN))),
    ("unclaimed", {"previous_owner": ANA}, "Gave it back to the queue"),
    (
        "unclaimed",
        {"previous_owner": BEN},
        ("Took it from ", Person(BEN), " back to the queue"),
    ),
    ("assigned", {"owner": BEN, "previous_owner": None}, ("Assigned to ", Person(BEN))),
    (
        "assigned",
        {"owner": BEN, "previous_owner": ANA},
        ("Assigned to ", Person(BEN), " (was ", Person(ANA), ")"),
    ),
    (
        "escalated",
        {
            "from_department": "support",
            "to_department": "billing",
            "to_user": None,
            "reason": "refund",
        },
        "Escalated from support to billing: refund",
    ),
    (
        "escalated",
        {
            "from_department": "support",
            "to_department": "billing",
            "to_user": BEN,
            "reason": "",
        },
        ("Escalated from support to billing (", Person(BEN), ")"),
    ),
    (
        "escalated",
        {"from_department": "pr", "to_department": "pr", "to_user": BEN, "reason": "yours"},
        ("Escalated to ", Person(BEN), ": yours"),
    ),
    (
        "resolved",
        {"root_cause": "late-delivery", "note": ""},
        "Resolved · root cause: late-delivery",
    ),
    ("resolved", {"root_cause": None, "note": ""}, "Resolved"),
    ("reopened", {}, "Reopened"),
    ("problem_linked", {"problem": "P-7", "problem_id": 7}, "Linked to problem P-7"),
    ("problem_unlinked", {"problem": "P-7", "problem_id": 7}, "Unlinked from problem P-7"),
    ("waiting", {}, "Waiting on the customer; SLA clocks paused"),
    ("resumed", {}, "The customer wrote back; SLA clocks resumed"),
    ("note", {"text": "<!channel> hi"}, "Note: <!channel> hi"),
    (
        "reply_requested",
        {"reply_id": 3, "text": "Sorry!", "needs_approval": True},
        "Wrote a reply (needs a second person's approval): Sorry!",
    ),
    (
        "reply_requested",
        {"reply_id": 3, "text": "Sorry!", "needs_approval": False},
        "Wrote a reply: Sorry!",
    ),
    ("reply_approved", {"reply_id": 3}, "Approved reply #3"),
    ("reply_discarded", {"reply_id": 3}, "Discarded reply #3"),
    ("reply_sent", {"reply_id": 3, "text": "Sorry!"}, "Reply sent to the customer: Sorry!"),
    ("reply_failed", {"reply_id": 3, "error": "rate limited"}, "Reply #3 failed: rate limited"),
    (
        "acknowledged",
        {"promised_at": "2026-11-30T09:00:00+00:00"},
        "Acknowledged the customer automatically, promising an answer by 2026-11-30 09:00 UTC",
    ),
    (
        "acknowledgement_skipped",
        {"reason": "a person answered first"},
        "Did not acknowledge the customer: a person answered first",
    ),
    (
        "acknowledgement_failed",
        {"error": "email: recipient refused (550)"},
        "The acknowledgement could not be sent: email: recipient refused (550)",
    ),
    ("revealed", {"post_id": 1}, "Revealed the customer's unmasked text"),
    ("merged_into", {}, "Merged into"),
    (
        "merge_suggested",
        {"other_id": 12, "other": "C-12", "other_source": "email"},
        "Possibly the same as C-12 (email)",
    ),
    ("merge_dismissed", {"other_id": 12, "other": "C-12"}, "Not the same as C-12"),
    ("merged", {"kept": False, "into": "C-12", "merged": "C-13"}, "Merged into C-12"),
    (
        "merged",
        {"kept": True, "into": "C-12", "merged": "C-13", "source": "x"},
        "Merged C-13 (x) into this case",
    ),
    (
        "bounced",
        {"what": "reply", "reason": "delivery status: failed"},
        "A reply bounced (delivery status: failed); the customer did not get it",
    ),
    (
        "bounced",
        {"what": "acknowledgement", "reason": "X-Failed-Recipients"},
        "The acknowledgement bounced (X-Failed-Recipients); the customer did not get it",
    ),
    (
        "automated_mail",
        {"reason": "Auto-Submitted: auto-replied"},
        "An automatic answer came in (Auto-Submitted: auto-replied)",
    ),
]


@pytest.mark.parametrize(("kind", "data", "line"), LINES)
def test_plain_line(kind: str, data: dict[str, Any], line: str | tuple[LinePart, ...]) -> None:
    """Plain text and people: the renderer escapes the text, so untrusted text is passed
    through as is, and shows the people as mentions."""
    assert plain_line(kind, ANA, data) == (line if isinstance(line, tuple) else (line,))


def _event_classes() -> list[type[DomainEvent]]:
    found, todo = [], list(DomainEvent.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def test_every_event_kind_has_a_tested_line() -> None:
    """A new event kind fails here until it gets its own line (and a row in LINES)."""
    assert {cls.kind for cls in _event_classes()} <= {kind for kind, _, _ in LINES}


def test_plain_line_survives_odd_stored_data() -> None:
    assert plain_line("assigned", ANA, {}) == ("Assigned to nobody",)
    assert plain_line("reply_failed", ANA, {"reply_id": None}) == ("Reply # failed: ",)
    assert plain_line("claimed", ANA, {"owner": "bot"}) == ("Claimed for @bot",)


def test_every_event_class_has_a_presenter() -> None:
    """A new `DomainEvent` fails here until `bot.slack.presenters` words it."""
    assert set(_event_classes()) <= set(PRESENTERS)


def test_every_event_in_the_thread_has_a_thread_line() -> None:
    for cls in _event_classes():
        assert (PRESENTERS[cls].thread is not None) == cls.in_timeline, cls.__name__


def test_thread_lines_mention_the_actor_and_name_the_bot() -> None:
    assert thread_line("claimed", ANA, {"owner": ANA}) == f"🙋 Claimed by <@{ANA}>"
    assert thread_line("reopened", "casebot", {}) == "🔁 Reopened by Casebot"
    assert (
        thread_line("problem_linked", "casebot", {"problem": "P-7"})
        == "🧩 Part of problem P-7 (linked by Casebot)"
    )
