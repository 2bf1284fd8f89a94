"""Every refusal the core can raise has its Slack wording, and none carries markup."""

from __future__ import annotations

import importlib
import pkgutil

import bot
import handlers
from bot.events import AlreadyClaimed, DomainError, NotTheOwner
from bot.slack.refusals import WORDING, refusal


def _all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found.union(*(_all_subclasses(c) for c in list(found)))


def test_every_domain_error_has_wording() -> None:
    for package in (bot, handlers):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".demo" not in module.name:
                importlib.import_module(module.name)
    missing = {c.__name__ for c in _all_subclasses(DomainError) if c not in WORDING}
    assert missing == set()


def test_errors_carry_the_owner_and_the_words_mention_them() -> None:
    err = AlreadyClaimed(42, "U0ANA")
    assert (err.case_id, err.owner) == (42, "U0ANA")
    assert refusal(err) == "C-42 is already owned by <@U0ANA>."
    assert refusal(NotTheOwner(7, "U0BEN")) == "C-7: it is owned by <@U0BEN>, not you."
