"""The one table of what a case allows: the guards and the renderers read the same rules."""

from __future__ import annotations

import pytest

from bot.state import Action, CaseState, CaseStatus, NotNow, available_actions, require


def test_an_unowned_open_case_offers_claim_and_the_work() -> None:
    offered = available_actions(CaseState(CaseStatus.OPEN, None))
    assert offered[:5] == (Action.CLAIM, Action.REPLY, Action.ESCALATE, Action.RESOLVE, Action.WAIT)
    assert Action.TAKE_OVER not in offered and Action.REOPEN not in offered


def test_take_over_only_once_an_owned_case_breached() -> None:
    assert Action.TAKE_OVER not in available_actions(CaseState(CaseStatus.OPEN, "U1"))
    breached = available_actions(CaseState(CaseStatus.OPEN, "U1", breached=True))
    assert Action.TAKE_OVER in breached and Action.CLAIM not in breached


def test_a_waiting_case_does_not_offer_waiting_again() -> None:
    assert Action.WAIT not in available_actions(CaseState(CaseStatus.WAITING, None))


def test_a_resolved_case_offers_reopen_and_no_work() -> None:
    offered = available_actions(CaseState(CaseStatus.RESOLVED, "U1", breached=True))
    assert Action.REOPEN in offered
    assert not {Action.CLAIM, Action.TAKE_OVER, Action.REPLY, Action.RESOLVE} & set(offered)


@pytest.mark.parametrize("status", list(CaseStatus))
def test_every_offered_action_passes_the_guard(status: CaseStatus) -> None:
    for owner in (None, "U1"):
        for action in available_actions(CaseState(status, owner, breached=True, masked=True)):
            require(1, status, action)


def test_the_guard_refuses_what_the_status_does_not_allow() -> None:
    with pytest.raises(NotNow):
        require(1, CaseStatus.OPEN, Action.REOPEN)
    with pytest.raises(NotNow):
        require(1, CaseStatus.RESOLVED, Action.REPLY)
    with pytest.raises(NotNow):
        require(1, CaseStatus.WAITING, Action.WAIT)


def test_reveal_is_offered_only_while_something_is_masked() -> None:
    assert Action.REVEAL not in available_actions(CaseState(CaseStatus.OPEN, None))
    assert Action.REVEAL in available_actions(CaseState(CaseStatus.OPEN, None, masked=True))
    resolved = CaseState(CaseStatus.RESOLVED, None, masked=True)
    assert Action.REVEAL not in available_actions(resolved)
    require(1, CaseStatus.RESOLVED, Action.REVEAL)
