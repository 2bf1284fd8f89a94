"""A call the stand-in received, and the stand-in's share of `files_upload_v2`: of
Slack's three steps, the URL asked for (`files.getUploadURLExternal`, answered in
`SlackStandIn._api`), the bytes uploaded to it, and the upload completed into a channel."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class File:
    """A file shared through the `files_upload_v2` flow: URL asked for, bytes uploaded to
    it, then completed into a channel (`channel` None until then)."""

    id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None


class FilesMixin:
    files: dict[str, File]
    calls: list[Any]
    _lock: threading.Lock

    def _upload(self, req: BaseHTTPRequestHandler, file_id: str, raw: bytes) -> None:
        """Step 2 of `files_upload_v2`: the bytes, POSTed to the URL step 1 gave out.
        Slack answers plain text; a URL it never gave out is a 404."""
        with self._lock:
            self.calls.append(Call("upload", {"file_id": file_id, "bytes": len(raw)}, None))
            pending = self.files.get(file_id)
            if pending is not None:
                pending.content = raw
        body = f"OK - {len(raw)}".encode() if pending else b"not found"
        req.send_response(200 if pending else 404)
        req.send_header("Content-Type", "text/plain; charset=utf-8")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    def _complete(self, a: dict[str, Any]) -> dict[str, Any]:
        """Step 3: share the uploaded files; each must have had its bytes, all of them."""
        listed = a.get("files")
        items = json.loads(listed) if isinstance(listed, str) else listed or []
        found = [self.files.get(str(item.get("id"))) for item in items]
        if not items or any(f is None or f.content is None for f in found):
            return {"ok": False, "error": "invalid_arguments"}
        channel = a.get("channel_id") or None
        if channel is not None and str(channel)[0] not in "CGD":
            return {"ok": False, "error": "channel_not_found"}
        shared = []
        for item, f in zip(items, found, strict=True):
            assert f is not None
            if f.content is not None and len(f.content) != f.length:
                return {"ok": False, "error": "invalid_arguments"}
            f.title = item.get("title") or f.filename
            f.channel, f.thread_ts = channel, a.get("thread_ts") or None
            f.initial_comment = a.get("initial_comment") or None
            shared.append({"id": f.id, "name": f.filename, "title": f.title})
        return {"ok": True, "files": shared}
