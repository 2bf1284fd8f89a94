"""The worker's pacer: Slack's per-channel post rate with short bursts, and Retry-After
holds per channel for posts, per method for the rest."""

from __future__ import annotations

from bot.slack.pacing import POST, Pacer
from tests.support.clock import Clock


def test_a_burst_then_one_a_second_per_channel() -> None:
    clock = Clock()
    pacer = Pacer(1.0, burst=3, clock=clock)
    assert [pacer.take(POST, "C1") for _ in range(3)] == [0, 0, 0]
    assert pacer.take(POST, "C1") == 1.0
    assert pacer.take(POST, "C2") == 0, "another channel has its own budget"
    clock.now = 1.0
    assert pacer.take(POST, "C1") == 0
    assert pacer.take(POST, "C1") == 1.0


def test_a_backlog_is_deferred_a_turn_apart_and_each_finds_its_token() -> None:
    """Fifty cards for one channel: each deferred once, one second after the other,
    not all fifty to the next token (where forty-nine would be deferred again)."""
    clock = Clock()
    pacer = Pacer(1.0, burst=1, clock=clock)
    assert pacer.take(POST, "C1") == 0
    waits = [pacer.take(POST, "C1") for _ in range(49)]
    assert waits == [float(n) for n in range(1, 50)]
    for wait in waits:
        clock.now = wait
        assert pacer.take(POST, "C1") == 0, f"the card deferred by {wait} s goes at once"
    assert pacer.take(POST, "C1") == 1.0, "the backlog's turns are past: the next token"


def test_retry_after_holds_the_channel_then_lets_one_through() -> None:
    clock = Clock()
    pacer = Pacer(1.0, burst=3, clock=clock)
    pacer.hold(POST, "C1", 20)
    assert pacer.take(POST, "C1") == 20
    assert pacer.take(POST, "C2") == 0
    clock.now = 20.0
    assert pacer.take(POST, "C1") == 0
    assert pacer.take(POST, "C1") > 0, "no full burst right after a 429"


def test_other_methods_are_held_for_the_whole_workspace_and_not_paced() -> None:
    clock = Clock()
    pacer = Pacer(1.0, clock=clock)
    assert [pacer.take("chat.update", "C1") for _ in range(10)] == [0] * 10
    pacer.hold("chat.update", "C1", 5)
    assert pacer.take("chat.update", "C2") == 5


def test_rate_zero_paces_nothing_but_still_holds() -> None:
    clock = Clock()
    pacer = Pacer(0, clock=clock)
    assert [pacer.take(POST, "C1") for _ in range(10)] == [0] * 10
    pacer.hold(POST, "C1", 2)
    assert pacer.take(POST, "C1") == 2


def test_asking_ahead_leaves_the_room_for_the_call_and_hands_a_wait_its_turn() -> None:
    clock = Clock()
    pacer = Pacer(1.0, burst=1, clock=clock)
    assert pacer.take(POST, "C1", spend=False) == 0
    assert pacer.take(POST, "C1") == 0, "asking ahead took no token"
    assert pacer.take(POST, "C1", spend=False) == 1.0
    assert pacer.take(POST, "C1", spend=False) == 2.0, "each wait is handed its own turn"
    clock.now = 1.0
    assert pacer.take(POST, "C1") == 0
