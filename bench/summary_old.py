"""`bench.summary --old DIR`: an older checkout's summary and report on the same data,
each in a child process with a time limit (its indexes dropped, as it had none)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

from sqlalchemy import create_engine, text

from bench.common import EXAMPLE
from bench.summary_data import NOW

NEW_INDEXES = {
    "ix_cases_created_at": "cases (created_at)",
    "ix_cases_resolved_at": "cases (resolved_at)",
    "ix_reminders_threshold_at": "reminders (threshold, at, case_id)",
}
"""What `--old` drops for the older checkout, which had none of them."""

OLD_SNIPPET = """
import json, resource, sys, time
from datetime import datetime, timedelta, UTC
from bot import report, summary
from bot.deps import Deps
from config.load import load_config
from config.settings import Settings
from storage.db import Database
url, what, config_path = sys.argv[1], sys.argv[2], sys.argv[3]
now = datetime.fromisoformat(sys.argv[4])
db = Database(url)
config = load_config(config_path)
started = time.perf_counter()
try:
    if what == "report":
        deps = Deps(settings=Settings(database_url=url), config=config, db=db)
        out = report.render(report.build(deps, since="30d", now=now), "csv")
    else:
        span = {"week": timedelta(days=7), "30d": timedelta(days=30)}[what]
        with db.session() as s:
            summary.compute(s, period=what, since=now - span, until=now, department=None,
                            config=config, now=now)
    result = "ok"
except Exception as exc:
    result = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"what": what, "seconds": round(time.perf_counter() - started, 1),
                  "peak_mib": peak, "result": result}))
"""


def time_old(url: str, old: str, what: str, limit: float) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": old}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", OLD_SNIPPET, url, what, EXAMPLE, NOW.isoformat()],
            capture_output=True,
            text=True,
            env=env,
            cwd=old,
            timeout=limit,
        )
    except subprocess.TimeoutExpired:
        return {"what": what, "result": f"still running after {limit:.0f} s (stopped)"}
    lines = done.stdout.strip().splitlines()
    if not lines:
        return {"what": what, "result": f"exit {done.returncode}: {done.stderr.strip()[-200:]}"}
    got: dict[str, Any] = json.loads(lines[-1])
    got["wall"] = round(time.perf_counter() - started, 1)
    return got


def indexes(url: str, create: bool) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for name, on in NEW_INDEXES.items():
            sql = f"CREATE INDEX IF NOT EXISTS {name} ON {on}" if create else f"DROP INDEX {name}"
            conn.execute(text(sql))
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
    engine.dispose()
