"""The problem tests' world: the workflow config plus two more sources with reply
connectors, so a storm comes in from four sources that can all be answered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.worker import delivery
from config.schema import CasebotConfig
from tests.conftest import INGEST_SECRET
from tests.handlers.channels.remotes import HttpRemote
from tests.support.flows import workflow_config

SOURCES = ("web", "app", "chat", "shop")
"""`shop` needs a second person's approval for every reply."""


@pytest.fixture
def remote() -> Iterator[HttpRemote]:
    server = HttpRemote().start()
    yield server
    server.stop()


@pytest.fixture
def config(remote: HttpRemote) -> CasebotConfig:
    base = workflow_config(remote.url)
    web = base.sources["web"]
    return base.model_copy(update={"sources": {**base.sources, "app": web, "chat": web}})


@pytest.fixture
def worker(deps: Deps) -> Delivery:
    return delivery(deps, env={"INGEST_SECRET": INGEST_SECRET})
