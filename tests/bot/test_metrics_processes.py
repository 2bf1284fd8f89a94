"""Metrics under gunicorn: counts from different worker processes add up in `/metrics`,
in a directory the process makes at start and removes when it stops."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from prometheus_client.mmap_dict import MmapedDict

from bot.demo.standin import SlackStandIn
from tests.conftest import sample_post, sign
from tests.support.processes import free_port, run_bot, start_bot, stop, wait_healthy, web_env

POSTS = 40
BURSTS = 10


def _ingest(port: int, n: int) -> int:
    body = json.dumps(sample_post(n)).encode()
    headers = {"Content-Type": "application/json", "X-Casebot-Signature": sign(body, "i")}
    return httpx.post(
        f"http://127.0.0.1:{port}/ingest/web", content=body, headers=headers
    ).status_code


def _accepted_in(path: Path) -> float:
    """The 202s one worker counted, read from its own file."""
    total = 0.0
    for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)):
        _, sample, labels, *_ = json.loads(key)
        if sample == "casebot_ingest_total" and labels == {"source": "web", "code": "202"}:
            total += value
    return total


def test_counts_from_every_worker_add_up_in_metrics(tmp_path: Path, slack: SlackStandIn) -> None:
    port = free_port()
    # One thread per worker, so concurrent requests spread over both processes.
    env = web_env(tmp_path, slack.api_url, port, WEB_CONCURRENCY="2", WEB_THREADS="1")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    assert run_bot(["migrate"], env).returncode == 0
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        proc = start_bot(["web"], env, out)
        try:
            wait_healthy(port)
            [record] = [
                r
                for r in map(json.loads, log.read_text().splitlines())
                if r["event"] == "metrics.dir"
            ]
            directory = Path(record["path"])
            assert directory.is_dir()
            # The kernel, not gunicorn, picks which process accepts a connection, and it
            # can give one process a whole burst: send bursts until both have counted.
            sent = 0
            with ThreadPoolExecutor(max_workers=8) as pool:
                for _ in range(BURSTS):
                    burst = range(sent, sent + POSTS)
                    assert list(pool.map(lambda n: _ingest(port, n), burst)) == [202] * POSTS
                    sent += POSTS
                    per_worker = [_accepted_in(f) for f in directory.glob("counter_*.db")]
                    if len([n for n in per_worker if n]) == 2:
                        break
            assert len([n for n in per_worker if n]) == 2, per_worker
            text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
            [total] = re.findall(
                r'^casebot_ingest_total\{code="202",source="web"\} (\S+)$', text, re.M
            )
            assert float(total) == sent == sum(per_worker)
            depth = rf"^casebot_outbox_depth\{{kind=\"card\"\}} {sent}\.0$"
            assert re.search(depth, text, re.M)
        finally:
            stop(proc)
    deadline = time.monotonic() + 5
    while directory.exists():
        assert time.monotonic() < deadline, "the metrics directory was left behind"
        time.sleep(0.1)
