"""How many posts per second `POST /ingest/{source}` accepts (signed, parsed, committed).

Runs the real Flask app in-process (no network hop) so the figure is the app's own
cost: HMAC check, JSON parse, routing, priority, the insert transaction and the outbox
row. Prints posts/s and per-request latency percentiles for SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

from bench.common import database, make_deps
from bot.app import create_app
from bot.demo.standin import SlackStandIn
from handlers.channels.base import sign

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000


def run(backend: str) -> None:
    slack = SlackStandIn().start()
    with database(backend) as url:
        deps = make_deps(url, slack)
        http = create_app(deps).flask.test_client()
        latencies = []
        start = time.perf_counter()
        for i in range(N):
            body = json.dumps(
                {
                    "id": f"b{i}",
                    "text": f"My order {i} never arrived, please refund",
                    "author": {"id": f"a{i % 500}", "handle": f"@c{i % 500}", "followers": i},
                    "conversation_id": f"t{i}",
                }
            ).encode()
            sig = sign("bench", body)
            t0 = time.perf_counter()
            resp = http.post(
                "/ingest/twitter",
                data=body,
                headers={"Content-Type": "application/json", "X-Casebot-Signature": sig},
            )
            latencies.append(time.perf_counter() - t0)
            assert resp.status_code == 202, resp.get_data()
        elapsed = time.perf_counter() - start
        deps.db.dispose()
    slack.stop()
    q = statistics.quantiles(latencies, n=100)
    print(
        f"ingest {backend:10s} {N} posts in {elapsed:.2f}s = {N / elapsed:,.0f} posts/s"
        f"  p50 {q[49] * 1000:.1f} ms  p99 {q[98] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    for backend in ("sqlite", "postgresql"):
        run(backend)
