"""A local stand-in for the Slack Web API, for tests and `python -m bot demo`.

It speaks enough of the real wire format (form or JSON bodies, `{"ok": …}` answers,
HTTP 429 with `Retry-After`) that the real `slack_sdk.WebClient` talks to it unchanged,
keeps the messages each channel would show, and records every call so tests can
assert on exactly what Slack would have received. Faults can be injected per method
(and channel); like Slack it can also limit posts per channel (`post_rate`), answer
history and replies a page at a time from `oldest`, show a message there only after
an indexing delay (`index_delay`), and be slower than the client's timeout
(`Fault(delay=…)`: the call is performed late, its answer never heard).
`casebot standin` runs it on its own and prints every call it receives (`serve`).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from bot.demo.standin_files import Call, File, FilesMixin
from config.errors import ConfigError

JSON_FIELDS = ("blocks", "attachments", "metadata", "view")
TEAM = "T1"
BOT_USER = "UCASEBOT"


@dataclass
class Fault:
    status: int = 200
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    after_effect: bool = False
    channel: str | None = None
    """Only calls to this channel (None: any)."""
    delay: float = 0.0
    """Seconds to sit on the call before performing it (and answering, if anyone still
    listens): the call happens, late."""


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None
    metadata: dict[str, Any] | None
    edits: int = 0
    visible_at: float = 0.0
    """Monotonic time from which history and replies show it (Slack's indexing delay)."""


class SlackStandIn(FilesMixin):
    """Start with `start()`, point `SLACK_API_URL` at `api_url`, stop with `stop()`."""

    def __init__(
        self,
        users: dict[str, str] | None = None,
        on_call: Callable[[Call], None] | None = None,
        epoch: Callable[[], float] = time.time,
    ) -> None:
        self.on_call = on_call
        self.epoch = epoch
        """Where message timestamps come from (Slack's are its wall clock)."""
        self.index_delay = 0.0
        self.post_rate: float | None = None
        """Like Slack: at most this many posts per second per channel (bursts of
        `post_burst`), beyond which `chat.postMessage` answers 429 with Retry-After."""
        self.post_burst = 3
        self.rate_limited = 0
        """How many posts `post_rate` refused."""
        self._buckets: dict[str, tuple[float, float]] = {}
        self._last_ts = 0.0
        self.calls: list[Call] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []
        self.messages: dict[str, list[Message]] = {}
        self.views: list[dict[str, Any]] = []
        self.files: dict[str, File] = {}
        self.users = users or {}
        self.gone: set[str] = set()
        """User ids `users.info` answers `user_not_found` for (everyone else exists)."""
        self.faults: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ---- lifecycle -------------------------------------------------------------------
    def start(self, port: int = 0) -> SlackStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                standin._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return self.base + "/api/"

    def response_url(self, name: str = "r") -> str:
        return f"{self.base}/respond/{name}"

    # ---- test helpers ----------------------------------------------------------------
    def fail(self, method: str, fault: Fault) -> None:
        """Make the next `fault.times` calls of `method` fail as described.

        `after_effect=True` performs the call first and then drops the connection: Slack
        acted but the caller never heard back.
        """
        with self._lock:
            self.faults.setdefault(method, []).append(fault)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def channel(self, channel: str, *, threads: bool = False) -> list[Message]:
        with self._lock:
            msgs = list(self.messages.get(channel, []))
        return msgs if threads else [m for m in msgs if m.thread_ts is None]

    def shared_files(self, channel: str) -> list[File]:
        """Files completed into `channel`, in the order they were shared."""
        with self._lock:
            return [f for f in self.files.values() if f.channel == channel]

    def posted_keys(self) -> Counter[str]:
        """How many messages (cards, thread lines, DMs) carry each outbox key."""
        with self._lock:
            return Counter(
                str((m.metadata.get("event_payload") or {}).get("key"))
                for msgs in self.messages.values()
                for m in msgs
                if m.metadata
            )

    def thread(self, channel: str, ts: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages.get(channel, []) if m.thread_ts == ts]

    # ---- wire ------------------------------------------------------------------------
    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length)
        if req.path.startswith("/upload/"):
            self._upload(req, req.path.removeprefix("/upload/"), raw)
            return
        ctype = req.headers.get("Content-Type", "")
        if "json" in ctype:
            args: dict[str, Any] = json.loads(raw or b"{}")
        else:
            args = dict(parse_qsl(raw.decode("utf-8")))
            for key in JSON_FIELDS:
                if isinstance(args.get(key), str):
                    args[key] = json.loads(args[key])
        if req.path.startswith("/respond/"):
            with self._lock:
                self.responses.append((req.path.removeprefix("/respond/"), args))
            self._send(req, 200, {"ok": True})
            return
        method = req.path.removeprefix("/api/")
        auth = req.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        with self._lock:
            self.calls.append(Call(method, args, token))
            if self.on_call:
                self.on_call(self.calls[-1])
            queue = self.faults.get(method) or []
            channel = args.get("channel")
            fault = next((f for f in queue if f.channel in (None, channel)), None)
            if fault:
                fault.times -= 1
                if fault.times <= 0:
                    queue.remove(fault)
            limited = self._over_rate(str(channel)) if method == "chat.postMessage" else None
        if fault and fault.delay:
            time.sleep(fault.delay)
            if fault.status == 200 and fault.error is None and not fault.after_effect:
                fault = None  # only slow: performed late, answered to no one
        if limited is not None and not fault:
            with self._lock:
                self.rate_limited += 1
            headers = {"Retry-After": str(limited)}
            self._send(req, 429, {"ok": False, "error": "ratelimited"}, headers)
            return
        if fault and not fault.after_effect:
            body = {"ok": False, "error": fault.error or "ratelimited"}
            self._send(req, fault.status, body, fault.headers)
            return
        if not token:
            self._send(req, 200, {"ok": False, "error": "not_authed"})
            return
        result = self._api(method, args)
        if fault and fault.after_effect:
            req.close_connection = True
            req.connection.close()
            return
        self._send(req, 200, result)

    @staticmethod
    def _send(
        req: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json; charset=utf-8")
        req.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.end_headers()
        req.wfile.write(data)

    def _over_rate(self, channel: str) -> int | None:
        """With `post_rate`, the Retry-After for a post over the channel's limit (the
        post is refused), else None (and the post counts)."""
        if not self.post_rate:
            return None
        now = time.monotonic()
        tokens, at = self._buckets.get(channel, (float(self.post_burst), now))
        tokens = min(float(self.post_burst), tokens + (now - at) * self.post_rate)
        if tokens < 1:
            self._buckets[channel] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.post_rate))
        self._buckets[channel] = (tokens - 1, now)
        return None

    def _next_ts(self) -> str:
        """Slack's ts: its clock in microseconds, unique in the workspace here."""
        self._last_ts = max(round(self.epoch(), 6), round(self._last_ts + 0.000001, 6))
        return f"{self._last_ts:.6f}"

    def _find(self, channel: str, ts: str) -> Message | None:
        return next((m for m in self.messages.get(channel, []) if m.ts == ts), None)

    def _api(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            match method:
                case "auth.test":
                    return {"ok": True, "user_id": BOT_USER, "team_id": TEAM, "bot_id": "B1"}
                case "chat.postMessage":
                    channel = str(a.get("channel", ""))
                    if channel[:1] in ("U", "W"):  # a user id posts in the app's DM with them
                        channel = "D" + channel[1:]
                    if not channel or channel[0] not in "CGD":
                        return {"ok": False, "error": "channel_not_found"}
                    msg = Message(
                        channel,
                        self._next_ts(),
                        str(a.get("text", "")),
                        a.get("blocks"),
                        a.get("thread_ts") or None,
                        a.get("metadata"),
                        visible_at=time.monotonic() + self.index_delay,
                    )
                    self.messages.setdefault(channel, []).append(msg)
                    return {"ok": True, "channel": channel, "ts": msg.ts}
                case "chat.update":
                    msg = self._find(str(a.get("channel")), str(a.get("ts")))
                    if msg is None:
                        return {"ok": False, "error": "message_not_found"}
                    msg.text, msg.blocks = str(a.get("text", "")), a.get("blocks")
                    msg.edits += 1
                    return {"ok": True, "channel": msg.channel, "ts": msg.ts}
                case "chat.getPermalink":
                    channel, ts = str(a.get("channel")), str(a.get("message_ts"))
                    if self._find(channel, ts) is None:
                        return {"ok": False, "error": "message_not_found"}
                    link = f"https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}"
                    return {"ok": True, "channel": channel, "permalink": link}
                case "chat.postEphemeral":
                    return {"ok": True, "message_ts": self._next_ts()}
                case "conversations.open":
                    return {
                        "ok": True,
                        "channel": {"id": "D" + str(a.get("users", "")).lstrip("UW")},
                    }
                case "conversations.info":
                    return {"ok": True, "channel": {"id": a.get("channel"), "is_member": True}}
                case "conversations.history" | "conversations.replies":
                    return self._history(method, a)
                case "views.open" | "views.push" | "views.update" | "views.publish":
                    self.views.append({"method": method, **a})
                    return {"ok": True, "view": {"id": f"V{len(self.views)}", **a.get("view", {})}}
                case "files.getUploadURLExternal":
                    if not a.get("filename") or not str(a.get("length", "")).isdigit():
                        return {"ok": False, "error": "invalid_arguments"}
                    file_id = f"F{len(self.files) + 1:08d}"
                    self.files[file_id] = File(file_id, str(a["filename"]), int(a["length"]))
                    return {
                        "ok": True,
                        "upload_url": f"{self.base}/upload/{file_id}",
                        "file_id": file_id,
                    }
                case "files.completeUploadExternal":
                    return self._complete(a)
                case "users.info":
                    uid = str(a.get("user"))
                    if uid in self.gone:
                        return {"ok": False, "error": "user_not_found"}
                    user = {"id": uid, "name": self.users.get(uid, uid), "deleted": False}
                    return {"ok": True, "user": {**user, "is_bot": uid == BOT_USER}}
                case _:
                    return {"ok": False, "error": "unknown_method"}

    def _history(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        """Newest first from `oldest` (inclusive), `limit` a page (Slack's default 100),
        the rest behind `response_metadata.next_cursor`; only indexed messages."""
        now = time.monotonic()
        msgs = [m for m in self.messages.get(str(a.get("channel")), []) if m.visible_at <= now]
        if method == "conversations.replies":
            msgs = [m for m in msgs if m.thread_ts == a.get("ts")]
        else:
            msgs = [m for m in msgs if m.thread_ts is None]
        if a.get("oldest"):
            msgs = [m for m in msgs if float(m.ts) >= float(a["oldest"])]
        msgs.reverse()
        start = int(a.get("cursor") or 0)
        limit = int(a.get("limit") or 100)
        page = msgs[start : start + limit]
        more = start + limit < len(msgs)
        return {
            "ok": True,
            "messages": [{"ts": m.ts, "text": m.text, "metadata": m.metadata} for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }


def _print_call(call: Call) -> None:
    """One JSON line per call, without the token (it is a secret even locally)."""
    args = {k: v for k, v in call.args.items() if k != "token"}
    print(json.dumps({"method": call.method, "args": args}, default=str), flush=True)


def serve(port: int) -> None:
    """`casebot standin [--port N]`: point SLACK_API_URL at it to run Casebot without a
    workspace and read, one line per call, what Slack would have received."""
    try:
        standin = SlackStandIn(on_call=_print_call).start(port)
    except OSError as exc:
        raise ConfigError(f"standin --port {port}: {exc.strerror or exc}") from None
    print(f"SLACK_API_URL={standin.api_url}", flush=True)
    try:
        threading.Event().wait()
    finally:
        standin.stop()
