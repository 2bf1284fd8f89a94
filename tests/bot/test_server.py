"""The web process as gunicorn runs it: workers die with their master, and requests
gunicorn refuses itself are answered with JSON too."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import httpx

from bot.demo.standin import SlackStandIn
from tests.support.processes import free_port, run_bot, start_bot, stop, wait_healthy, web_env


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


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_workers_die_with_their_master_and_free_the_port(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    port = free_port()
    env = web_env(tmp_path, slack.api_url, port, WEB_CONCURRENCY="2", HOST="127.0.0.1")
    assert run_bot(["migrate"], env).returncode == 0
    proc = start_bot(["web"], env)
    workers: list[int] = []
    try:
        wait_healthy(port)
        deadline = time.monotonic() + 10
        while len(workers := _children(proc.pid)) < 2:
            assert time.monotonic() < deadline, "gunicorn did not start two workers"
            time.sleep(0.1)
        # A kept-alive connection: gunicorn would linger 2 s on it before letting go.
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            assert client.get("/healthz").status_code == 200
            os.kill(proc.pid, signal.SIGKILL)
            killed = time.monotonic()
            proc.wait(timeout=5)
            while not _port_free(port):
                assert time.monotonic() - killed < 0.5, "the port is still held after 0.5 s"
                time.sleep(0.02)
        deadline = time.monotonic() + 5
        while any(_alive(w) for w in workers):
            assert time.monotonic() < deadline, "a worker outlived its master by 5 s"
            time.sleep(0.05)
    finally:
        for pid in [proc.pid, *workers]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            stop(proc)


def test_requests_gunicorn_refuses_are_answered_with_json(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    port = free_port()
    env = web_env(tmp_path, slack.api_url, port)
    assert run_bot(["migrate"], env).returncode == 0
    proc = start_bot(["web"], env)
    try:
        wait_healthy(port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            big_header = client.get("/healthz", headers={"X-Big": "x" * 9000})
            assert (big_header.status_code, big_header.json()) == (
                431,
                {"error": "request header fields too large"},
            )
            long_line = client.get("/healthz?" + "q" * 5000)
            assert long_line.status_code == 414
            assert long_line.json() == {"error": "uri too long"}
            many = client.get("/healthz", headers={f"X-H{i}": "1" for i in range(120)})
            assert many.status_code == 431 and many.headers["content-type"] == "application/json"
    finally:
        stop(proc)
