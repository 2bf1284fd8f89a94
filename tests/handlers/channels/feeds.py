"""A local HTTP server for the pollers: answers GETs per path, records every request.

Each path has a queue of `Served` answers (the last one repeats); an answer may be a
function of the request, so a test can answer a conditional GET with a 304.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Got:
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)


@dataclass
class Served:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Answer = Served | Callable[[Got], Served]


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, list[Answer]] = {}
        self.got: list[Got] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                got = Got(
                    parts.path,
                    parse_qsl(parts.query, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()},
                )
                with server._lock:
                    server.got.append(got)
                    queue = server.routes.get(parts.path) or [Served(404)]
                    answer = queue.pop(0) if len(queue) > 1 else queue[0]
                served = answer(got) if callable(answer) else answer
                time.sleep(served.delay)
                try:
                    self.send_response(served.status)
                    for key, value in served.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(served.body)))
                    self.end_headers()
                    self.wfile.write(served.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def serve(self, path: str, *answers: Answer) -> None:
        with self._lock:
            self.routes[path] = list(answers)

    def requests_to(self, path: str) -> list[Got]:
        with self._lock:
            return [g for g in self.got if g.path == path]

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Shop reviews</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2026-11-23T08:30:00Z</updated>
  <link href="https://shop.example/reviews"/>
  <entry>
    <title>Broken on arrival</title>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <link href="https://shop.example/reviews/2"/>
    <updated>2026-11-23T08:30:00Z</updated>
    <author><name>Grace H.</name><email>grace@example.org</email></author>
    <content type="html">&lt;p&gt;The kettle &lt;b&gt;leaks&lt;/b&gt;.
      &lt;!channel&gt;&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Late parcel</title>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6b</id>
    <link href="https://shop.example/reviews/1"/>
    <published>2026-11-22T17:00:00Z</published>
    <updated>2026-11-22T17:00:00Z</updated>
    <author><name>Ada L.</name></author>
    <summary>Ordered a week ago, still nothing.</summary>
  </entry>
</feed>
"""

RSS = b"""<?xml version="1.0"?>
<rss version="2.0">
<channel>
  <title>Support forum</title>
  <link>https://forum.example/</link>
  <description>New topics</description>
  <language>de</language>
  <item>
    <title>App crasht beim Login</title>
    <link>https://forum.example/t/881</link>
    <guid isPermaLink="false">forum-topic-881</guid>
    <pubDate>Mon, 23 Nov 2026 07:45:00 GMT</pubDate>
    <author>jo@example.net (Jo)</author>
    <description>&lt;p&gt;Seit dem Update crasht die App.&lt;/p&gt;</description>
  </item>
</channel>
</rss>
"""


def mention(notification_id: int, status_id: int, *, text: str = "help please") -> dict[str, Any]:
    """A Mastodon `mention` notification as `GET /api/v1/notifications` returns it."""
    return {
        "id": str(notification_id),
        "type": "mention",
        "created_at": "2026-11-23T08:00:00.000Z",
        "account": {"id": "77", "acct": "kim@social.example"},
        "status": {
            "id": str(status_id),
            "created_at": "2026-11-23T08:00:00.000Z",
            "in_reply_to_id": None,
            "visibility": "public",
            "language": "en",
            "uri": f"https://social.example/users/kim/statuses/{status_id}",
            "url": f"https://social.example/@kim/{status_id}",
            "content": f'<p><span class="h-card"><a href="https://brand.example/@brand">'
            f"@<span>brand</span></a></span> {text}</p>",
            "spoiler_text": "",
            "media_attachments": [],
            "account": {
                "id": "77",
                "username": "kim",
                "acct": "kim@social.example",
                "display_name": "Kim",
                "followers_count": 12,
                "url": "https://social.example/@kim",
            },
        },
    }


def favourite(notification_id: int) -> dict[str, Any]:
    return {"id": str(notification_id), "type": "favourite", "account": {"id": "9", "acct": "x"}}
