"""The workflow tests' world: the example config plus root causes and reply connectors
pointed at a local HTTP server, and a worker that can reach it."""

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


@pytest.fixture
def remote() -> Iterator[HttpRemote]:
    server = HttpRemote().start()
    yield server
    server.stop()


@pytest.fixture
def config(remote: HttpRemote, request: pytest.FixtureRequest) -> CasebotConfig:
    """Parametrize indirectly with a `permissions` mapping to restrict actions."""
    return workflow_config(remote.url, permissions=getattr(request, "param", None))


@pytest.fixture
def worker(deps: Deps) -> Delivery:
    return delivery(deps, env={"INGEST_SECRET": INGEST_SECRET})
