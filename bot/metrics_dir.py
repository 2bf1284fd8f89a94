"""Where gunicorn's processes pool their metrics: prometheus_client's multiprocess mode.

Each worker writes its counters to files in `PROMETHEUS_MULTIPROC_DIR`, and `/metrics`
(served by whichever worker gets the scrape) sums them, so counts from different
workers add up. The variable must be set before `prometheus_client` is imported, so
this module does not import it: `casebot web` and `serve` call `prepare()` first.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare() -> Callable[[], None]:
    """An empty directory named by `PROMETHEUS_MULTIPROC_DIR`: the one given (its old
    files removed: they are a previous run's), else a new temporary one; returns what
    removes it again when the master exits (nothing, for a directory that was given)."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prepare() must run before prometheus_client is imported")
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for old in path.glob("*.db"):
            old.unlink()
        return lambda: None
    made = tempfile.mkdtemp(prefix="casebot-metrics-")
    os.environ[MULTIPROC_ENV] = made
    return lambda: shutil.rmtree(made, ignore_errors=True)
