"""Fixtures for channel tests: local remotes, and a check that logs stay clean."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest

from bot.logs import JsonFormatter
from tests.handlers.channels.remotes import HttpRemote, SmtpRemote


@pytest.fixture
def remote() -> Iterator[HttpRemote]:
    server = HttpRemote().start()
    yield server
    server.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpRemote]:
    server = SmtpRemote(login=("casebot", "smtp-secret-pw")).start()
    yield server
    server.stop()


@pytest.fixture
def log_text(caplog: pytest.LogCaptureFixture) -> Callable[[], str]:
    """Casebot's log lines so far, formatted as production writes them (extras included).

    The SMTP stand-in's own `mail.log` is the remote's log, not ours, and is left out.
    """
    caplog.set_level(logging.DEBUG)
    return lambda: "\n".join(
        JsonFormatter().format(r) for r in caplog.records if not r.name.startswith("mail.")
    )
