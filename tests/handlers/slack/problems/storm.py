"""Posts for the problem tests: a storm about one cause, worded forty ways, and posts
about other things that arrive in the same hour."""

from __future__ import annotations

STORM_OPENINGS = [
    "App {v} crashes at checkout every single time",
    "Since updating to {v} the checkout screen crashes",
    "Checkout keeps crashing after the {v} update",
    "The {v} update broke checkout, the app crashes when I pay",
    "Can't pay: checkout crash on version {v}",
    "Your app crashes on checkout since {v}",
    "{v} checkout crash again, I give up",
    "Checkout crashes in the new {v} app",
]
STORM_TAILS = [
    "",
    " on my iPhone",
    " and my basket is gone",
    " third time today",
    " really annoying",
]

UNRELATED = [
    "Where is my parcel BB-482913? Tracking says delivered but nothing here",
    "How do I change the e-mail address on my account?",
    "Refund for invoice INV-4411 still missing",
    "Is the X200 air fryer dishwasher safe?",
    "Password reset link never comes through",
    "Do you ship to Norway?",
    "The blender lid cracked after two weeks",
    "Loyalty points vanished from my profile",
]


def storm(n: int = 40, version: str = "5.2") -> list[str]:
    return [
        STORM_OPENINGS[i % len(STORM_OPENINGS)].format(v=version)
        + STORM_TAILS[(i // len(STORM_OPENINGS)) % len(STORM_TAILS)]
        for i in range(n)
    ]
