"""The web process killed (SIGKILL, master and workers) in the middle of a burst of
posts: every post that got its 202 is in the database with its case."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.demo.standin import SlackStandIn
from handlers.channels.base import sign
from tests.support.processes import free_port, start_bot, wait_healthy, web_env

pytestmark = pytest.mark.both_db

CLIENTS = 16


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_a_crash_mid_burst_loses_no_post_that_got_a_202(
    tmp_path: Path, slack: SlackStandIn, db_url: str
) -> None:
    port = free_port()
    env = web_env(tmp_path, slack.api_url, port, WEB_CONCURRENCY="2", DATABASE_URL=db_url)
    proc = start_bot(["web"], env)
    accepted: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def client(k: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            i = 0
            while not stop.is_set():
                i += 1
                body = json.dumps(
                    {"id": f"k{k}-{i}", "text": "Where is my order?", "author": {"id": f"a{k}"}}
                ).encode()
                signature = sign("i", body)
                headers = {"Content-Type": "application/json", "X-Casebot-Signature": signature}
                try:
                    resp = http.post("/ingest/twitter", content=body, headers=headers)
                except httpx.TransportError:
                    return  # the server is gone
                if resp.status_code == 202:
                    with lock:
                        accepted.append(f"k{k}-{i}")

    try:
        wait_healthy(port)
        threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while len(accepted) < 100:
            assert time.monotonic() < deadline, f"only {len(accepted)} posts accepted"
            time.sleep(0.01)
        for pid in [*_children(proc.pid), proc.pid]:
            os.kill(pid, signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join(10)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            stored = {
                row[0]
                for row in conn.execute(
                    text("SELECT external_id FROM posts WHERE case_id IS NOT NULL")
                )
            }
    finally:
        engine.dispose()
    assert accepted and set(accepted) <= stored, sorted(set(accepted) - stored)[:10]
