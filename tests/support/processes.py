"""Running the real `python -m bot …` in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO, Any

from tests.conftest import EXAMPLE_CONFIG, ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**env: str) -> dict[str, str]:
    """The test runner's environment without Casebot's variables, plus `env`."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "CASEBOT_", "DATABASE_", "LOG_", "INGEST_"))
        and k not in {"PORT", "HOST", "PUBLIC_URL", "TRUSTED_PROXIES"}
    }
    return {**keep, **env}


def web_env(tmp_path: Path, api_url: str, port: int, **extra: str) -> dict[str, str]:
    return clean_env(
        **{
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "s",
            "INGEST_SECRET": "i",
            "SLACK_API_URL": api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path}/web.db",
            "CASEBOT_CONFIG": str(EXAMPLE_CONFIG),
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            **extra,
        }
    )


def run_bot(args: list[str], env: dict[str, str], *python: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *python, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def start_bot(
    args: list[str], env: dict[str, str], out: IO[bytes] | int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, stdout=out, stderr=out
    )


def stop(proc: subprocess.Popen[Any]) -> None:
    proc.terminate()
    proc.wait(timeout=10)


def wait_healthy(port: int, host: str = "127.0.0.1") -> dict[str, object]:
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=1) as r:
                return dict(json.loads(r.read()))
        except OSError:
            assert time.monotonic() < deadline, "no answer on /healthz within 20 s"
            time.sleep(0.2)
